GRANT SELECT ON platform_activity_log TO warden_runtime;

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
