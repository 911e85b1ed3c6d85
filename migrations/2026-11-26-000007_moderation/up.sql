-- Content moderation: a tenant's filter rules, the decision recorded for every
-- analysed piece of content, the human review queue with its history, rescans
-- of existing content, and the moderation state of each kind of content.
-- Tenant tables follow the commerce conventions (tenant-leading keys, forced RLS,
-- one policy on app.tenant_id). The job queue is a platform table: see below.

CREATE TABLE moderation_rules (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('pattern', 'sentiment', 'toxicity', 'language', 'entities')),
    config jsonb NOT NULL,
    content_types text[] NOT NULL
        CHECK (cardinality(content_types) >= 1
               AND content_types <@ ARRAY['product', 'review', 'message', 'seller_profile']),
    action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]{0,62}$'),
    priority integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000000 AND 1000000),
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON COLUMN moderation_rules.action IS 'allow, flag, require_review, reject, or a custom named action (recorded, delivered by webhook later).';
COMMENT ON COLUMN moderation_rules.config IS 'The object of the rule''s kind, e.g. {"keywords": [...], "regex": [...]} for pattern.';

CREATE TABLE moderation_results (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('product', 'review', 'message', 'seller_profile')),
    content_id uuid NOT NULL,
    source text NOT NULL CHECK (source IN ('write', 'rescan')),
    rescan_id uuid,
    scores jsonb NOT NULL,
    entities jsonb NOT NULL,
    matches jsonb NOT NULL,
    model_versions jsonb NOT NULL,
    confidence real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    recommended_action text NOT NULL,
    applied_action text NOT NULL,
    custom_actions text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX moderation_results_content_idx ON moderation_results (tenant_id, content_type, content_id, id DESC);
CREATE INDEX moderation_results_action_idx ON moderation_results (tenant_id, applied_action, id DESC);
-- A rescan records each piece of content once, however often a page is retried.
CREATE UNIQUE INDEX moderation_results_rescan_once ON moderation_results (tenant_id, rescan_id, content_type, content_id)
    WHERE rescan_id IS NOT NULL;

CREATE TABLE moderation_reviews (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('product', 'review', 'message', 'seller_profile')),
    content_id uuid NOT NULL,
    result_id uuid NOT NULL,
    reason text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'escalated', 'approved', 'rejected', 'changes_requested', 'superseded')),
    claimed_by uuid,
    claim_expires_at timestamptz,
    decided_by uuid,
    decided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, result_id) REFERENCES moderation_results (tenant_id, id),
    FOREIGN KEY (tenant_id, claimed_by) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, decided_by) REFERENCES users (tenant_id, id),
    CHECK ((claimed_by IS NULL) = (claim_expires_at IS NULL))
);
CREATE INDEX moderation_reviews_queue_idx ON moderation_reviews (tenant_id, status, id);
-- At most one open item per piece of content.
CREATE UNIQUE INDEX moderation_reviews_one_open ON moderation_reviews (tenant_id, content_type, content_id)
    WHERE status IN ('pending', 'escalated');

CREATE TABLE moderation_review_history (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    review_id uuid NOT NULL,
    actor_id uuid,
    action text NOT NULL
        CHECK (action IN ('created', 'claimed', 'approve', 'reject', 'request_changes', 'escalate', 'superseded')),
    note text NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, review_id) REFERENCES moderation_reviews (tenant_id, id),
    FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX moderation_review_history_review_idx ON moderation_review_history (tenant_id, review_id, id);

CREATE TABLE moderation_rescans (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    content_types text[] NOT NULL
        CHECK (cardinality(content_types) >= 1
               AND content_types <@ ARRAY['product', 'review', 'message', 'seller_profile']),
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    total bigint NOT NULL DEFAULT 0,
    processed bigint NOT NULL DEFAULT 0,
    changed bigint NOT NULL DEFAULT 0,
    cursor jsonb NOT NULL DEFAULT '{}',
    requested_by uuid,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    run_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, requested_by) REFERENCES users (tenant_id, id)
);
COMMENT ON COLUMN moderation_rescans.cursor IS 'Where the rescan stands: the content type and last id done, written with each page.';

-- Moderation state of content. approved: visible; flagged: visible, marked for staff;
-- pending_review: hidden from buyers until a reviewer approves; rejected and
-- changes_requested: hidden (the author may edit, which moderates again).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['products', 'reviews', 'messages', 'seller_profiles']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN moderation_status text NOT NULL DEFAULT ''approved'' '
                       'CHECK (moderation_status IN (''approved'', ''flagged'', ''pending_review'', ''rejected'', ''changes_requested''))', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['moderation_rules', 'moderation_results', 'moderation_reviews',
                             'moderation_review_history', 'moderation_rescans']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
            'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', t);
    END LOOP;
END
$$;

-- Rules are deleted for real (they are configuration, and every decision keeps
-- the rules it matched); everything else is evidence and is never deleted.
GRANT SELECT, INSERT, UPDATE, DELETE ON moderation_rules TO warden_runtime;
GRANT SELECT, INSERT, UPDATE ON moderation_results, moderation_reviews, moderation_review_history,
    moderation_rescans TO warden_runtime;

-- The background job queue. A platform table, not a tenant table: a worker must
-- claim the next job whatever its tenant (FOR UPDATE SKIP LOCKED), so the queue
-- holds only the job's kind, tenant and the ids it needs; the job then does all
-- its work in a tenant transaction of that tenant.
CREATE TABLE job_queue (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    kind text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 100),
    payload jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at timestamptz NOT NULL DEFAULT now(),
    locked_by text,
    locked_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE job_queue IS 'Background jobs, claimed with FOR UPDATE SKIP LOCKED; a running job whose lease expired is claimed again and resumes.';
CREATE INDEX job_queue_ready_idx ON job_queue (run_at) WHERE status IN ('queued', 'running');
GRANT SELECT, INSERT, UPDATE ON job_queue TO warden_runtime;
