-- Behavior patterns and their detections; violations, the escalation ladder,
-- appeals, and the sanction state of an account. Tenant tables follow the
-- commerce conventions (tenant-leading keys, forced RLS, one policy on
-- app.tenant_id).

-- A temporary ban: status 'banned' until banned_until. A permanent ban disables
-- the account ('disabled') and names the violation in ban_violation_id, which
-- tells it apart from an account an administrator disabled by hand.
ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'disabled', 'banned'));
ALTER TABLE users ADD COLUMN banned_until timestamptz;
ALTER TABLE users ADD COLUMN ban_violation_id uuid;
ALTER TABLE users ADD CONSTRAINT users_ban_shape CHECK ((status = 'banned') = (banned_until IS NOT NULL));
CREATE INDEX users_ban_expiry_idx ON users (banned_until) WHERE status = 'banned';

CREATE TABLE behavior_patterns (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    definition jsonb NOT NULL,
    severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    mode text NOT NULL CHECK (mode IN ('shadow', 'live')),
    enabled boolean NOT NULL DEFAULT true,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
COMMENT ON COLUMN behavior_patterns.definition IS 'The pattern as saved through the API (condition, window, cooldown, …), validated on save.';

CREATE TABLE behavior_detections (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    pattern_id uuid,
    pattern_name text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    mode text NOT NULL CHECK (mode IN ('shadow', 'live')),
    source text NOT NULL CHECK (source IN ('realtime', 'retroactive')),
    group_key text NOT NULL,
    actor_id uuid,
    confidence real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    observed double precision NOT NULL,
    threshold double precision,
    evidence jsonb NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'dismissed')),
    reviewed_by uuid,
    review_note text CHECK (char_length(review_note) <= 2000),
    reviewed_at timestamptz,
    detected_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, pattern_id) REFERENCES behavior_patterns (tenant_id, id) ON DELETE SET NULL (pattern_id),
    FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, reviewed_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX behavior_detections_status_idx ON behavior_detections (tenant_id, status, id DESC);
CREATE INDEX behavior_detections_actor_idx ON behavior_detections (tenant_id, actor_id, id DESC);
CREATE INDEX behavior_detections_pattern_idx ON behavior_detections (tenant_id, pattern_id, id DESC);
COMMENT ON COLUMN behavior_detections.pattern_id IS 'NULL once the pattern is deleted; pattern_name stays.';
-- A retroactive run creates each detection once, however often it is repeated.
CREATE UNIQUE INDEX behavior_detections_retro_once ON behavior_detections (tenant_id, pattern_id, group_key, detected_at)
    WHERE source = 'retroactive';

CREATE TABLE enforcement_ladders (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    config jsonb NOT NULL,
    updated_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);
COMMENT ON TABLE enforcement_ladders IS 'A tenant''s escalation ladder; tenants without a row use the default.';

CREATE TABLE violations (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    type text NOT NULL CHECK (type IN ('content', 'behavior', 'security')),
    severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    source_kind text NOT NULL CHECK (source_kind IN ('moderation', 'detection', 'manual')),
    source_id uuid,
    reason text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 2000),
    action text NOT NULL CHECK (action IN ('warning', 'temporary_ban', 'permanent_ban')),
    ladder_step integer NOT NULL CHECK (ladder_step >= 1),
    ban_until timestamptz,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'appealed', 'overturned')),
    resolution_note text CHECK (char_length(resolution_note) <= 2000),
    resolved_by uuid,
    resolved_at timestamptz,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, resolved_by) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id),
    CHECK ((action = 'temporary_ban') = (ban_until IS NOT NULL)),
    CHECK ((source_kind = 'manual') = (source_id IS NULL))
);
-- At most one violation per source (a moderation decision, a detection).
CREATE UNIQUE INDEX violations_one_per_source ON violations (tenant_id, source_kind, source_id)
    WHERE source_id IS NOT NULL;
CREATE INDEX violations_user_idx ON violations (tenant_id, user_id, created_at DESC);
CREATE INDEX violations_created_idx ON violations (tenant_id, created_at, id);

CREATE TABLE violation_appeals (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    violation_id uuid NOT NULL,
    appellant_id uuid NOT NULL,
    text text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'upheld', 'overturned')),
    decided_by uuid,
    decision_note text CHECK (char_length(decision_note) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_at timestamptz,
    -- One appeal per violation.
    PRIMARY KEY (tenant_id, violation_id),
    FOREIGN KEY (tenant_id, violation_id) REFERENCES violations (tenant_id, id),
    FOREIGN KEY (tenant_id, appellant_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, decided_by) REFERENCES users (tenant_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['behavior_patterns', 'behavior_detections', 'enforcement_ladders',
                             'violations', 'violation_appeals']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
            'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', t);
    END LOOP;
END
$$;

-- Patterns are configuration and are deleted for real (their detections keep
-- the pattern's name); detections, violations and appeals are evidence and are
-- never deleted.
GRANT SELECT, INSERT, UPDATE, DELETE ON behavior_patterns TO warden_runtime;
GRANT SELECT, INSERT, UPDATE ON behavior_detections, enforcement_ladders, violations, violation_appeals TO warden_runtime;
