DROP INDEX job_queue_waiting_idx;
