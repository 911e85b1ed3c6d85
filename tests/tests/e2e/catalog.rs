//! Facts about the schema read from pg_catalog: isolation is declared, not hoped for.

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Nullable, Text};
use diesel_async::RunQueryDsl;
use warden_tests::{admin_conn, database_url};

#[derive(QueryableByName, Debug)]
struct TableRls {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Bool)]
    enabled: bool,
    #[diesel(sql_type = Bool)]
    forced: bool,
    #[diesel(sql_type = Bool)]
    has_policy: bool,
    #[diesel(sql_type = Bool)]
    policies_check_both: bool,
    #[diesel(sql_type = Bool)]
    pk_leads_with_tenant: bool,
}

#[tokio::test]
async fn every_tenant_table_has_forced_rls_with_using_and_check() {
    let mut conn = admin_conn().await;
    let tables: Vec<TableRls> = diesel::sql_query(
        "SELECT c.relname AS table_name,
                c.relrowsecurity AS enabled,
                c.relforcerowsecurity AS forced,
                EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy,
                NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid
                            AND (p.polqual IS NULL OR (p.polwithcheck IS NULL AND p.polcmd IN ('*', 'a', 'w')))) AS policies_check_both,
                COALESCE((SELECT a.attname = 'tenant_id'
                          FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                          WHERE i.indrelid = c.oid AND i.indisprimary), false) AS pk_leads_with_tenant
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
         ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap();
    assert!(
        tables.len() >= 9,
        "expected the commerce tables, got {tables:?}"
    );
    assert!(
        tables.iter().any(|t| t.table_name == "job_queue"),
        "the job queue is a tenant table: {tables:?}"
    );
    for t in &tables {
        assert!(
            t.enabled,
            "{} lacks ENABLE ROW LEVEL SECURITY",
            t.table_name
        );
        assert!(t.forced, "{} lacks FORCE ROW LEVEL SECURITY", t.table_name);
        assert!(t.has_policy, "{} has no policy", t.table_name);
        assert!(
            t.policies_check_both,
            "{} has a policy without USING and WITH CHECK",
            t.table_name
        );
        assert!(
            t.pk_leads_with_tenant,
            "{} primary key does not lead with tenant_id",
            t.table_name
        );
    }
}

#[derive(QueryableByName, Debug)]
struct Fk {
    #[diesel(sql_type = Text)]
    name: String,
}

#[tokio::test]
async fn foreign_keys_between_tenant_tables_include_tenant_id() {
    let mut conn = admin_conn().await;
    // Every FK from a tenant table to another tenant table must have tenant_id as
    // one of its columns on both sides, so no row can point into another tenant.
    let bad: Vec<Fk> = diesel::sql_query(
        "SELECT con.conname::text AS name
         FROM pg_constraint con
         JOIN pg_class src ON src.oid = con.conrelid
         JOIN pg_class dst ON dst.oid = con.confrelid
         WHERE con.contype = 'f'
           AND dst.relname <> 'tenants'
           AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = dst.oid AND a.attname = 'tenant_id')
           AND NOT EXISTS (
               SELECT FROM unnest(con.conkey, con.confkey) AS k(s, d)
               JOIN pg_attribute sa ON sa.attrelid = con.conrelid AND sa.attnum = k.s
               JOIN pg_attribute da ON da.attrelid = con.confrelid AND da.attnum = k.d
               WHERE sa.attname = 'tenant_id' AND da.attname = 'tenant_id')",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let names: Vec<&str> = bad.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.is_empty(),
        "foreign keys without tenant_id: {names:?}"
    );
}

#[derive(QueryableByName, Debug)]
struct RoleFacts {
    #[diesel(sql_type = Text)]
    rolname: String,
    #[diesel(sql_type = Bool)]
    rolsuper: bool,
    #[diesel(sql_type = Bool)]
    rolbypassrls: bool,
    #[diesel(sql_type = Bool)]
    owns_tables: bool,
}

