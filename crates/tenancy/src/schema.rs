// @generated automatically by Diesel CLI.

diesel::table! {
    job_queue (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        kind -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        max_attempts -> Int4,
        run_at -> Timestamptz,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        lease_token -> Nullable<Uuid>,
    }
}

diesel::table! {
    tenants (id) {
        id -> Uuid,
        name -> Text,
        status -> Text,
        settings -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        subject -> Text,
        email -> Nullable<Text>,
        display_name -> Nullable<Text>,
        roles -> Array<Text>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        banned_until -> Nullable<Timestamptz>,
        ban_violation_id -> Nullable<Uuid>,
    }
}

diesel::joinable!(job_queue -> tenants (tenant_id));
diesel::joinable!(users -> tenants (tenant_id));

diesel::allow_tables_to_appear_in_same_query!(job_queue, tenants, users,);
