// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
    pub struct Tsvector;
}

diesel::table! {
    notification_deliveries (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        notification_id -> Uuid,
        channel -> Text,
        status -> Text,
        address -> Nullable<Text>,
        provider_id -> Nullable<Text>,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        attempts -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    notification_preferences (tenant_id, user_id) {
        tenant_id -> Uuid,
        user_id -> Uuid,
        channels_off -> Array<Text>,
        categories_off -> Array<Text>,
        language -> Text,
        phone -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notification_send_counts (tenant_id, channel, hour) {
        tenant_id -> Uuid,
        channel -> Text,
        hour -> Timestamptz,
        sent -> Int4,
    }
}

diesel::table! {
    notification_settings (tenant_id) {
        tenant_id -> Uuid,
        config -> Jsonb,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notification_templates (tenant_id, kind, language) {
        tenant_id -> Uuid,
        kind -> Text,
        language -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    notifications (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        recipient_id -> Uuid,
        priority -> Text,
        kind -> Text,
        category -> Text,
        title -> Text,
        body -> Text,
        data -> Jsonb,
        event_key -> Nullable<Text>,
        security -> Bool,
        read_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        search -> Nullable<Tsvector>,
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

diesel::allow_tables_to_appear_in_same_query!(
    notification_deliveries,
    notification_preferences,
    notification_send_counts,
    notification_settings,
    notification_templates,
    notifications,
    users,
);
