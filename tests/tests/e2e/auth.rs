//! Bearer tokens: HS256 for development, RS256/ES256 from a JWKS for real identity providers.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use uuid::Uuid;
use warden_tests::{As, SECRET, TestApp, test_config};

fn sign_hs256(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn missing_malformed_expired_and_forged_tokens_are_401() {
    let app = TestApp::start().await;
    let tenant = app.tenant("auth").await;
    let t = tenant.to_string();
    let call = |token: Option<String>| As {
        token,
        tenant: Some(t.clone()),
    };

    let r = app.get("/api/v1/products", &call(None)).await;
    r.assert_problem(401, "unauthenticated");
    assert_eq!(r.headers["www-authenticate"], "Bearer");

    let good = json!({"sub": "u", "tenant_id": t, "roles": ["buyer"], "exp": now() + 600});
    app.get("/api/v1/products", &call(Some(sign_hs256(&good, SECRET))))
        .await
        .assert_status(200);

    let expired = json!({"sub": "u", "tenant_id": t, "roles": ["buyer"], "exp": now() - 120});
    let r = app
        .get(
            "/api/v1/products",
            &call(Some(sign_hs256(&expired, SECRET))),
        )
        .await;
    r.assert_problem(401, "invalid_token");
    assert!(r.text.contains("expired"));

    let r = app
        .get(
            "/api/v1/products",
            &call(Some(sign_hs256(&good, "another-secret"))),
        )
        .await;
    r.assert_problem(401, "invalid_token");

    let no_exp = json!({"sub": "u", "tenant_id": t, "roles": ["buyer"]});
    app.get("/api/v1/products", &call(Some(sign_hs256(&no_exp, SECRET))))
        .await
        .assert_problem(401, "invalid_token");

    let no_sub = json!({"tenant_id": t, "roles": ["buyer"], "exp": now() + 600});
    app.get("/api/v1/products", &call(Some(sign_hs256(&no_sub, SECRET))))
        .await
        .assert_problem(401, "invalid_token");

    // An unsigned token (alg none) and plain junk.
    let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = base64url(good.to_string().as_bytes());
    app.get(
        "/api/v1/products",
        &call(Some(format!("{header}.{payload}."))),
    )
    .await
    .assert_problem(401, "invalid_token");
    app.get("/api/v1/products", &call(Some("junk".into())))
        .await
        .assert_problem(401, "invalid_token");

    // Not the Bearer scheme.
    let res = app
        .client
        .get(app.url("/api/v1/products"))
        .header("authorization", "Basic dTpw")
        .header("x-tenant-id", &t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

/// Signs with the test secret and a `crit` header naming `b64` (RFC 7797).
fn sign_hs256_crit(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.crit = Some(vec!["b64".into()]);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn nbf_iat_lifetime_and_crit_are_checked() {
    let app = TestApp::start().await;
    let tenant = app.tenant("auth-times").await;
    let t = tenant.to_string();
    let call = |token: String| As {
        token: Some(token),
        tenant: Some(t.clone()),
    };
    let day = 86_400;
    let claims = |extra: Value| {
        let mut c = json!({"sub": "u", "tenant_id": t, "roles": ["buyer"]});
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    // Accepted: nbf passed (or within the leeway), iat now, a full day's lifetime.
    for ok in [
        json!({"nbf": now() - 60, "iat": now(), "exp": now() + day}),
        json!({"nbf": now() + 20, "iat": now() + 20, "exp": now() + 600}),
        json!({"exp": now() + day}),
    ] {
        app.get(
            "/api/v1/products",
            &call(sign_hs256(&claims(ok.clone()), SECRET)),
        )
        .await
        .assert_status(200);
    }
    // Refused, each naming the check that failed.
    let cases = [
        (json!({"nbf": now() + 600, "exp": now() + 1200}), "nbf"),
        (json!({"nbf": "soon", "exp": now() + 600}), "nbf"),
        (json!({"iat": now() + 600, "exp": now() + 1200}), "iat"),
        (json!({"iat": "today", "exp": now() + 600}), "iat"),
        (json!({"iat": now(), "exp": now() + day + 1}), "lifetime"),
        // An old long-lived token near its end is still over the cap.
        (
            json!({"iat": now() - 3 * day, "exp": now() + 60}),
            "lifetime",
        ),
        // Without iat the lifetime runs from now.
        (json!({"exp": now() + 2 * day}), "lifetime"),
    ];
    for (extra, word) in cases {
        let r = app
            .get(
                "/api/v1/products",
                &call(sign_hs256(&claims(extra.clone()), SECRET)),
            )
            .await;
        r.assert_problem(401, "invalid_token");
        assert!(
            r.body["detail"].as_str().unwrap().contains(word),
            "{extra}: {}",
            r.text
        );
    }
    let r = app
        .get(
            "/api/v1/products",
            &call(sign_hs256_crit(&claims(json!({"exp": now() + 600})))),
        )
        .await;
    r.assert_problem(401, "invalid_token");
    assert!(r.text.contains("crit"), "{}", r.text);

    // The cap is configurable.
    let mut config = test_config();
    config.jwt.max_lifetime_secs = 3600;
    let short = TestApp::start_with(config).await;
    let tenant = short.tenant("auth-short").await;
    let t = tenant.to_string();
    let who = |token: String| As {
        token: Some(token),
        tenant: Some(t.clone()),
    };
    let c = |exp: i64| json!({"sub": "u", "tenant_id": t, "roles": ["buyer"], "iat": now(), "exp": exp});
    short
        .get(
            "/api/v1/products",
            &who(sign_hs256(&c(now() + 3600), SECRET)),
        )
        .await
        .assert_status(200);
    short
        .get(
            "/api/v1/products",
            &who(sign_hs256(&c(now() + 3601), SECRET)),
        )
        .await
        .assert_problem(401, "invalid_token");
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A throw-away identity provider serving a JWKS on loopback, counting fetches.
struct Idp {
    url: String,
    fetches: Arc<AtomicUsize>,
}

fn start_idp(keys: JwkSet) -> Idp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let body = serde_json::to_string(&keys).unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                let body = body.clone();
                let counter = counter.clone();
                App::new().route(
                    "/.well-known/jwks.json",
                    web::get().to(move || {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let body = body.clone();
                        async move {
                            HttpResponse::Ok()
                                .content_type("application/json")
                                .body(body)
                        }
                    }),
                )
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run()
            .await
        })
    });
    Idp {
        url: format!("http://127.0.0.1:{port}/.well-known/jwks.json"),
        fetches,
    }
}

fn key(path: &str, alg: Algorithm, kid: &str) -> (EncodingKey, Jwk) {
    let pem = std::fs::read(format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let enc = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    };
    let mut jwk = Jwk::from_encoding_key(&enc, alg).unwrap();
    jwk.common.key_id = Some(kid.into());
    (enc, jwk)
}

fn sign(alg: Algorithm, kid: &str, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

#[tokio::test]
async fn jwks_tokens_with_provider_claims_are_accepted_and_unknown_keys_refetch() {
    let (es_key, es_jwk) = key("es256-test-key.pem", Algorithm::ES256, "ec-1");
    let (rs_key, rs_jwk) = key("rs256-test-key.pem", Algorithm::RS256, "rsa-1");
    let idp = start_idp(JwkSet {
        keys: vec![es_jwk, rs_jwk],
    });

    let mut config = test_config();
    config.jwt.jwks_url = Some(idp.url.clone());
    config.jwt.issuer = Some("https://idp.example.test/".into());
    config.jwt.audience = Some("warden".into());
    // Keycloak-style claims.
    config.jwt.tenant_claim = "org.warden_tenant".into();
    config.jwt.roles_claim = "realm_access.roles".into();
    let app = TestApp::start_with(config).await;
    let tenant: Uuid = app.tenant("idp").await;
    let claims = |aud: &str| {
        json!({
            "sub": "kc-user-1", "iss": "https://idp.example.test/", "aud": aud, "exp": now() + 600,
            "org": {"warden_tenant": tenant.to_string()},
            "realm_access": {"roles": ["seller", "offline_access"]},
            "email": "kc@example.test"
        })
    };
    let who = |token: String| As {
        token: Some(token),
        tenant: Some(tenant.to_string()),
    };

    let es = sign(Algorithm::ES256, "ec-1", &es_key, &claims("warden"));
    let me = app.get("/api/v1/users/me", &who(es)).await;
    me.assert_status(200);
    assert_eq!(me.body["roles"], json!(["seller"]));
    assert_eq!(me.body["email"], "kc@example.test");

    let rs = sign(Algorithm::RS256, "rsa-1", &rs_key, &claims("warden"));
    app.get("/api/v1/users/me", &who(rs))
        .await
        .assert_status(200);

    // Wrong audience, unknown kid, key/alg confusion.
    let wrong_aud = sign(Algorithm::ES256, "ec-1", &es_key, &claims("other-app"));
    app.get("/api/v1/users/me", &who(wrong_aud))
        .await
        .assert_problem(401, "invalid_token");
    let fetches_before = idp.fetches.load(Ordering::SeqCst);
    assert!(fetches_before >= 1);
    let unknown_kid = sign(Algorithm::ES256, "ec-unknown", &es_key, &claims("warden"));
    app.get("/api/v1/users/me", &who(unknown_kid.clone()))
        .await
        .assert_problem(401, "invalid_token");
    // A second unknown kid right away does not hammer the provider.
    app.get("/api/v1/users/me", &who(unknown_kid))
        .await
        .assert_problem(401, "invalid_token");
    assert!(idp.fetches.load(Ordering::SeqCst) <= fetches_before + 1);
    let confused = sign(Algorithm::RS256, "ec-1", &rs_key, &claims("warden"));
    app.get("/api/v1/users/me", &who(confused))
        .await
        .assert_problem(401, "invalid_token");
    // Provider tokens pass the same time, lifetime and crit checks.
    let with = |extra: Value| {
        let mut c = claims("warden");
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    for (alg, kid, key) in [
        (Algorithm::ES256, "ec-1", &es_key),
        (Algorithm::RS256, "rsa-1", &rs_key),
    ] {
        for (extra, word) in [
            (json!({"nbf": now() + 600}), "nbf"),
            (json!({"iat": now() + 600}), "iat"),
            (
                json!({"iat": now() - 86_400, "exp": now() + 600}),
                "lifetime",
            ),
        ] {
            let r = app
                .get("/api/v1/users/me", &who(sign(alg, kid, key, &with(extra))))
                .await;
            r.assert_problem(401, "invalid_token");
            assert!(r.text.contains(word), "{alg:?} {word}: {}", r.text);
        }
        let mut header = Header::new(alg);
        header.kid = Some(kid.into());
        header.crit = Some(vec!["b64".into()]);
        let crit = jsonwebtoken::encode(&header, &claims("warden"), key).unwrap();
        let r = app.get("/api/v1/users/me", &who(crit)).await;
        r.assert_problem(401, "invalid_token");
        assert!(r.text.contains("crit"), "{alg:?}: {}", r.text);
    }
    // HS256 tokens remain accepted alongside, when a secret is configured.
    let hs = sign_hs256(
        &json!({"sub": "dev", "iss": "https://idp.example.test/", "aud": "warden", "exp": now() + 600,
                "org": {"warden_tenant": tenant.to_string()}, "realm_access": {"roles": ["buyer"]}}),
        SECRET,
    );
    app.get("/api/v1/users/me", &who(hs))
        .await
        .assert_status(200);
}