#[tokio::test]
async fn runtime_role_is_unprivileged_and_owns_nothing() {
    let runtime_user = url::Url::parse(&database_url())
        .unwrap()
        .username()
        .to_owned();
    let mut conn = admin_conn().await;
    let roles: Vec<RoleFacts> = diesel::sql_query(
        "SELECT r.rolname::text AS rolname, r.rolsuper, r.rolbypassrls,
                EXISTS (SELECT FROM pg_class c WHERE c.relowner = r.oid AND c.relkind IN ('r','p','v','m','S')) AS owns_tables
         FROM pg_roles r WHERE r.rolname IN ($1, 'warden_runtime')",
    )
    .bind::<Text, _>(&runtime_user)
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(roles.len(), 2, "{roles:?}");
    for r in &roles {
        assert!(!r.rolsuper, "{} is superuser", r.rolname);
        assert!(!r.rolbypassrls, "{} has BYPASSRLS", r.rolname);
        assert!(!r.owns_tables, "{} owns tables", r.rolname);
    }
}

#[derive(QueryableByName, Debug)]
struct View {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    options: Option<String>,
}

#[tokio::test]
async fn every_view_is_security_invoker() {
    let mut conn = admin_conn().await;
    let views: Vec<View> = diesel::sql_query(
        "SELECT c.relname::text AS name, array_to_string(c.reloptions, ',') AS options
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'v'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    for v in &views {
        assert!(
            v.options
                .as_deref()
                .is_some_and(|o| o.contains("security_invoker=true")),
            "view {} is not security_invoker",
            v.name
        );
    }
}

#[tokio::test]
async fn every_tenant_table_references_tenants() {
    let mut conn = admin_conn().await;
    // A foreign key on tenant_id, or for the activity log the per-statement
    // trigger that stands in for one (see migration 6).
    let missing: Vec<Fk> = diesel::sql_query(
        "SELECT c.relname::text AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
           AND NOT EXISTS (
               SELECT FROM pg_constraint con
               JOIN pg_attribute sa ON sa.attrelid = con.conrelid AND sa.attnum = con.conkey[1]
               WHERE con.conrelid = c.oid AND con.contype = 'f'
                 AND con.confrelid = 'tenants'::regclass AND sa.attname = 'tenant_id')
           AND NOT EXISTS (
               SELECT FROM pg_trigger tg
               WHERE tg.tgrelid = c.oid AND tg.tgfoid = 'activity_log_check_tenants'::regproc)
         ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let names: Vec<&str> = missing.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.is_empty(),
        "tenant tables without a reference to tenants: {names:?}"
    );
}

/// The SQLSTATE of what `sql` fails with, run as the admin in a transaction
/// that is rolled back.
async fn sqlstate_of(setup: &str, sql: &str) -> Option<String> {
    sqlstate_in("BEGIN", setup, sql).await
}

/// Like [`sqlstate_of`], in a transaction opened with `begin`.
async fn sqlstate_in(begin: &str, setup: &str, sql: &str) -> Option<String> {
    use diesel_async::SimpleAsyncConnection;
    let mut conn = admin_conn().await;
    conn.batch_execute(begin).await.unwrap();
    conn.batch_execute(setup).await.unwrap();
    let outcome = conn.batch_execute(sql).await;
    conn.batch_execute("ROLLBACK").await.unwrap();
    match outcome {
        Ok(()) => None,
        Err(diesel::result::Error::DatabaseError(kind, info)) => {
            Some(format!("{kind:?}: {}", info.message()))
        }
        Err(e) => Some(e.to_string()),
    }
}

fn assert_foreign_key_violation(outcome: Option<String>) {
    assert!(
        outcome
            .as_deref()
            .is_some_and(|e| e.starts_with("ForeignKeyViolation")),
        "expected a foreign key violation, got {outcome:?}"
    );
}

#[tokio::test]
async fn activity_log_refuses_unknown_tenants_and_keeps_logged_ones() {
    let row = |tenant: &str| {
        format!(
            "INSERT INTO activity_log (tenant_id, id, occurred_at, kind, action)
             VALUES ('{tenant}', gen_random_uuid(), now(), 'system', 'catalog test')"
        )
    };
    let known = "00000000-0000-7000-8000-0000000000c1";
    let setup = format!("INSERT INTO tenants (id, name) VALUES ('{known}', 'catalog-fk-{known}')");

    // A row for a tenant that does not exist, alone or among good rows.
    let unknown = row("00000000-0000-7000-8000-00000000dead");
    assert_foreign_key_violation(sqlstate_of(&setup, &unknown).await);
    let mixed = format!(
        "INSERT INTO activity_log (tenant_id, id, occurred_at, kind, action)
         SELECT t::uuid, gen_random_uuid(), now(), 'system', 'catalog test'
         FROM unnest(ARRAY['{known}', '00000000-0000-7000-8000-00000000dead']) t"
    );
    assert_foreign_key_violation(sqlstate_of(&setup, &mixed).await);

    // A row for a tenant that exists is taken; the tenant then cannot be deleted.
    assert_eq!(sqlstate_of(&setup, &row(known)).await, None);
    let delete = format!("{}; DELETE FROM tenants WHERE id = '{known}'", row(known));
    assert_foreign_key_violation(sqlstate_of(&setup, &delete).await);
    // Nor can it take another id, or be deleted where the check could miss
    // rows committed concurrently (REPEATABLE READ): refused, retryably.
    let rekey = format!(
        "{}; UPDATE tenants SET id = '00000000-0000-7000-8000-0000000000c2' WHERE id = '{known}'",
        row(known)
    );
    assert_foreign_key_violation(sqlstate_of(&setup, &rekey).await);
    let refused = sqlstate_in(
        "BEGIN ISOLATION LEVEL REPEATABLE READ",
        &setup,
        &format!("DELETE FROM tenants WHERE id = '{known}'"),
    )
    .await;
    assert!(
        refused
            .as_deref()
            .is_some_and(|e| e.contains("only under READ COMMITTED")),
        "{refused:?}"
    );
    // A rename is not a re-key; without log rows a delete goes through.
    assert_eq!(
        sqlstate_of(
            &setup,
            &format!(
                "{}; UPDATE tenants SET name = 'renamed' WHERE id = '{known}'",
                row(known)
            )
        )
        .await,
        None
    );
    assert_eq!(
        sqlstate_of(&setup, &format!("DELETE FROM tenants WHERE id = '{known}'")).await,
        None
    );
}

#[tokio::test]
async fn the_ingest_function_refuses_to_write_from_inside_another_tenants_transaction() {
    let a = "00000000-0000-7000-8000-0000000000a1";
    let b = "00000000-0000-7000-8000-0000000000b1";
    let setup = format!(
        "INSERT INTO tenants (id, name) VALUES ('{a}', 'ingest-a-{a}'), ('{b}', 'ingest-b-{b}')"
    );
    let call = |tenant: &str| {
        format!(
            "SELECT activity_log_ingest('{tenant}', false, '{{}}',
                ARRAY[gen_random_uuid()], ARRAY[now()], '{{NULL}}', '{{NULL}}', '{{NULL}}', '{{NULL}}', '{{\"\"}}',
                '{{system}}', '{{test}}', '{{NULL}}', '{{NULL}}', '{{NULL}}', '{{NULL}}', '{{NULL}}',
                '{{NULL}}', '{{NULL}}', '{{NULL}}', '{{NULL}}', '{{NULL}}', '{{NULL}}', ARRAY['{{}}'::jsonb])"
        )
    };
    // From a transaction without tenant context (the writer's): taken.
    assert_eq!(sqlstate_of(&setup, &call(b)).await, None);
    // Inside tenant A's transaction, a write for B is refused, and A's context
    // survives a call for A itself.
    let inside_a = format!(
        "SELECT set_config('app.tenant_id', '{a}', true); {}",
        call(b)
    );
    let refused = sqlstate_of(&setup, &inside_a).await;
    assert!(
        refused
            .as_deref()
            .is_some_and(|e| e.contains("inside another tenant")),
        "{refused:?}"
    );
    let keeps = format!(
        "SELECT set_config('app.tenant_id', '{a}', true); {};
         DO $$ BEGIN
           IF current_setting('app.tenant_id') <> '{a}' THEN RAISE EXCEPTION 'context lost'; END IF;
         END $$",
        call(a)
    );
    assert_eq!(sqlstate_of(&setup, &keeps).await, None);
}

