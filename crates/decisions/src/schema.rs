// @generated automatically by Diesel CLI.

diesel::table! {
    decision_evidence (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        user_id -> Nullable<Uuid>,
        decision -> Text,
        content_type -> Nullable<Text>,
        content_id -> Nullable<Uuid>,
        content_text -> Nullable<Text>,
        content_sha256 -> Nullable<Text>,
        model_versions -> Jsonb,
        scores -> Jsonb,
        rules -> Jsonb,
        events -> Jsonb,
        decided_by -> Nullable<Uuid>,
        decided_at -> Timestamptz,
    }
}

diesel::table! {
    statements_of_reasons (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        user_id -> Uuid,
        decision -> Text,
        content_type -> Nullable<Text>,
        content_id -> Nullable<Uuid>,
        violation_id -> Nullable<Uuid>,
        facts -> Text,
        ground_name -> Text,
        ground_text -> Text,
        automated -> Bool,
        restricted_until -> Nullable<Timestamptz>,
        appeal_url -> Nullable<Text>,
        appeal_deadline -> Nullable<Timestamptz>,
        evidence_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(decision_evidence, statements_of_reasons,);
