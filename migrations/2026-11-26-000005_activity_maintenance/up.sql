-- Partition maintenance that survives gaps: rows that landed in the default
-- partition (maintenance did not run for days) are moved into the new daily
-- partition instead of making its creation fail forever; one failing day is a
-- warning, not the end of retention; live-event bodies are pruned after a day.
-- The owner role has BYPASSRLS (set by `warden migrate`), so this function sees
-- every tenant's rows; the runtime role can only call it.
CREATE OR REPLACE FUNCTION activity_log_maintain(days_ahead integer, retention_days integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    parent text;
    d date;
    part text;
    lower_bound timestamptz;
    upper_bound timestamptz;
    created integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('activity_log_maintain'));
    FOREACH parent IN ARRAY ARRAY['activity_log', 'platform_activity_log'] LOOP
        FOR i IN 0..greatest(days_ahead, 0) LOOP
            d := (now() AT TIME ZONE 'UTC')::date + i;
            part := parent || '_' || to_char(d, 'YYYYMMDD');
            lower_bound := d::timestamp AT TIME ZONE 'UTC';
            upper_bound := (d + 1)::timestamp AT TIME ZONE 'UTC';
            CONTINUE WHEN EXISTS (
                SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relname = part);
            BEGIN
                EXECUTE format('CREATE TEMP TABLE warden_moved ON COMMIT DROP AS '
                               'WITH m AS (DELETE FROM %I WHERE occurred_at >= %L AND occurred_at < %L RETURNING *) '
                               'SELECT * FROM m', parent || '_default', lower_bound, upper_bound);
                EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES FROM (%L) TO (%L)',
                               part, parent, lower_bound, upper_bound);
                IF parent = 'activity_log' THEN
                    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', part);
                    EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', part);
                    EXECUTE format(
                        'CREATE POLICY tenant_isolation ON public.%I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
                        'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', part);
                END IF;
                EXECUTE format('INSERT INTO public.%I SELECT * FROM warden_moved', parent);
                DROP TABLE warden_moved;
                created := created + 1;
            EXCEPTION WHEN others THEN
                RAISE WARNING 'activity partition % not created: %', part, SQLERRM;
            END;
        END LOOP;
        FOR part IN
            SELECT c.relname FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE p.relname = parent AND n.nspname = 'public'
              AND c.relname ~ ('^' || parent || '_[0-9]{8}$')
              AND to_date(right(c.relname, 8), 'YYYYMMDD') < (now() AT TIME ZONE 'UTC')::date - greatest(retention_days, 1)
        LOOP
            EXECUTE format('DROP TABLE public.%I', part);
        END LOOP;
    END LOOP;
    DELETE FROM hub_events WHERE created_at < now() - interval '1 day';
    RETURN created;
END
$$;

-- The runtime role writes the platform log but never reads it back.
REVOKE SELECT ON platform_activity_log FROM warden_runtime;
