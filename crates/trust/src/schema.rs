// @generated automatically by Diesel CLI.

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
    seller_trust (tenant_id, seller_id) {
        tenant_id -> Uuid,
        seller_id -> Uuid,
        level -> Int4,
        score -> Float4,
        breakdown -> Jsonb,
        risk -> Text,
        override_level -> Nullable<Int4>,
        override_reason -> Nullable<Text>,
        demotion_due_at -> Nullable<Timestamptz>,
        computed_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    seller_verifications (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        seller_id -> Uuid,
        step -> Text,
        status -> Text,
        evidence -> Jsonb,
        code_hash -> Nullable<Text>,
        code_expires_at -> Nullable<Timestamptz>,
        code_attempts -> Int4,
        reviewer_id -> Nullable<Uuid>,
        notes -> Nullable<Text>,
        created_at -> Timestamptz,
        decided_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    trust_history (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        seller_id -> Uuid,
        kind -> Text,
        from_value -> Nullable<Text>,
        to_value -> Text,
        reason -> Text,
        actor_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    trust_settings (tenant_id) {
        tenant_id -> Uuid,
        config -> Jsonb,
        updated_by -> Nullable<Uuid>,
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

diesel::allow_tables_to_appear_in_same_query!(
    products,
    seller_profiles,
    seller_trust,
    seller_verifications,
    trust_history,
    trust_settings,
    users,
);
