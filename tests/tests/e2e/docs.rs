//! The API documents: the committed spec matches the served one, and the doc
//! pages render offline.

use warden_tests::{As, TestApp};

#[tokio::test]
async fn committed_spec_matches_the_served_spec() {
    let app = TestApp::start().await;
    let served = app
        .get("/api/v1/openapi.json", &As::anonymous())
        .await
        .assert_status(200)
        .body
        .clone();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../api-spec/openapi.json");
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        served == committed,
        "api-spec/openapi.json is stale: run `just spec` and commit the result"
    );
}

#[tokio::test]
async fn every_operation_is_documented_secured_and_tenant_scoped() {
    let app = TestApp::start().await;
    let spec = app.get("/api/v1/openapi.json", &As::anonymous()).await.body;
    assert_eq!(spec["openapi"], "3.1.0");
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut count = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            count += 1;
            let summary = op["summary"].as_str().or(op["description"].as_str());
            assert!(
                summary.is_some_and(|s| !s.is_empty()),
                "{method} {path} has no summary"
            );
            if path.starts_with("/health") {
                continue;
            }
            assert!(op["security"].is_array(), "{method} {path} lacks security");
            let has_tenant_header = op["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["name"] == "X-Tenant-ID" && p["in"] == "header")
            });
            // Webhooks name their tenant in the signed URL, not a header, and
            // are authenticated by their sender's signature, not a bearer token.
            let webhook = path.starts_with("/api/v1/webhooks/");
            assert_eq!(
                has_tenant_header,
                !path.starts_with("/api/v1/tenants") && path != "/api/v1/ws" && !webhook,
                "{method} {path}"
            );
            assert_eq!(
                op["security"].as_array().unwrap().is_empty(),
                webhook,
                "{method} {path}"
            );
            assert!(
                op["responses"]["401"].is_object(),
                "{method} {path} lacks the 401 problem"
            );
        }
    }
    assert!(count >= 20, "only {count} operations");
}

#[tokio::test]
async fn swagger_and_redoc_render_from_local_files() {
    let app = TestApp::start().await;
    let res = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let res = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("/api/v1/openapi.json"));
    let res = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let res = app.client.get(app.url("/redoc")).send().await.unwrap();
    let html = res.text().await.unwrap();
    assert!(
        html.contains("/redoc/redoc.standalone.js") && !html.contains("https://"),
        "{html}"
    );
    // `just test` fetches the bundle first (scripts/fetch-redoc.sh).
    let res = app
        .client
        .get(app.url("/redoc/redoc.standalone.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().len() > 100_000);
}

#[tokio::test]
async fn every_operation_id_and_schema_reference_resolves_once() {
    // Generated clients key operations by id and resolve every `$ref`: a
    // duplicate id or a dangling reference breaks them.
    let app = TestApp::start().await;
    let spec = app.get("/api/v1/openapi.json", &As::anonymous()).await.body;
    let mut ids = std::collections::BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_owned();
            if let Some(other) = ids.insert(id.clone(), format!("{method} {path}")) {
                panic!("operationId {id} is used by {other} and {method} {path}");
            }
        }
    }
    let text = spec.to_string();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(schemas.contains_key(name), "dangling $ref to {name}");
    }
}

#[tokio::test]
async fn the_dashboard_is_served_from_its_build_and_says_when_it_is_not_built() {
    let dir = std::env::temp_dir().join(format!("warden-dashboard-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), "<div id=\"root\"></div>").unwrap();
    std::fs::write(dir.join("assets/app.js"), "console.log(1)").unwrap();
    let mut config = warden_tests::test_config();
    config.dashboard_dir = dir.clone();
    let app = TestApp::start_with(config).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let bare = client.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "/dashboard/");
    let index = client.get(app.url("/dashboard/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert!(index.text().await.unwrap().contains("id=\"root\""));
    let asset = client
        .get(app.url("/dashboard/assets/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(
        client
            .get(app.url("/dashboard/assets/missing.js"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let mut config = warden_tests::test_config();
    config.dashboard_dir = dir.join("nowhere");
    let unbuilt = TestApp::start_with(config).await;
    let reply = unbuilt.get("/dashboard/", &As::anonymous()).await;
    reply.assert_problem(404, "not_found");
    assert!(reply.body["detail"].as_str().unwrap().contains("not built"));
    let _ = std::fs::remove_dir_all(dir);
}
