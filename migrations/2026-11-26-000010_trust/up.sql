-- Seller trust: each seller's level, score (with its breakdown) and risk,
-- the history of every change, verification steps, and the tenant's trust
-- settings (limits, feature gates, weights, thresholds). Tenant tables follow
-- the commerce conventions (tenant-leading keys, forced RLS, one policy on
-- app.tenant_id).

CREATE TABLE seller_trust (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    seller_id uuid NOT NULL,
    level integer NOT NULL DEFAULT 0 CHECK (level BETWEEN 0 AND 3),
    score real NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
    breakdown jsonb NOT NULL DEFAULT '{}',
    risk text NOT NULL DEFAULT 'low' CHECK (risk IN ('low', 'medium', 'high')),
    override_level integer CHECK (override_level BETWEEN 0 AND 3),
    override_reason text CHECK (char_length(override_reason) <= 2000),
    demotion_due_at timestamptz,
    computed_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, seller_id),
    FOREIGN KEY (tenant_id, seller_id) REFERENCES seller_profiles (tenant_id, id)
);

CREATE TABLE trust_history (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    seller_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('score', 'level', 'override', 'risk', 'warning')),
    from_value text,
    to_value text NOT NULL,
    reason text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 2000),
    actor_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, seller_id) REFERENCES seller_profiles (tenant_id, id)
);
CREATE INDEX trust_history_seller_idx ON trust_history (tenant_id, seller_id, id DESC);

CREATE TABLE seller_verifications (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    seller_id uuid NOT NULL,
    step text NOT NULL CHECK (char_length(step) BETWEEN 1 AND 50),
    status text NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'approved', 'rejected')),
    evidence jsonb NOT NULL DEFAULT '{}',
    code_hash text,
    code_expires_at timestamptz,
    code_attempts integer NOT NULL DEFAULT 0,
    reviewer_id uuid,
    notes text CHECK (char_length(notes) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, seller_id) REFERENCES seller_profiles (tenant_id, id),
    FOREIGN KEY (tenant_id, reviewer_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX seller_verifications_seller_idx ON seller_verifications (tenant_id, seller_id, step, id DESC);

CREATE TABLE trust_settings (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    config jsonb NOT NULL,
    updated_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);
COMMENT ON TABLE trust_settings IS 'A tenant''s listing limits, feature gates, score weights and thresholds; tenants without a row use the defaults.';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['seller_trust', 'trust_history', 'seller_verifications', 'trust_settings']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
            'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', t);
    END LOOP;
END
$$;

-- History and verifications are evidence and are never deleted.
GRANT SELECT, INSERT, UPDATE ON seller_trust, trust_history, seller_verifications, trust_settings TO warden_runtime;
