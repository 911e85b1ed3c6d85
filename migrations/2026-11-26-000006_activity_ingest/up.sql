-- Faster audit ingestion.
--
-- 1. One round trip per batch: the writer sends each tenant's events as column
--    arrays and calls this function once per tenant, all in one statement
--    (`SELECT activity_log_ingest(…), activity_log_ingest(…), …`) inside one
--    transaction. The function sets its tenant's context transaction-locally,
--    exactly as a tenant transaction does, then inserts. It runs with the caller's rights
--    (SECURITY INVOKER), so row-level security checks every row as before; it
--    only saves the per-tenant round trips and the re-planning of each INSERT
--    (PL/pgSQL keeps its plans for the session). It also sends the writer's
--    NOTIFY payloads, which commit with the rows.
-- 2. Leaner secondary indexes: without the trailing event id their keys repeat,
--    so B-tree deduplication packs them into posting lists. The index is smaller
--    and an insert touches fewer pages; queries sort a tenant's matching rows by
--    id, which the daily partitions keep small.

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

DROP INDEX activity_log_actor_idx;
DROP INDEX activity_log_resource_idx;
CREATE INDEX activity_log_actor_idx ON activity_log (tenant_id, actor_id);
CREATE INDEX activity_log_resource_idx ON activity_log (tenant_id, resource_type, resource_id);

-- 3. The reference to tenants is checked once per statement instead of once
--    per row. A foreign key runs a query for every inserted row, which cost a
--    fifth of the database's time at 100,000 events a second. This trigger
--    gives the same guarantees: a row for a tenant that does not exist is
--    refused with SQLSTATE 23503 (foreign_key_violation), the tenants are
--    locked FOR KEY SHARE as a foreign key locks them, and a tenant with log
--    rows can be neither deleted nor given another id. The runtime role has no UPDATE on the log, and
--    partitions are written only through the parent.
ALTER TABLE activity_log DROP CONSTRAINT activity_log_tenant_id_fkey;

CREATE FUNCTION activity_log_check_tenants()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    missing uuid;
BEGIN
    SELECT n.tenant_id INTO missing
    FROM (SELECT DISTINCT tenant_id FROM new_rows) n
    LEFT JOIN LATERAL (SELECT t.id FROM tenants t WHERE t.id = n.tenant_id FOR KEY SHARE) t ON true
    WHERE t.id IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert on table "activity_log" violates foreign key constraint "activity_log_tenant_id_fkey"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (tenant_id)=(%s) is not present in table "tenants".', missing),
                  TABLE = 'activity_log',
                  CONSTRAINT = 'activity_log_tenant_id_fkey';
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION activity_log_check_tenants FROM PUBLIC;
CREATE TRIGGER activity_log_tenant_fk AFTER INSERT ON activity_log
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activity_log_check_tenants();

CREATE FUNCTION tenants_keep_logged()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    -- Under REPEATABLE READ or SERIALIZABLE the check below would not see log
    -- rows committed after this transaction began; a foreign key would.
    -- Tenants are not deleted in normal operation: refuse, retryably.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'tenants with an activity log are deleted or re-keyed only under READ COMMITTED'
            USING ERRCODE = 'serialization_failure';
    END IF;
    IF EXISTS (SELECT FROM activity_log WHERE tenant_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "tenants" violates foreign key constraint "activity_log_tenant_id_fkey" on table "activity_log"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "activity_log".', OLD.id),
                  TABLE = 'tenants',
                  CONSTRAINT = 'activity_log_tenant_id_fkey';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$;
REVOKE ALL ON FUNCTION tenants_keep_logged FROM PUBLIC;
CREATE TRIGGER tenants_keep_logged BEFORE DELETE OR UPDATE OF id ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_keep_logged();
