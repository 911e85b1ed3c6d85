-- User reports (notice and action): any member reports a listing, review,
-- message, store or user with a category of the tenant's list. One open
-- report per reporter and target (a repeat is merged into it); the open
-- reports of one target share one review item of the moderation queue
-- (moderation_reviews with source 'report'), whose priority grows with the
-- number of distinct reporters and their accuracy (reporters). Owned by
-- warden-reports; the review items stay moderation's.

-- Report items in moderation's queue: no moderation result behind them, and
-- a user may be their target. Automated items rank as two first-time
-- reporters (priority 100); see warden_reports::priority.
ALTER TABLE moderation_reviews
    ADD COLUMN source text NOT NULL DEFAULT 'automated' CHECK (source IN ('automated', 'report')),
    ADD COLUMN priority integer NOT NULL DEFAULT 100 CHECK (priority >= 0),
    ALTER COLUMN result_id DROP NOT NULL,
    DROP CONSTRAINT moderation_reviews_content_type_check,
    ADD CONSTRAINT moderation_reviews_content_type_check
        CHECK (content_type IN ('product', 'review', 'message', 'seller_profile', 'user')),
    ADD CONSTRAINT moderation_reviews_report_check
        CHECK (CASE source WHEN 'automated' THEN result_id IS NOT NULL AND content_type <> 'user'
                           ELSE result_id IS NULL END);
-- One open item per piece of content and source: an automated hold and the
-- reports of the same content are decided separately.
DROP INDEX moderation_reviews_one_open;
CREATE UNIQUE INDEX moderation_reviews_one_open ON moderation_reviews (tenant_id, content_type, content_id, source)
    WHERE status IN ('pending', 'escalated');
-- The queue order: priority first, then oldest first.
CREATE INDEX moderation_reviews_priority_idx ON moderation_reviews (tenant_id, status, priority DESC, id);

-- The tenant's report categories and per-reporter rate (defaults when no row).
CREATE TABLE report_settings (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    categories text[] NOT NULL CHECK (cardinality(categories) BETWEEN 1 AND 50),
    reports_per_hour integer NOT NULL CHECK (reports_per_hour BETWEEN 1 AND 10000),
    updated_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);

-- A reporter's standing: trusted flagger or not, and how their decided
-- reports went (the accuracy their reports weigh with).
CREATE TABLE reporters (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    user_id uuid NOT NULL,
    trusted boolean NOT NULL DEFAULT false,
    trusted_by uuid,
    trusted_at timestamptz,
    upheld integer NOT NULL DEFAULT 0 CHECK (upheld >= 0),
    dismissed integer NOT NULL DEFAULT 0 CHECK (dismissed >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, trusted_by) REFERENCES users (tenant_id, id)
);

CREATE TABLE reports (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    reporter_id uuid NOT NULL,
    target_type text NOT NULL CHECK (target_type IN ('listing', 'review', 'message', 'store', 'user')),
    target_id uuid NOT NULL,
    category text NOT NULL CHECK (category ~ '^[a-z][a-z0-9_]{0,62}$'),
    text text NOT NULL DEFAULT '' CHECK (char_length(text) <= 2000),
    message_ids uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(message_ids) <= 20),
    times_reported integer NOT NULL DEFAULT 1 CHECK (times_reported >= 1),
    review_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    outcome text CHECK (outcome IN ('upheld', 'dismissed')),
    decided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, reporter_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, review_id) REFERENCES moderation_reviews (tenant_id, id),
    CHECK ((status = 'closed') = (outcome IS NOT NULL) AND (outcome IS NULL) = (decided_at IS NULL))
);
COMMENT ON COLUMN reports.times_reported IS 'How often the reporter reported the target while this report was open (repeats are merged).';
-- One open report per reporter and target: a repeat is merged into it.
CREATE UNIQUE INDEX reports_one_open ON reports (tenant_id, reporter_id, target_type, target_id)
    WHERE status = 'open';
CREATE INDEX reports_reporter_idx ON reports (tenant_id, reporter_id, id);
CREATE INDEX reports_review_idx ON reports (tenant_id, review_id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['report_settings', 'reporters', 'reports']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
            'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', t);
    END LOOP;
END
$$;

-- Reports are evidence and are never deleted; settings and standings change.
GRANT SELECT, INSERT, UPDATE ON report_settings, reporters, reports TO warden_runtime;
