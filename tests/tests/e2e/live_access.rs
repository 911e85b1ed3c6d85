//! Who may open and keep a live connection: the same admission as every
//! tenant route (the tenant active, the user neither disabled nor banned, a
//! platform administrator never locked out by their row in a tenant), with
//! the same answers and security events, re-checked on every heartbeat.

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;
use warden_audit::hub::Topic;
use warden_commerce::Role;
use warden_tests::{As, TestApp, test_config};

use super::live::{close_code, connect_with, publish, subscribe, until};

async fn user_id(app: &TestApp, who: &As) -> Uuid {
    app.get("/api/v1/users/me", who)
        .await
        .assert_status(200)
        .id()
}

/// A problem body without what differs between two requests.
fn problem(mut body: Value) -> Value {
    for varying in ["request_id", "instance"] {
        body.as_object_mut().map(|o| o.remove(varying));
    }
    body
}

#[tokio::test]
async fn a_refused_live_connection_answers_and_is_logged_as_a_tenant_route_would() {
    let app = TestApp::start().await;
    let t = app.tenant("live-refusals").await;
    let admin = app.member(t, "admin", &[Role::TenantAdmin]);
    let disabled = app.member(t, "mod-disabled", &[Role::Moderator]);
    let banned = app.member(t, "mod-banned", &[Role::Moderator]);
    let disabled_id = user_id(&app, &disabled).await;
    let banned_id = user_id(&app, &banned).await;
    app.patch(
        &format!("/api/v1/users/{disabled_id}"),
        &admin,
        json!({"status": "disabled"}),
    )
    .await
    .assert_status(200);
    let violation = app
        .post(
            "/api/v1/violations",
            &admin,
            json!({"user_id": banned_id, "type": "behavior", "severity": "critical", "reason": "abuse"}),
        )
        .await;
    violation.assert_status(201);

    // Opening a live connection (a plain GET is refused before the upgrade)
    // answers exactly as a tenant route does.
    for (who, code) in [(&disabled, "user_disabled"), (&banned, "user_banned")] {
        let live = app.get("/api/v1/ws", who).await;
        live.assert_problem(403, code);
        let route = app.get("/api/v1/products", who).await;
        assert_eq!(problem(live.body), problem(route.body));
    }
    let live = app.get("/api/v1/ws", &banned).await;
    assert_eq!(live.body["violation_id"], violation.id().to_string());

    // And the tenant's log holds each refusal as a security event of the route.
    app.state.audit.flush().await.unwrap();
    let log = app.get("/api/v1/audit?kind=security", &admin).await;
    for event in ["disabled_user_refused", "banned_user_refused"] {
        assert!(
            log.items()
                .iter()
                .any(|e| e["metadata"]["event"] == event && e["route"] == "/api/v1/ws"),
            "no {event} for /api/v1/ws in {}",
            log.text
        );
    }
}

#[tokio::test]
async fn a_platform_admin_watches_a_tenant_whatever_the_status_of_their_row_there() {
    let mut config = test_config();
    config.live.ping_interval = Duration::from_secs(1);
    let app = TestApp::start_with(config).await;
    let t = app.tenant("live-platform-row").await;
    let token = app.token(None, "platform", &[Role::PlatformAdmin]);
    let platform = As {
        token: Some(token.clone()),
        tenant: Some(t.to_string()),
    };
    let platform_id = user_id(&app, &platform).await;
    let moderator = app.member(t, "mod", &[Role::Moderator]);
    let moderator_id = user_id(&app, &moderator).await;

    // A disabled row does not stop a platform administrator connecting.
    app.set_user_status_in_db(t, platform_id, "disabled").await;
    let mut watching = connect_with(&app, &token, &format!("?tenant_id={t}")).await;
    subscribe(&mut watching, &["detection"], None).await;
    let mut moderating = connect_with(&app, moderator.token.as_ref().unwrap(), "").await;

    // Nor does a ban on the next heartbeats, which do close anyone else.
    app.set_user_status_in_db(t, platform_id, "banned").await;
    app.set_user_status_in_db(t, moderator_id, "banned").await;
    assert_eq!(close_code(&mut moderating).await, Some(4004));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let id = publish(&app, t, Topic::Detection, json!({"rule": "still-watching"})).await;
    let (got, _) = until(&mut watching, |e| e["topic"] == "detection").await;
    assert_eq!(got["event"]["id"], id.to_string());
}
