-- Finding a waiting job of a kind for a tenant (one recomputation per store,
-- one daily pass per tenant) without scanning the queue's history.
CREATE INDEX job_queue_waiting_idx ON job_queue (tenant_id, kind) WHERE status = 'queued';
