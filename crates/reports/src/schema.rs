// @generated automatically by Diesel CLI.

diesel::table! {
    conversations (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        buyer_id -> Uuid,
        seller_id -> Uuid,
        product_id -> Nullable<Uuid>,
        subject -> Text,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    messages (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        conversation_id -> Uuid,
        author_kind -> Text,
        author_id -> Nullable<Uuid>,
        body -> Text,
        created_at -> Timestamptz,
        moderation_status -> Text,
    }
}

diesel::table! {
    products (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        seller_id -> Uuid,
        title -> Text,
        description -> Text,
        price_minor -> Int8,
        currency -> Text,
        status -> Text,
        storage_bytes -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        moderation_status -> Text,
    }
}

diesel::table! {
    report_settings (tenant_id) {
        tenant_id -> Uuid,
        categories -> Array<Text>,
        reports_per_hour -> Int4,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    reporters (tenant_id, user_id) {
        tenant_id -> Uuid,
        user_id -> Uuid,
        trusted -> Bool,
        trusted_by -> Nullable<Uuid>,
        trusted_at -> Nullable<Timestamptz>,
        upheld -> Int4,
        dismissed -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    reports (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        reporter_id -> Uuid,
        target_type -> Text,
        target_id -> Uuid,
        category -> Text,
        text -> Text,
        message_ids -> Array<Uuid>,
        times_reported -> Int4,
        review_id -> Uuid,
        status -> Text,
        outcome -> Nullable<Text>,
        decided_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    reviews (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        author_id -> Uuid,
        order_id -> Uuid,
        seller_id -> Uuid,
        product_id -> Nullable<Uuid>,
        rating -> Int2,
        body -> Text,
        created_at -> Timestamptz,
        moderation_status -> Text,
    }
}

diesel::table! {
    seller_profiles (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        user_id -> Uuid,
        store_name -> Text,
        contact_email -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        description -> Text,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        moderation_status -> Text,
        auto_process_orders -> Bool,
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
    conversations,
    messages,
    products,
    report_settings,
    reporters,
    reports,
    reviews,
    seller_profiles,
    users,
);
