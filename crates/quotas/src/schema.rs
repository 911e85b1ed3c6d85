// @generated automatically by Diesel CLI.

diesel::table! {
    api_usage (tenant_id, granularity, bucket) {
        tenant_id -> Uuid,
        granularity -> Text,
        bucket -> Timestamptz,
        calls -> Int8,
    }
}

diesel::table! {
    tenant_limits (tenant_id) {
        tenant_id -> Uuid,
        requests_per_minute -> Nullable<Int4>,
        requests_per_hour -> Nullable<Int4>,
        requests_per_day -> Nullable<Int4>,
        user_requests_per_minute -> Nullable<Int4>,
        max_products -> Nullable<Int8>,
        max_users -> Nullable<Int8>,
        max_storage_bytes -> Nullable<Int8>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tenant_usage (tenant_id) {
        tenant_id -> Uuid,
        products -> Int8,
        users -> Int8,
        storage_bytes -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(api_usage, tenant_limits, tenant_usage,);
