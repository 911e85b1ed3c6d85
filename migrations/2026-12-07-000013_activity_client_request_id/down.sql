DROP FUNCTION activity_log_ingest(uuid, boolean, text[], uuid[], timestamptz[], text[], text[], uuid[], text[], text[], text[], text[], text[], text[], text[], smallint[], bigint[], bigint[], bigint[], text[], text[], text[], text[], jsonb[]);
CREATE FUNCTION activity_log_ingest(
    tenant uuid, skip_existing boolean, notices text[],
    i uuid[], o timestamptz[], rq text[], a uuid[], s text[], rl text[], k text[], ac text[], m text[],
    ro text[], p text[], st smallint[], l bigint[], bi bigint[], bo bigint[], ip text[], ua text[],
    rt text[], ri text[], md jsonb[])
RETURNS void
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = public, pg_temp
AS $$
DECLARE
    caller_tenant text := coalesce(current_setting('app.tenant_id', true), '');
BEGIN
    -- Inside another tenant's transaction this would write across tenants.
    -- Callers: the writer (no tenant context) and audited changes (the same
    -- tenant's transaction, whose context is restored below).
    IF caller_tenant <> '' AND caller_tenant <> tenant::text THEN
        RAISE EXCEPTION 'activity_log_ingest called inside another tenant''s transaction'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('app.tenant_id', tenant::text, true);
    -- Two copies of one INSERT, differing only in ON CONFLICT: PL/pgSQL keeps
    -- each statement's plan, while EXECUTE with a variable clause would plan
    -- it again for every batch.
    IF skip_existing THEN
            INSERT INTO activity_log (tenant_id, id, occurred_at, request_id, actor_id, actor_subject, actor_roles,
                kind, action, method, route, path, status, latency_us, bytes_in, bytes_out, client_ip, user_agent,
                resource_type, resource_id, metadata)
            SELECT tenant, u.i, u.o, u.rq, u.a, u.s, coalesce(string_to_array(NULLIF(u.rl, ''), ','), '{}'),
                   u.k, u.ac, u.m, u.ro, u.p, u.st, u.l, u.bi, u.bo, u.ip, u.ua, u.rt, u.ri, u.md
            FROM (SELECT unnest(i) AS i, unnest(o) AS o, unnest(rq) AS rq, unnest(a) AS a, unnest(s) AS s,
                         unnest(rl) AS rl, unnest(k) AS k, unnest(ac) AS ac, unnest(m) AS m, unnest(ro) AS ro,
                         unnest(p) AS p, unnest(st) AS st, unnest(l) AS l, unnest(bi) AS bi, unnest(bo) AS bo,
                         unnest(ip) AS ip, unnest(ua) AS ua, unnest(rt) AS rt, unnest(ri) AS ri, unnest(md) AS md) AS u
            ON CONFLICT DO NOTHING;
    ELSE
            INSERT INTO activity_log (tenant_id, id, occurred_at, request_id, actor_id, actor_subject, actor_roles,
                kind, action, method, route, path, status, latency_us, bytes_in, bytes_out, client_ip, user_agent,
                resource_type, resource_id, metadata)
            SELECT tenant, u.i, u.o, u.rq, u.a, u.s, coalesce(string_to_array(NULLIF(u.rl, ''), ','), '{}'),
                   u.k, u.ac, u.m, u.ro, u.p, u.st, u.l, u.bi, u.bo, u.ip, u.ua, u.rt, u.ri, u.md
            FROM (SELECT unnest(i) AS i, unnest(o) AS o, unnest(rq) AS rq, unnest(a) AS a, unnest(s) AS s,
                         unnest(rl) AS rl, unnest(k) AS k, unnest(ac) AS ac, unnest(m) AS m, unnest(ro) AS ro,
                         unnest(p) AS p, unnest(st) AS st, unnest(l) AS l, unnest(bi) AS bi, unnest(bo) AS bo,
                         unnest(ip) AS ip, unnest(ua) AS ua, unnest(rt) AS rt, unnest(ri) AS ri, unnest(md) AS md) AS u;
    END IF;
    PERFORM set_config('app.tenant_id', caller_tenant, true);
    PERFORM pg_notify('warden_events', n) FROM unnest(notices) n;
END
$$;
REVOKE ALL ON FUNCTION activity_log_ingest FROM PUBLIC;
GRANT EXECUTE ON FUNCTION activity_log_ingest TO warden_runtime;
DROP INDEX activity_log_client_request_idx;
ALTER TABLE platform_activity_log DROP COLUMN client_request_id;
ALTER TABLE activity_log DROP COLUMN client_request_id;