#[derive(QueryableByName, Debug)]
struct Definer {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    search_path: Option<String>,
}

#[tokio::test]
async fn every_security_definer_function_pins_its_search_path() {
    let mut conn = admin_conn().await;
    let functions: Vec<Definer> = diesel::sql_query(
        "SELECT p.proname::text AS name,
                (SELECT substr(c, length('search_path=') + 1) FROM unnest(p.proconfig) c
                  WHERE c LIKE 'search_path=%') AS search_path
         FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
         ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let names: Vec<&str> = functions.iter().map(|f| f.name.as_str()).collect();
    for queue_fn in [
        "job_queue_claim",
        "job_queue_complete",
        "job_queue_extend",
        "job_queue_fail",
    ] {
        assert!(names.contains(&queue_fn), "{queue_fn} missing: {names:?}");
    }
    for f in &functions {
        // pg_temp listed last: otherwise it is searched first, and a caller's
        // temporary table could stand in for one the function uses.
        assert!(
            f.search_path
                .as_deref()
                .is_some_and(|p| p.ends_with(", pg_temp") && !p.contains('$')),
            "{} runs with the caller's search_path: {f:?}",
            f.name
        );
        if f.name.starts_with("job_queue_") {
            assert_eq!(
                f.search_path.as_deref(),
                Some("pg_catalog, public, pg_temp"),
                "{}",
                f.name
            );
        }
    }
}

#[derive(QueryableByName, Debug)]
struct QueueFn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Bool)]
    public_executes: bool,
    #[diesel(sql_type = Bool)]
    runtime_executes: bool,
}

