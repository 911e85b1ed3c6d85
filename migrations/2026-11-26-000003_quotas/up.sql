-- Rate limits, resource quotas and API usage of each tenant. All three tables are
-- tenant-scoped (RLS forced, one policy), like the commerce tables.

-- Per-tenant overrides set by platform administrators; a tenant without a row,
-- or a NULL column, gets the default.
CREATE TABLE tenant_limits (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    requests_per_minute integer CHECK (requests_per_minute > 0),
    requests_per_hour integer CHECK (requests_per_hour > 0),
    requests_per_day integer CHECK (requests_per_day > 0),
    user_requests_per_minute integer CHECK (user_requests_per_minute > 0),
    max_products bigint CHECK (max_products >= 0),
    max_users bigint CHECK (max_users >= 0),
    max_storage_bytes bigint CHECK (max_storage_bytes >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
COMMENT ON TABLE tenant_limits IS 'Per-tenant overrides of rate limits and resource quotas; NULL means the default.';
COMMENT ON COLUMN tenant_limits.user_requests_per_minute IS 'Per-user limit inside the tenant; NULL means off.';

-- Running totals of what a tenant stores, changed in the same transaction as the
-- write that changes them; the row lock serialises concurrent creates, so a
-- quota can never be exceeded by a race.
CREATE TABLE tenant_usage (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    products bigint NOT NULL DEFAULT 0 CHECK (products >= 0),
    users bigint NOT NULL DEFAULT 0 CHECK (users >= 0),
    storage_bytes bigint NOT NULL DEFAULT 0 CHECK (storage_bytes >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
COMMENT ON TABLE tenant_usage IS 'Products, users and stored bytes of a tenant, kept transactionally for quota checks.';

-- API calls per tenant, in minute, hour and day buckets, written in batches.
CREATE TABLE api_usage (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    granularity text NOT NULL CHECK (granularity IN ('minute', 'hour', 'day')),
    bucket timestamptz NOT NULL,
    calls bigint NOT NULL CHECK (calls >= 0),
    PRIMARY KEY (tenant_id, granularity, bucket)
);
COMMENT ON TABLE api_usage IS 'API calls per tenant and time bucket; minute buckets are pruned after two days, hour and day buckets are kept.';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant_limits', 'tenant_usage', 'api_usage']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
            'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON tenant_limits, tenant_usage TO warden_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON api_usage TO warden_runtime;
