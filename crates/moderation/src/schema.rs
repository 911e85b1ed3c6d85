// @generated automatically by Diesel CLI.

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
        evidence_id -> Nullable<Uuid>,
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
    moderation_reviews (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        content_type -> Text,
        content_id -> Uuid,
        result_id -> Nullable<Uuid>,
        reason -> Text,
        status -> Text,
        claimed_by -> Nullable<Uuid>,
        claim_expires_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        source -> Text,
        priority -> Int4,
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

diesel::allow_tables_to_appear_in_same_query!(
    moderation_rescans,
    moderation_results,
    moderation_review_history,
    moderation_reviews,
    moderation_rules,
);
