// @generated automatically by Diesel CLI.

diesel::table! {
    activity_log (tenant_id, id, occurred_at) {
        tenant_id -> Uuid,
        id -> Uuid,
        occurred_at -> Timestamptz,
        request_id -> Nullable<Text>,
        actor_id -> Nullable<Uuid>,
        actor_subject -> Nullable<Text>,
        actor_roles -> Array<Text>,
        kind -> Text,
        action -> Text,
        method -> Nullable<Text>,
        route -> Nullable<Text>,
        path -> Nullable<Text>,
        status -> Nullable<Int2>,
        latency_us -> Nullable<Int8>,
        bytes_in -> Nullable<Int8>,
        bytes_out -> Nullable<Int8>,
        client_ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        resource_type -> Nullable<Text>,
        resource_id -> Nullable<Text>,
        metadata -> Jsonb,
        client_request_id -> Nullable<Text>,
    }
}

diesel::table! {
    hub_events (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        topic -> Text,
        data -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    platform_activity_log (occurred_at, id) {
        id -> Uuid,
        occurred_at -> Timestamptz,
        request_id -> Nullable<Text>,
        claimed_tenant -> Nullable<Text>,
        actor_subject -> Nullable<Text>,
        actor_roles -> Array<Text>,
        kind -> Text,
        action -> Text,
        method -> Nullable<Text>,
        route -> Nullable<Text>,
        path -> Nullable<Text>,
        status -> Nullable<Int2>,
        latency_us -> Nullable<Int8>,
        bytes_in -> Nullable<Int8>,
        bytes_out -> Nullable<Int8>,
        client_ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        metadata -> Jsonb,
        client_request_id -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(activity_log, hub_events, platform_activity_log,);
