// @generated automatically by Diesel CLI.

diesel::table! {
    ai_config (tenant_id) {
        tenant_id -> Uuid,
        enabled -> Bool,
        model -> Text,
        system_prompt -> Text,
        temperature -> Float4,
        max_reply_chars -> Int4,
        auto_reply -> Bool,
        blocked_topics -> Array<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    automation_rules (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        seller_id -> Uuid,
        name -> Text,
        on_status -> Text,
        move_to -> Text,
        max_total_minor -> Nullable<Int8>,
        currency -> Nullable<Text>,
        enabled -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

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
    order_items (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        order_id -> Uuid,
        product_id -> Uuid,
        title -> Text,
        quantity -> Int4,
        unit_price_minor -> Int8,
    }
}

diesel::table! {
    orders (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        buyer_id -> Uuid,
        seller_id -> Uuid,
        status -> Text,
        currency -> Text,
        total_minor -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
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

diesel::allow_tables_to_appear_in_same_query!(
    ai_config,
    automation_rules,
    conversations,
    messages,
    order_items,
    orders,
    products,
    reviews,
    seller_profiles,
);