#[tokio::test]
async fn the_queue_functions_run_as_a_narrow_role_only_the_runtime_may_call() {
    let runtime_user = url::Url::parse(&database_url())
        .unwrap()
        .username()
        .to_owned();
    let mut conn = admin_conn().await;
    let functions: Vec<QueueFn> = diesel::sql_query(
        "SELECT p.proname::text AS name, p.proowner::regrole::text AS owner,
                EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0) OR p.proacl IS NULL AS public_executes,
                has_function_privilege($1, p.oid, 'EXECUTE') AS runtime_executes
         FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'job\\_queue\\_%'
         ORDER BY 1",
    )
    .bind::<Text, _>(&runtime_user)
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(functions.len(), 4, "{functions:?}");
    for f in &functions {
        assert_eq!(f.owner, "warden_queue", "owner of {}", f.name);
        assert!(!f.public_executes, "PUBLIC may call {}", f.name);
        assert!(f.runtime_executes, "the runtime may not call {}", f.name);
    }

    // The queue role: no login, no way around RLS, owns no table, holds
    // privileges on the job queue alone, and is no role the runtime acts as.
    #[derive(QueryableByName, Debug)]
    struct QueueRole {
        #[diesel(sql_type = Bool)]
        rolcanlogin: bool,
        #[diesel(sql_type = Bool)]
        rolsuper: bool,
        #[diesel(sql_type = Bool)]
        rolbypassrls: bool,
        #[diesel(sql_type = Bool)]
        owns_tables: bool,
        #[diesel(sql_type = Nullable<Text>)]
        tables_granted: Option<String>,
        #[diesel(sql_type = Bool)]
        runtime_is_member: bool,
    }
    let role: QueueRole = diesel::sql_query(
        "SELECT r.rolcanlogin, r.rolsuper, r.rolbypassrls,
                EXISTS (SELECT FROM pg_class c WHERE c.relowner = r.oid) AS owns_tables,
                (SELECT string_agg(DISTINCT c.relname, ',') FROM pg_class c
                  WHERE c.relnamespace = 'public'::regnamespace
                    AND (EXISTS (SELECT FROM aclexplode(c.relacl) a WHERE a.grantee = r.oid)
                         OR EXISTS (SELECT FROM pg_attribute att, aclexplode(att.attacl) a
                                    WHERE att.attrelid = c.oid AND a.grantee = r.oid))) AS tables_granted,
                pg_has_role($1, r.oid, 'MEMBER') OR pg_has_role('warden_runtime', r.oid, 'MEMBER') AS runtime_is_member
         FROM pg_roles r WHERE r.rolname = 'warden_queue'",
    )
    .bind::<Text, _>(&runtime_user)
    .get_result(&mut conn)
    .await
    .unwrap();
    assert!(
        !role.rolcanlogin && !role.rolsuper && !role.rolbypassrls && !role.owns_tables,
        "{role:?}"
    );
    assert_eq!(
        role.tables_granted.as_deref(),
        Some("job_queue"),
        "{role:?}"
    );
    assert!(!role.runtime_is_member, "{role:?}");
}
