// @generated automatically by Diesel CLI.

diesel::table! {
    enforcement_ladders (tenant_id) {
        tenant_id -> Uuid,
        config -> Jsonb,
        updated_by -> Nullable<Uuid>,
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

diesel::allow_tables_to_appear_in_same_query!(enforcement_ladders, violation_appeals, violations,);
