-- Records of restrictive decisions (the EU Digital Services Act's articles 17
-- and 20 ask for both): the evidence a decision was made on, and the statement
-- of reasons its subject receives. Owned by warden-decisions; tenant tables
-- under forced RLS like the others.

-- What a decision was made on, as it was then: the content as judged (also a
-- write that was refused and so never stored: content_id is then NULL), its
-- hash, the model versions and scores, the rules with their matched spans, the
-- behaviour events of a detection, and who decided. Kept for the retention the
-- server is configured with (one year by default), then deleted by a daily job
-- per tenant; the records that point here then show no evidence.
CREATE TABLE decision_evidence (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    user_id uuid,
    decision text NOT NULL CHECK (decision ~ '^[a-z][a-z0-9_]{0,62}$'),
    content_type text CHECK (content_type IN ('product', 'review', 'message', 'seller_profile')),
    content_id uuid,
    content_text text CHECK (char_length(content_text) <= 100000),
    content_sha256 text CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    model_versions jsonb NOT NULL DEFAULT '{}',
    scores jsonb NOT NULL DEFAULT '{}',
    rules jsonb NOT NULL DEFAULT '[]',
    events jsonb NOT NULL DEFAULT '[]',
    decided_by uuid,
    decided_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, decided_by) REFERENCES users (tenant_id, id),
    CHECK ((content_text IS NULL) = (content_sha256 IS NULL)),
    CHECK (content_text IS NULL OR content_type IS NOT NULL)
);
CREATE INDEX decision_evidence_decided_idx ON decision_evidence (tenant_id, decided_at);
COMMENT ON COLUMN decision_evidence.decided_by IS 'The person who decided; NULL when the decision was automated.';

-- What the user a restrictive decision concerns is told: what was decided,
-- the facts, the ground (the tenant's rule or policy and its public text),
-- whether it was automated, and how to appeal. Kept (no content text here).
CREATE TABLE statements_of_reasons (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    decision text NOT NULL CHECK (decision IN ('content_held', 'changes_requested', 'warning',
                                               'temporary_ban', 'permanent_ban',
                                               'listing_limited', 'demoted')),
    content_type text CHECK (content_type IN ('product', 'review', 'message', 'seller_profile')),
    content_id uuid,
    violation_id uuid,
    facts text NOT NULL CHECK (char_length(facts) BETWEEN 1 AND 4000),
    ground_name text NOT NULL CHECK (char_length(ground_name) BETWEEN 1 AND 200),
    ground_text text NOT NULL CHECK (char_length(ground_text) BETWEEN 1 AND 4000),
    automated boolean NOT NULL,
    restricted_until timestamptz,
    appeal_url text,
    appeal_deadline timestamptz,
    evidence_id uuid,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    CHECK ((appeal_url IS NULL) = (appeal_deadline IS NULL))
);
CREATE INDEX statements_of_reasons_user_idx ON statements_of_reasons (tenant_id, user_id, id DESC);
CREATE INDEX statements_of_reasons_created_idx ON statements_of_reasons (tenant_id, created_at);
-- One statement per violation.
CREATE UNIQUE INDEX statements_of_reasons_one_per_violation ON statements_of_reasons (tenant_id, violation_id)
    WHERE violation_id IS NOT NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['decision_evidence', 'statements_of_reasons']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
            'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', t);
    END LOOP;
END
$$;

-- Evidence is deleted only by its retention; statements are never changed.
GRANT SELECT, INSERT, DELETE ON decision_evidence TO warden_runtime;
GRANT SELECT, INSERT ON statements_of_reasons TO warden_runtime;

-- The decisions that point at their evidence.
ALTER TABLE moderation_results ADD COLUMN evidence_id uuid;
ALTER TABLE violations ADD COLUMN evidence_id uuid;
