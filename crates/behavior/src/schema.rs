// @generated automatically by Diesel CLI.

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
    violations (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        user_id -> Uuid,
        #[sql_name = "type"]
        type_ -> Text,
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
        evidence_id -> Nullable<Uuid>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(behavior_detections, behavior_patterns, violations,);
