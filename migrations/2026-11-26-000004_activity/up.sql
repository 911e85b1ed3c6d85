-- Activity and audit log: one row per API request (and per audited change),
-- written in batches by the audit writer, partitioned by day so that retention
-- drops whole partitions. Requests with no tenant (bad token, no tenant header,
-- platform routes) go to platform_activity_log, which only platform tooling reads.

CREATE TABLE activity_log (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    request_id text,
    actor_id uuid,
    actor_subject text,
    actor_roles text[] NOT NULL DEFAULT '{}',
    kind text NOT NULL CHECK (kind IN ('auth', 'resource_create', 'resource_update', 'resource_delete',
                                       'api_call', 'system', 'security')),
    action text NOT NULL,
    method text,
    route text,
    path text,
    status smallint,
    latency_us bigint,
    bytes_in bigint,
    bytes_out bigint,
    client_ip text,
    user_agent text,
    resource_type text,
    resource_id text,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Leads with (tenant_id, id) so it also serves id lookups and keyset pages.
    PRIMARY KEY (tenant_id, id, occurred_at)
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE activity_log IS 'Every API call and audited change of a tenant; daily partitions, retention by dropping partitions.';
CREATE INDEX activity_log_actor_idx ON activity_log (tenant_id, actor_id, id DESC);
CREATE INDEX activity_log_resource_idx ON activity_log (tenant_id, resource_type, resource_id, id DESC);

CREATE TABLE platform_activity_log (
    id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    request_id text,
    claimed_tenant text,
    actor_subject text,
    actor_roles text[] NOT NULL DEFAULT '{}',
    kind text NOT NULL,
    action text NOT NULL,
    method text,
    route text,
    path text,
    status smallint,
    latency_us bigint,
    bytes_in bigint,
    bytes_out bigint,
    client_ip text,
    user_agent text,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (occurred_at, id)
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE platform_activity_log IS 'Requests that reached no tenant: failed authentication, missing or unknown tenant, platform routes.';

-- Large hub events are stored here and announced by reference (NOTIFY payloads are small).
CREATE TABLE hub_events (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    topic text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE hub_events IS 'Bodies of live events too large for a NOTIFY payload; pruned after a day.';

-- Partitions are DDL, which the runtime role may not run; this function, owned
-- by the owner role, creates the days ahead (with the tenant policy on each
-- activity partition) and drops those past retention.
CREATE FUNCTION activity_log_maintain(days_ahead integer, retention_days integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    parent text;
    d date;
    part text;
    created integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('activity_log_maintain'));
    FOREACH parent IN ARRAY ARRAY['activity_log', 'platform_activity_log'] LOOP
        FOR i IN 0..greatest(days_ahead, 0) LOOP
            d := (now() AT TIME ZONE 'UTC')::date + i;
            part := parent || '_' || to_char(d, 'YYYYMMDD');
            IF to_regclass(part) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                               part, parent, (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
                IF parent = 'activity_log' THEN
                    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
                    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', part);
                    EXECUTE format(
                        'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
                        'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', part);
                END IF;
                created := created + 1;
            END IF;
        END LOOP;
        FOR part IN
            SELECT c.relname FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relname = parent AND c.relname ~ ('^' || parent || '_[0-9]{8}$')
              AND to_date(right(c.relname, 8), 'YYYYMMDD') < (now() AT TIME ZONE 'UTC')::date - greatest(retention_days, 1)
        LOOP
            EXECUTE format('DROP TABLE %I', part);
        END LOOP;
    END LOOP;
    RETURN created;
END
$$;
REVOKE ALL ON FUNCTION activity_log_maintain(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION activity_log_maintain(integer, integer) TO warden_runtime;

-- Rows outside every daily partition (clock skew, a maintenance gap) land here
-- instead of failing the insert.
CREATE TABLE activity_log_default PARTITION OF activity_log DEFAULT;
CREATE TABLE platform_activity_log_default PARTITION OF platform_activity_log DEFAULT;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['activity_log', 'activity_log_default', 'hub_events']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
            'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', t);
    END LOOP;
END
$$;

-- The log is append-only for the runtime role: no UPDATE, no DELETE.
GRANT SELECT, INSERT ON activity_log, platform_activity_log TO warden_runtime;
GRANT SELECT, INSERT, DELETE ON hub_events TO warden_runtime;

SELECT activity_log_maintain(3, 90);
