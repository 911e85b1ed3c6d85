-- The job queue under row-level security.
--
-- Jobs carry tenant ids and payloads (violation evidence among them), so the
-- queue is a tenant table like the others: the runtime role enqueues and reads
-- jobs only inside a tenant transaction, and only that tenant's.
--
-- A worker must still claim the next job whatever its tenant. It does so, and
-- settles its jobs, through the SECURITY DEFINER functions below, owned by
-- `warden_queue` (NOLOGIN, no BYPASSRLS, created by `warden migrate`). That role
-- is not the table owner and holds only what the functions use: it may read the
-- queue's bookkeeping columns but not `payload`, and may update only the
-- bookkeeping columns, so no call can hand out another tenant's payload. A
-- claim returns the job's id, tenant, kind, attempts and a lease token; the
-- worker reads the payload afterwards under RLS with the job's tenant set.
-- Settling (extend, complete, fail) takes the lease token, which each claim
-- replaces: a worker whose lease lapsed and whose job another worker claimed
-- can no longer touch it.
--
-- Every function pins search_path (pg_temp last) and names tables with their
-- schema, so nothing a caller creates can stand in for what it uses.

ALTER TABLE job_queue ADD COLUMN lease_token uuid;
COMMENT ON COLUMN job_queue.lease_token IS 'Replaced by each claim; settling a job needs the token of the claim that holds it.';

-- Like every tenant table, keyed by tenant first.
ALTER TABLE job_queue DROP CONSTRAINT job_queue_pkey;
ALTER TABLE job_queue ADD PRIMARY KEY (tenant_id, id);

ALTER TABLE job_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job_queue
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
-- The claim functions see every tenant's jobs; their role can read no payload.
CREATE POLICY queue_worker ON job_queue TO warden_queue USING (true) WITH CHECK (true);

-- Settling goes through the functions: the runtime role no longer updates jobs.
REVOKE UPDATE ON job_queue FROM warden_runtime;
GRANT SELECT (id, tenant_id, kind, status, attempts, max_attempts, run_at, locked_until, lease_token)
    ON job_queue TO warden_queue;
GRANT UPDATE (status, attempts, run_at, locked_by, locked_until, lease_token, last_error, updated_at)
    ON job_queue TO warden_queue;

-- Claims the oldest ready job of one of `kinds` (of `only_tenant` when not
-- null) for `lease`: a queued job whose time has come, or a running one whose
-- lease lapsed. FOR UPDATE SKIP LOCKED: concurrent claims never wait on or take
-- each other's job.
CREATE FUNCTION job_queue_claim(worker text, kinds text[], only_tenant uuid, lease interval)
RETURNS TABLE (id uuid, tenant_id uuid, kind text, attempts integer, max_attempts integer, lease_token uuid)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    UPDATE public.job_queue AS j
       SET status = 'running', attempts = j.attempts + 1, locked_by = left(worker, 200),
           locked_until = now() + lease, lease_token = gen_random_uuid(), updated_at = now()
     WHERE (j.tenant_id, j.id) = (
           SELECT q.tenant_id, q.id FROM public.job_queue AS q
            WHERE q.kind = ANY (kinds)
              AND (only_tenant IS NULL OR q.tenant_id = only_tenant)
              AND ((q.status = 'queued' AND q.run_at <= now())
                   OR (q.status = 'running' AND q.locked_until < now()))
            ORDER BY q.run_at, q.id
            LIMIT 1
              FOR UPDATE SKIP LOCKED)
    RETURNING j.id, j.tenant_id, j.kind, j.attempts, j.max_attempts, j.lease_token
$$;

-- Extends the lease of a job the caller's claim still holds; false when it no longer does.
CREATE FUNCTION job_queue_extend(tenant uuid, job uuid, token uuid, lease interval)
RETURNS boolean
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    WITH held AS (
        UPDATE public.job_queue AS j
           SET locked_until = now() + lease, updated_at = now()
         WHERE j.tenant_id = tenant AND j.id = job AND j.lease_token = token AND j.status = 'running'
        RETURNING 1)
    SELECT EXISTS (SELECT FROM held)
$$;

-- Marks a job the caller's claim holds done; false when it no longer holds it.
CREATE FUNCTION job_queue_complete(tenant uuid, job uuid, token uuid)
RETURNS boolean
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    WITH done AS (
        UPDATE public.job_queue AS j
           SET status = 'done', run_at = now(), locked_by = NULL, locked_until = NULL,
               lease_token = NULL, updated_at = now()
         WHERE j.tenant_id = tenant AND j.id = job AND j.lease_token = token AND j.status = 'running'
        RETURNING 1)
    SELECT EXISTS (SELECT FROM done)
$$;

-- Records a failure of a job the caller's claim holds: queued again after
-- `retry_in`, or failed for good once its attempts are used up. Returns the
-- new status, or null when the claim no longer holds the job.
CREATE FUNCTION job_queue_fail(tenant uuid, job uuid, token uuid, error text, retry_in interval)
RETURNS text
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    UPDATE public.job_queue AS j
       SET status = CASE WHEN j.attempts < j.max_attempts THEN 'queued' ELSE 'failed' END,
           last_error = left(error, 2000), run_at = now() + retry_in, locked_by = NULL,
           locked_until = NULL, lease_token = NULL, updated_at = now()
     WHERE j.tenant_id = tenant AND j.id = job AND j.lease_token = token AND j.status = 'running'
    RETURNING j.status
$$;

-- Owned by the queue role (the owner role is a member of it; changing an
-- owner needs the new owner to have CREATE on the schema, for that moment only).
GRANT CREATE ON SCHEMA public TO warden_queue;
ALTER FUNCTION job_queue_claim OWNER TO warden_queue;
ALTER FUNCTION job_queue_extend OWNER TO warden_queue;
ALTER FUNCTION job_queue_complete OWNER TO warden_queue;
ALTER FUNCTION job_queue_fail OWNER TO warden_queue;
REVOKE CREATE ON SCHEMA public FROM warden_queue;

REVOKE ALL ON FUNCTION job_queue_claim, job_queue_extend, job_queue_complete, job_queue_fail FROM PUBLIC;
GRANT EXECUTE ON FUNCTION job_queue_claim, job_queue_extend, job_queue_complete, job_queue_fail
    TO warden_runtime;
