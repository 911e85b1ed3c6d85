//! Migrations can be trusted: down undoes up exactly, and up again gives the same schema.

use diesel_async::SimpleAsyncConnection;
use warden_tenancy::migrate::{Direction, apply, migrate};
use warden_tests::admin_url;

fn schema_dump(url: &str) -> String {
    let out = std::process::Command::new("pg_dump")
        .args([
            "--schema-only",
            "--no-comments",
            "--restrict-key=warden",
            "-d",
            url,
        ])
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_down_up_leaves_the_same_schema() {
    let db = format!("warden_roundtrip_{}", uuid::Uuid::new_v4().simple());
    let mut admin = url::Url::parse(&admin_url()).unwrap();
    admin.set_path(&format!("/{db}"));
    let mut runtime = admin.clone();
    runtime.set_username("warden_roundtrip_app").unwrap();

    let report = migrate(admin.as_str(), runtime.as_str(), true)
        .await
        .unwrap();
    assert!(report.created_database);
    assert!(report.applied.len() >= 2, "{report:?}");
    let first_up = schema_dump(admin.as_str());
    assert!(first_up.contains("CREATE TABLE public.products"));
    assert!(first_up.contains("ENABLE ROW LEVEL SECURITY"));

    let reverted = apply(admin.as_str(), Direction::DownAll).await.unwrap();
    assert_eq!(reverted.len(), report.applied.len());
    let empty = schema_dump(admin.as_str());
    assert!(
        !empty.contains("CREATE TABLE public.tenants"),
        "down left tables:\n{empty}"
    );
    assert!(!empty.contains("POLICY"), "down left policies:\n{empty}");

    apply(admin.as_str(), Direction::UpAll).await.unwrap();
    let second_up = schema_dump(admin.as_str());
    assert_eq!(first_up, second_up, "schema after up-down-up differs");

    apply(admin.as_str(), Direction::DownAll).await.unwrap();
    assert_eq!(
        empty,
        schema_dump(admin.as_str()),
        "second down differs from the first"
    );

    // Migrating an existing database is a no-op.
    let again = migrate(admin.as_str(), runtime.as_str(), false)
        .await
        .unwrap();
    assert!(!again.created_database);
    let third_up = schema_dump(admin.as_str());
    assert_eq!(first_up, third_up);

    let mut maintenance = admin.clone();
    maintenance.set_path("/postgres");
    let mut conn = <diesel_async::AsyncPgConnection as diesel_async::AsyncConnection>::establish(
        maintenance.as_str(),
    )
    .await
    .unwrap();
    conn.batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .await
        .unwrap();
}

#[tokio::test]
async fn migrate_refuses_unsafe_settings() {
    let admin = admin_url();
    // A superuser as runtime role would bypass row-level security.
    let err = migrate(&admin, &admin, false).await.unwrap_err();
    assert!(err.to_string().contains("runtime role"), "{err}");
    // Identifiers are spliced into DDL, so anything but a plain name is refused.
    let mut bad = url::Url::parse(&admin).unwrap();
    bad.set_username("app\"; DROP").ok();
    let err = migrate(&admin, bad.as_str(), false).await.unwrap_err();
    assert!(err.to_string().contains("identifier"), "{err}");
}
