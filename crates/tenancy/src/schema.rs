//! Diesel table definitions, kept by hand in step with `migrations/`.
//! The migration round-trip and catalog tests catch drift between the two.
#![expect(
    missing_docs,
    reason = "diesel's table! macro generates the undocumented items"
)]

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

diesel::table! {
    api_usage (tenant_id, granularity, bucket) {
        tenant_id -> Uuid,
        granularity -> Text,
        bucket -> Timestamptz,
        calls -> Int8,
    }
}

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
    moderation_rules (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        name -> Text,
        kind -> Text,
        config -> Jsonb,
        content_types -> Array<Text>,
        action -> Text,
        priority -> Int4,
        enabled -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    moderation_results (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        content_type -> Text,
        content_id -> Uuid,
        source -> Text,
        rescan_id -> Nullable<Uuid>,
        scores -> Jsonb,
        entities -> Jsonb,
        matches -> Jsonb,
        model_versions -> Jsonb,
        confidence -> Float4,
        recommended_action -> Text,
        applied_action -> Text,
        custom_actions -> Array<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    moderation_reviews (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        content_type -> Text,
        content_id -> Uuid,
        result_id -> Uuid,
        reason -> Text,
        status -> Text,
        claimed_by -> Nullable<Uuid>,
        claim_expires_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    moderation_review_history (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        review_id -> Uuid,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        note -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    moderation_rescans (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        content_types -> Array<Text>,
        status -> Text,
        total -> Int8,
        processed -> Int8,
        changed -> Int8,
        cursor -> Jsonb,
        requested_by -> Nullable<Uuid>,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
        run_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
    }
}

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
    behavior_patterns (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        name -> Text,
        definition -> Jsonb,
        severity -> Text,
        mode -> Text,
        enabled -> Bool,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    behavior_detections (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        pattern_id -> Nullable<Uuid>,
        pattern_name -> Text,
        severity -> Text,
        mode -> Text,
        source -> Text,
        group_key -> Text,
        actor_id -> Nullable<Uuid>,
        confidence -> Float4,
        observed -> Float8,
        threshold -> Nullable<Float8>,
        evidence -> Jsonb,
        status -> Text,
        reviewed_by -> Nullable<Uuid>,
        review_note -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamptz>,
        detected_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    enforcement_ladders (tenant_id) {
        tenant_id -> Uuid,
        config -> Jsonb,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    violations (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        user_id -> Uuid,
        #[sql_name = "type"]
        violation_type -> Text,
        severity -> Text,
        source_kind -> Text,
        source_id -> Nullable<Uuid>,
        reason -> Text,
        action -> Text,
        ladder_step -> Int4,
        ban_until -> Nullable<Timestamptz>,
        status -> Text,
        resolution_note -> Nullable<Text>,
        resolved_by -> Nullable<Uuid>,
        resolved_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    violation_appeals (tenant_id, violation_id) {
        tenant_id -> Uuid,
        violation_id -> Uuid,
        appellant_id -> Uuid,
        text -> Text,
        status -> Text,
        decided_by -> Nullable<Uuid>,
        decision_note -> Nullable<Text>,
        created_at -> Timestamptz,
        decided_at -> Nullable<Timestamptz>,
    }
}

// `notifications.search` (a generated tsvector) is left out: queries use it through SQL.
diesel::table! {
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
    }
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
    notification_settings (tenant_id) {
        tenant_id -> Uuid,
        config -> Jsonb,
        updated_by -> Nullable<Uuid>,
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
    trust_settings (tenant_id) {
        tenant_id -> Uuid,
        config -> Jsonb,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    users,
    seller_profiles,
    products,
    orders,
    order_items,
    conversations,
    messages,
    reviews,
    ai_config,
    tenant_limits,
    tenant_usage,
    api_usage,
    activity_log,
    platform_activity_log,
    hub_events,
    moderation_rules,
    moderation_results,
    moderation_reviews,
    moderation_review_history,
    moderation_rescans,
    job_queue,
    behavior_patterns,
    behavior_detections,
    enforcement_ladders,
    violations,
    violation_appeals,
    notifications,
    notification_deliveries,
    notification_preferences,
    notification_templates,
    notification_settings,
    notification_send_counts,
    seller_trust,
    trust_history,
    seller_verifications,
    trust_settings,
);
