//! The two-tenant matrix, generated from the committed OpenAPI spec.
//!
//! Tenants A and B each get a populated world. Every operation of the spec
//! whose path, query or body carries a tenant-owned id is called by each of
//! B's tenant roles with B's token and `X-Tenant-ID` but A's ids, and:
//!
//! - it answers a refusal (or, for a list filtered by A's id, an empty list)
//!   carrying none of A's ids or text;
//! - it answers exactly as it answers an id that exists nowhere (a "ghost"),
//!   so B cannot even learn that A's id exists;
//! - the same call with B's own ids answers differently for some role, so the
//!   refusal is about whose the id is, not about the role or a bad body;
//! - afterwards every row of A (hashed through the admin connection) and
//!   everything A's own tokens read is unchanged.
//!
//! Ids are mapped to A's rows by two tables (`PATH_IDS`, `NAMED_IDS`); bodies
//! are generated from the request schemas (`body_override` where generation
//! cannot produce a valid body). An operation with an id the tables do not
//! know, or a body that cannot be built, fails the test: new routes cannot
//! slip past the matrix. Exceptions, each listed with its reason: operations
//! refused before any lookup (`REFUSED_BEFORE_LOOKUP`, 403 for every call),
//! ad-hoc analysis that looks nothing up (`NO_LOOKUP`), and the live endpoint,
//! checked by opening a socket.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;
use warden_commerce::Role;
use warden_tests::{As, Reply, TestApp, admin_conn, test_config};

/// The kinds of tenant-owned rows an id can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Tenant,
    User,
    Seller,
    Product,
    Order,
    Conversation,
    Message,
    Review,
    Rule,
    ModerationResult,
    ReviewItem,
    /// A review item of user reports (the reports of one target).
    ReportItem,
    Rescan,
    Pattern,
    Detection,
    Violation,
    Statement,
    Notification,
    Verification,
    Delivery,
    AutomationRule,
}

/// Path parameters: the route template up to and including the parameter,
/// and the kind of row it names. Sub-routes of a resource (`/{id}/close`)
/// share its entry; a parameter not listed here fails the test.
const PATH_IDS: &[(&str, Kind)] = &[
    ("/api/v1/tenants/{id}", Kind::Tenant),
    ("/api/v1/users/{id}", Kind::User),
    ("/api/v1/sellers/{id}", Kind::Seller),
    (
        "/api/v1/sellers/{id}/verifications/{vid}",
        Kind::Verification,
    ),
    ("/api/v1/sellers/me/verifications/{id}", Kind::Verification),
    (
        "/api/v1/sellers/me/automation-rules/{id}",
        Kind::AutomationRule,
    ),
    ("/api/v1/products/{id}", Kind::Product),
    ("/api/v1/orders/{id}", Kind::Order),
    ("/api/v1/conversations/{id}", Kind::Conversation),
    ("/api/v1/reviews/{id}", Kind::Review),
    ("/api/v1/moderation/rules/{id}", Kind::Rule),
    ("/api/v1/moderation/results/{id}", Kind::ModerationResult),
    ("/api/v1/moderation/reviews/{id}", Kind::ReviewItem),
    ("/api/v1/moderation/rescans/{id}", Kind::Rescan),
    ("/api/v1/behavior/patterns/{id}", Kind::Pattern),
    ("/api/v1/behavior/detections/{id}", Kind::Detection),
    ("/api/v1/violations/{id}", Kind::Violation),
    ("/api/v1/statements/{id}", Kind::Statement),
    ("/api/v1/notifications/{id}", Kind::Notification),
    ("/api/v1/reports/trusted-flaggers/{user_id}", Kind::User),
];

/// Query parameters and body fields that carry ids, by name. A name is an id
/// when it ends in `_id`/`_ids`, is `id`, or its schema is a UUID; one not
/// listed here fails the test.
const NAMED_IDS: &[(&str, Kind)] = &[
    // The Twilio callback's tenant; the live endpoint's tenant.
    ("tenant", Kind::Tenant),
    ("tenant_id", Kind::Tenant),
    ("user", Kind::User),
    ("user_id", Kind::User),
    ("actor", Kind::User),
    ("actor_id", Kind::User),
    ("seller_id", Kind::Seller),
    ("product_id", Kind::Product),
    ("product_ids", Kind::Product),
    // Moderation results about a listing.
    ("content_id", Kind::Product),
    ("order_id", Kind::Order),
    // The audit log's `resource_id` is the `{id}` of a route; each world
    // changed its order through `/orders/{id}`.
    ("resource_id", Kind::Order),
    ("pattern_id", Kind::Pattern),
    ("delivery", Kind::Delivery),
    // A report's target (`target_type` is generated as `listing`), its
    // messages, and the review item that groups a target's reports.
    ("target_id", Kind::Product),
    ("message_ids", Kind::Message),
    ("review_id", Kind::ReportItem),
];

/// Operations that may answer 2xx to A's ids: lists and statistics filtered
/// by them (which must come back empty), and ad-hoc analysis of events the
/// caller supplies (the ids are data, never looked up).
fn may_succeed(method: &Method, template: &str) -> bool {
    *method == Method::GET || (*method == Method::POST && template == "/api/v1/behavior/analyze")
}

/// Operations refused for every tenant role before any id is looked up, so B's
/// own ids cannot answer differently; each must refuse with 403.
const REFUSED_BEFORE_LOOKUP: &[(&str, &str)] = &[
    // Tenants are for platform administrators only (tenant tokens get 403).
    ("GET", "/api/v1/tenants/{id}"),
    ("PATCH", "/api/v1/tenants/{id}"),
    ("GET", "/api/v1/tenants/{id}/limits"),
    ("PUT", "/api/v1/tenants/{id}/limits"),
    // Signed by Twilio with the platform's auth token; nobody in a tenant
    // holds it, so a forged signature is refused (403) before the tenant or
    // delivery named in the query is read.
    ("POST", "/api/v1/webhooks/twilio/status"),
];

/// Operations that look nothing up by the ids they are given: B's own ids
/// answer the same, so there is no lookup for a control to reach.
const NO_LOOKUP: &[(&str, &str)] = &[
    // Evaluates B's patterns over the events in the body; `actor_id` and
    // `resource_id` there are data, echoed into nothing but the evaluation.
    ("POST", "/api/v1/behavior/analyze"),
];

/// Refusals a call with A's ids may answer, besides 404 `not_found` (the
/// tenancy answer: A's rows do not exist for B). Each is also the answer to a
/// ghost id, which the matrix checks, so none tells B anything about A.
const REFUSALS: &[(u16, &str, &str)] = &[
    (404, "not_found", "A's row does not exist in B"),
    (
        403,
        "forbidden",
        "the role may not do this at all; refused before any lookup",
    ),
    (
        400,
        "invalid_report",
        "a report's message ids must be messages of the reporter's own conversations; A's \
         message is in none of B's",
    ),
    (
        400,
        "invalid_input",
        "a body id checked against another body id of the same request: a conversation's \
         product must be one of the store's, a review's product one of the order's; A's \
         product is in neither B's store nor B's order",
    ),
];

/// Whole bodies for operations whose schema generation cannot produce a valid
/// body (recursive conditions; a rule kind whose condition field is optional
/// in the schema but required with that kind).
fn body_override(method: &str, template: &str, marker: &str) -> Option<Value> {
    match (method, template) {
        ("PUT", "/api/v1/behavior/patterns/{id}") => Some(json!({
            "name": format!("{marker} pattern"), "severity": "low",
            "condition": {"field": "status", "op": "eq", "value": 418}
        })),
        ("PUT", "/api/v1/moderation/rules/{id}") => Some(json!({
            "name": format!("{marker} rule"), "kind": "pattern",
            "pattern": {"keywords": [marker]}, "content_types": ["product"], "action": "flag"
        })),
        // Disabled: B's own level-0 store may replace its rule (a 200), so a
        // refusal of A's id is about whose it is.
        ("PUT", "/api/v1/sellers/me/automation-rules/{id}") => Some(json!({
            "name": format!("{marker} rule"), "on_status": "paid", "move_to": "shipped",
            "enabled": false
        })),
        _ => None,
    }
}

/// Field values generation cannot guess: strings with a format-like pattern,
/// ranges whose ends must differ, and status changes that would be no-ops on
/// A's rows (so a leak would change them and show in the snapshot).
fn field_override(method: &str, template: &str, name: &str, now: DateTime<Utc>) -> Option<Value> {
    match (method, template, name) {
        ("PATCH", "/api/v1/users/{id}", "status") => Some(json!("disabled")),
        ("PATCH", "/api/v1/orders/{id}", "status") => Some(json!("disputed")),
        (_, _, "from") => Some(json!((now - chrono::Duration::hours(1)).to_rfc3339())),
        (_, _, "to") => Some(json!(now.to_rfc3339())),
        (_, _, "currency") => Some(json!("USD")),
        (_, _, "code") => Some(json!("123456")),
        (_, _, "phone") => Some(json!("+15005550006")),
        ("POST", "/api/v1/reports", "category") => Some(json!("spam")),
        _ => None,
    }
}

/// Which tenant's ids fill an id slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Whose {
    A,
    B,
    /// A fresh UUID that names nothing anywhere.
    Ghost,
}

/// A tenant with a populated world.
struct Side {
    marker: String,
    tenant: Uuid,
    /// Tenant admin, moderator, seller (with a store), buyer.
    cast: Vec<(&'static str, As)>,
    /// The users of the cast.
    users: Vec<Uuid>,
    ids: BTreeMap<Kind, Uuid>,
}

impl Side {
    fn id(&self, kind: Kind) -> Uuid {
        *self
            .ids
            .get(&kind)
            .unwrap_or_else(|| panic!("the world has no {kind:?}"))
    }

    fn who(&self, role: &str) -> &As {
        &self.cast.iter().find(|(r, _)| *r == role).unwrap().1
    }

    /// Every id of this side, for leak checks.
    fn all_ids(&self) -> BTreeSet<String> {
        self.ids
            .values()
            .chain(&self.users)
            .chain([&self.tenant])
            .map(Uuid::to_string)
            .collect()
    }
}

async fn ok(app: &TestApp, method: Method, path: &str, who: &As, body: Option<Value>) -> Reply {
    let r = app.call(method.clone(), path, who, body).await;
    assert!(
        r.status.is_success(),
        "setup {method} {path}: {} {}",
        r.status,
        r.text
    );
    r
}

/// Waits until every event served so far has been logged and evaluated.
async fn settle(app: &TestApp) {
    app.state.audit.flush().await.unwrap();
    app.state.detector.drain().await;
}

/// Builds a tenant with one of every kind of row, all its text carrying
/// `marker`.
async fn world(app: &TestApp, side: &str) -> Side {
    let simple = Uuid::new_v4().simple().to_string();
    let marker = format!("zq{side}{}", &simple[..8]);
    let m = marker.as_str();
    let tenant = app.tenant(&format!("{m} tenant")).await;
    let cast = vec![
        (
            "tenant_admin",
            app.member(tenant, &format!("{m}-admin"), &[Role::TenantAdmin]),
        ),
        (
            "moderator",
            app.member(tenant, &format!("{m}-mod"), &[Role::Moderator]),
        ),
        (
            "seller",
            app.member(tenant, &format!("{m}-seller"), &[Role::Seller]),
        ),
        (
            "buyer",
            app.member(tenant, &format!("{m}-buyer"), &[Role::Buyer]),
        ),
    ];
    let mut users = Vec::new();
    for (_, who) in &cast {
        users.push(
            ok(app, Method::GET, "/api/v1/users/me", who, None)
                .await
                .id(),
        );
    }
    let [admin, moderator, seller, buyer] = [0, 1, 2, 3].map(|i| cast[i].1.clone());
    let buyer_user = users[3];
    let mut ids = BTreeMap::new();
    ids.insert(Kind::Tenant, tenant);
    ids.insert(Kind::User, buyer_user);

    // An SMS number for the buyer, so notifications to them leave an SMS
    // delivery for the Twilio callback to name.
    ok(
        app,
        Method::PUT,
        "/api/v1/notifications/preferences",
        &buyer,
        Some(json!({"phone": "+15005550006"})),
    )
    .await;
    let store = ok(
        app,
        Method::PUT,
        "/api/v1/sellers/me",
        &seller,
        Some(json!({"store_name": format!("{m} store"), "description": format!("{m} teas")})),
    )
    .await
    .id();
    ids.insert(Kind::Seller, store);
    // Level 3: bulk changes are trust-gated, so only then does the matrix
    // reach bulk-status's lookup; it also leaves a trust history entry.
    ok(
        app,
        Method::PUT,
        &format!("/api/v1/sellers/{store}/trust/override"),
        &admin,
        Some(json!({"level": 3, "reason": format!("{m} trusted")})),
    )
    .await;
    let rule = ok(
        app,
        Method::POST,
        "/api/v1/moderation/rules",
        &admin,
        Some(json!({"name": format!("{m} hold"), "kind": "pattern",
                    "pattern": {"keywords": ["samovar"]}, "content_types": ["product"],
                    "action": "require_review"})),
    )
    .await
    .id();
    ids.insert(Kind::Rule, rule);
    let listing = |title: String| json!({"title": title, "price_minor": 2500, "currency": "USD"});
    let product = ok(
        app,
        Method::POST,
        "/api/v1/products",
        &seller,
        Some(listing(format!("{m} teapot"))),
    )
    .await
    .id();
    ids.insert(Kind::Product, product);
    let held = ok(
        app,
        Method::POST,
        "/api/v1/products",
        &seller,
        Some(listing(format!("{m} samovar"))),
    )
    .await
    .id();
    let result = ok(
        app,
        Method::GET,
        &format!("/api/v1/moderation/results?content_id={held}"),
        &moderator,
        None,
    )
    .await
    .item_ids()[0];
    ids.insert(Kind::ModerationResult, result);
    let item = ok(
        app,
        Method::GET,
        "/api/v1/moderation/reviews",
        &moderator,
        None,
    )
    .await
    .item_ids()[0];
    ids.insert(Kind::ReviewItem, item);
    let order = ok(
        app,
        Method::POST,
        "/api/v1/orders",
        &buyer,
        Some(json!({"items": [{"product_id": product, "quantity": 2}]})),
    )
    .await
    .id();
    ids.insert(Kind::Order, order);
    app.open_payments_in_db(tenant).await;
    for (who, status) in [
        (&buyer, "paid"),
        (&seller, "shipped"),
        (&buyer, "delivered"),
    ] {
        ok(
            app,
            Method::PATCH,
            &format!("/api/v1/orders/{order}"),
            who,
            Some(json!({"status": status})),
        )
        .await;
    }
    let conversation = ok(
        app,
        Method::POST,
        "/api/v1/conversations",
        &buyer,
        Some(json!({"seller_id": store, "product_id": product,
                    "subject": format!("{m} question"), "message": format!("{m} is it blue?")})),
    )
    .await
    .id();
    ids.insert(Kind::Conversation, conversation);
    let review = ok(
        app,
        Method::POST,
        "/api/v1/reviews",
        &buyer,
        Some(
            json!({"order_id": order, "product_id": product, "rating": 5,
                    "body": format!("{m} lovely")}),
        ),
    )
    .await
    .id();
    ids.insert(Kind::Review, review);
    let rescan = ok(
        app,
        Method::POST,
        "/api/v1/moderation/rescans",
        &admin,
        Some(json!({"content_types": ["review"]})),
    )
    .await
    .id();
    ids.insert(Kind::Rescan, rescan);
    // A pattern that fires on the buyer peeking at a store they do not have,
    // a request the matrix never makes.
    let pattern = ok(
        app,
        Method::POST,
        "/api/v1/behavior/patterns",
        &admin,
        Some(json!({"name": format!("{m} peeks"), "severity": "low",
                    "condition": {"all": [
                        {"field": "route", "op": "eq", "value": "/api/v1/sellers/me/trust"},
                        {"field": "status", "op": "eq", "value": 404}]}})),
    )
    .await
    .id();
    ids.insert(Kind::Pattern, pattern);
    let peek = app.get("/api/v1/sellers/me/trust", &buyer).await;
    peek.assert_problem(404, "not_found");
    settle(app).await;
    let detection = ok(
        app,
        Method::GET,
        &format!("/api/v1/behavior/detections?pattern_id={pattern}"),
        &moderator,
        None,
    )
    .await
    .item_ids()[0];
    ids.insert(Kind::Detection, detection);
    let violation = ok(
        app,
        Method::POST,
        "/api/v1/violations",
        &moderator,
        Some(
            json!({"user_id": buyer_user, "type": "content", "severity": "low",
                    "reason": format!("{m} spam")}),
        ),
    )
    .await
    .id();
    ids.insert(Kind::Violation, violation);
    let statement: Uuid = ok(
        app,
        Method::GET,
        &format!("/api/v1/violations/{violation}"),
        &moderator,
        None,
    )
    .await
    .body["statement"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    ids.insert(Kind::Statement, statement);
    ok(
        app,
        Method::POST,
        &format!("/api/v1/violations/{violation}/appeal"),
        &buyer,
        Some(json!({"text": format!("{m} not me")})),
    )
    .await;
    let notification = ok(app, Method::GET, "/api/v1/notifications", &buyer, None)
        .await
        .item_ids()[0];
    ids.insert(Kind::Notification, notification);
    let verification = ok(
        app,
        Method::POST,
        "/api/v1/sellers/me/verifications",
        &seller,
        Some(json!({"step": "business_basics", "evidence": {"name": m}})),
    )
    .await
    .id();
    ids.insert(Kind::Verification, verification);
    // Disabled: a level-0 store may keep rules that do not run.
    let rule = ok(
        app,
        Method::POST,
        "/api/v1/sellers/me/automation-rules",
        &seller,
        Some(
            json!({"name": format!("{m} small disputes"), "on_status": "disputed",
                    "move_to": "refunded", "max_total_minor": 1000, "enabled": false}),
        ),
    )
    .await
    .id();
    ids.insert(Kind::AutomationRule, rule);
    // Tenant-wide settings carrying the marker, which B's own reads of its
    // settings must never show.
    ok(
        app,
        Method::PUT,
        "/api/v1/ai-config",
        &admin,
        Some(json!({"enabled": true, "model": format!("{m}-model"),
                    "system_prompt": format!("{m} be kind"), "temperature": 0.5,
                    "max_reply_chars": 500, "auto_reply": false, "blocked_topics": [m]})),
    )
    .await;
    ok(
        app,
        Method::PUT,
        "/api/v1/notifications/templates",
        &admin,
        Some(json!({"kind": "ban", "language": "en", "template": {
            "subject": format!("{m} ban"), "text": format!("{m} text"),
            "html": format!("<p>{m} html</p>")}})),
    )
    .await;
    ids.insert(Kind::Delivery, a_delivery(tenant).await);
    // A report of the listing pointing at the buyer's message: a report item
    // in the queue (below the held listing's automated item).
    let message = ok(
        app,
        Method::GET,
        &format!("/api/v1/conversations/{conversation}/messages"),
        &buyer,
        None,
    )
    .await
    .item_ids()[0];
    ids.insert(Kind::Message, message);
    let report = ok(
        app,
        Method::POST,
        "/api/v1/reports",
        &buyer,
        Some(
            json!({"target_type": "listing", "target_id": product, "category": "counterfeit",
                    "text": format!("{m} fake"), "message_ids": [message]}),
        ),
    )
    .await;
    ids.insert(
        Kind::ReportItem,
        report.body["review_id"].as_str().unwrap().parse().unwrap(),
    );
    Side {
        marker,
        tenant,
        cast,
        users,
        ids,
    }
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

/// One of the tenant's notification deliveries (SMS first: the Twilio
/// callback is about those).
async fn a_delivery(tenant: Uuid) -> Uuid {
    let mut conn = admin_conn().await;
    diesel::sql_query(
        "SELECT id FROM notification_deliveries WHERE tenant_id = $1
         ORDER BY (channel = 'sms') DESC, id LIMIT 1",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .get_result::<IdRow>(&mut conn)
    .await
    .unwrap()
    .id
}

/// A request body.
#[derive(Clone, Debug)]
enum Body {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
}

/// A concrete request for one operation.
#[derive(Clone, Debug)]
struct Request {
    path: String,
    headers: Vec<(String, String)>,
    body: Body,
}

impl Request {
    /// Everything the caller sent that could be echoed back.
    fn sent(&self) -> String {
        let body = match &self.body {
            Body::None => String::new(),
            Body::Json(v) => v.to_string(),
            Body::Form(pairs) => format!("{pairs:?}"),
        };
        format!("{} {body}", self.path)
    }
}

/// Builds requests for one operation from its spec; every id comes from
/// `fill`, in a fixed order (the operation's slots).
struct Gen<'a> {
    spec: &'a Value,
    method: &'a str,
    template: &'a str,
    marker: &'a str,
    now: DateTime<Utc>,
    fill: &'a dyn Fn(usize, Kind) -> Uuid,
    /// The id slots met so far: where, and of what kind.
    slots: Vec<(String, Kind)>,
}

fn resolve<'s>(spec: &'s Value, schema: &'s Value) -> &'s Value {
    match schema["$ref"].as_str() {
        Some(r) => spec
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => schema,
    }
}

/// Whether a parameter or field carries an id. `client_request_id` is a
/// label the client chose (any tenant may use the same), not the id of a row.
fn is_id(spec: &Value, name: &str, schema: &Value) -> bool {
    let s = resolve(spec, schema);
    if name == "client_request_id" {
        return false;
    }
    name == "id"
        || name.ends_with("_id")
        || name.ends_with("_ids")
        || s["format"] == "uuid"
        || s["items"]["format"] == "uuid"
}

/// Whether a schema holds an id field anywhere.
fn has_id(spec: &Value, schema: &Value, seen: &mut BTreeSet<String>) -> bool {
    if let Some(r) = schema["$ref"].as_str()
        && !seen.insert(r.to_owned())
    {
        return false;
    }
    let s = resolve(spec, schema);
    let props = s["properties"].as_object().into_iter().flatten();
    let nested = ["oneOf", "anyOf", "allOf"]
        .iter()
        .flat_map(|k| s[*k].as_array().into_iter().flatten());
    props.clone().any(|(name, p)| is_id(spec, name, p))
        || props
            .map(|(_, p)| p)
            .chain(nested)
            .chain(s.get("items"))
            .any(|p| has_id(spec, p, seen))
}

fn named_kind(name: &str) -> Result<Kind, String> {
    NAMED_IDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, k)| *k)
        .ok_or_else(|| format!("id `{name}` is not in NAMED_IDS"))
}

/// The schema's type, ignoring `null`.
fn type_of(s: &Value) -> Option<&str> {
    match &s["type"] {
        Value::String(t) => Some(t.as_str()),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

impl Gen<'_> {
    fn id(&mut self, at: String, kind: Kind) -> Uuid {
        let id = (self.fill)(self.slots.len(), kind);
        self.slots.push((at, kind));
        id
    }

    fn build(&mut self, op: &Value) -> Result<Request, String> {
        let (spec, template) = (self.spec, self.template);
        let mut path = template.to_owned();
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let mut headers = Vec::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let p = resolve(spec, p);
            let name = p["name"].as_str().unwrap();
            let schema = &p["schema"];
            let required = p["required"] == true;
            match p["in"].as_str().unwrap() {
                "path" => {
                    let placeholder = format!("{{{name}}}");
                    let end = template
                        .find(&placeholder)
                        .ok_or_else(|| format!("{name} is not in the path"))?
                        + placeholder.len();
                    let prefix = &template[..end];
                    let kind = PATH_IDS
                        .iter()
                        .find(|(t, _)| *t == prefix)
                        .map(|(_, k)| *k)
                        .ok_or_else(|| format!("path id `{prefix}` is not in PATH_IDS"))?;
                    let id = self.id(format!("path {name}"), kind);
                    path = path.replace(&placeholder, &id.to_string());
                }
                "query" if is_id(spec, name, schema) => {
                    let kind = named_kind(name)?;
                    let id = self.id(format!("query {name}"), kind);
                    query.append_pair(name, &id.to_string());
                }
                "query" if required => {
                    let v = self.value(schema, name, 0)?;
                    query.append_pair(name, &scalar(&v));
                }
                // Who calls sets the tenant header.
                "header" if name.eq_ignore_ascii_case("x-tenant-id") => {}
                "header" if required => {
                    let v = self.value(schema, name, 0)?;
                    headers.push((name.to_owned(), scalar(&v)));
                }
                _ => {}
            }
        }
        let query = query.finish();
        if !query.is_empty() {
            path = format!("{path}?{query}");
        }
        let body = match op.get("requestBody") {
            None => Body::None,
            Some(rb) => {
                let content = &resolve(spec, rb)["content"];
                if let Some(fixed) = body_override(self.method, self.template, self.marker) {
                    Body::Json(fixed)
                } else if let Some(c) = content.get("application/json") {
                    Body::Json(self.value(&c["schema"], "", 0)?)
                } else if let Some(c) = content.get("application/x-www-form-urlencoded") {
                    let v = self.value(&c["schema"], "", 0)?;
                    let pairs = v
                        .as_object()
                        .ok_or("a form body that is not an object")?
                        .iter()
                        .map(|(k, v)| (k.clone(), scalar(v)))
                        .collect();
                    Body::Form(pairs)
                } else {
                    return Err(format!("no body generator for {content}"));
                }
            }
        };
        Ok(Request {
            path,
            headers,
            body,
        })
    }

    /// A minimal valid value of `schema` for the field `name`.
    fn value(&mut self, schema: &Value, name: &str, depth: usize) -> Result<Value, String> {
        let spec = self.spec;
        if depth > 12 {
            return Err(format!("`{name}`: recursive schema; add a BODY_OVERRIDE"));
        }
        let s = resolve(spec, schema);
        if let Some(v) = field_override(self.method, self.template, name, self.now) {
            return Ok(v);
        }
        if !name.is_empty() && is_id(spec, name, s) {
            let kind = named_kind(name)?;
            let id = self.id(format!("body {name}"), kind);
            return Ok(if type_of(s) == Some("array") {
                json!([id])
            } else {
                json!(id)
            });
        }
        if let Some(example) = s.get("example") {
            return Ok(example.clone());
        }
        if let Some(variants) = s["oneOf"].as_array().or(s["anyOf"].as_array()) {
            let first = variants
                .iter()
                .find(|v| v["type"] != "null")
                .ok_or_else(|| format!("`{name}`: only null variants"))?;
            return self.value(first, name, depth + 1);
        }
        if let Some(parts) = s["allOf"].as_array() {
            let mut merged = Map::new();
            for part in parts {
                match self.value(part, name, depth + 1)? {
                    Value::Object(o) => merged.extend(o),
                    other => return Err(format!("`{name}`: allOf of {other}")),
                }
            }
            return Ok(Value::Object(merged));
        }
        if let Some(first) = s["enum"].as_array().and_then(|e| e.iter().next()) {
            return Ok(first.clone());
        }
        match type_of(s) {
            Some("object") | None => {
                let required: BTreeSet<&str> = s["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let mut out = Map::new();
                for (prop, ps) in s["properties"].as_object().into_iter().flatten() {
                    // Required fields, and every field that can carry an id,
                    // so each id the schema accepts is aimed at A.
                    if required.contains(prop.as_str())
                        || is_id(spec, prop, ps)
                        || has_id(spec, ps, &mut BTreeSet::new())
                    {
                        out.insert(prop.clone(), self.value(ps, prop, depth + 1)?);
                    }
                }
                Ok(Value::Object(out))
            }
            Some("array") => {
                let n = s["minItems"].as_u64().unwrap_or(1).max(1);
                let mut items = Vec::new();
                for _ in 0..n {
                    items.push(self.value(&s["items"], name, depth + 1)?);
                }
                Ok(Value::Array(items))
            }
            Some("string") => self.string(s, name),
            Some("integer") => {
                let lo = s["minimum"].as_i64().unwrap_or(1);
                Ok(json!(s["maximum"].as_i64().map_or(lo, |hi| lo.min(hi))))
            }
            Some("number") => Ok(json!(s["minimum"].as_f64().unwrap_or(1.0))),
            Some("boolean") => Ok(json!(false)),
            Some(other) => Err(format!("`{name}`: no generator for type {other}")),
        }
    }

    fn string(&self, s: &Value, name: &str) -> Result<Value, String> {
        if s["format"] == "date-time" {
            return Ok(json!(self.now.to_rfc3339()));
        }
        if let Some(pattern) = s["pattern"].as_str() {
            // The no-control-characters rule of free text.
            if !pattern.starts_with("^[^\\x00-\\x08") {
                // `^(a|b|c)$`: the first alternative.
                let alternatives = pattern
                    .strip_prefix("^(")
                    .and_then(|p| p.strip_suffix(")$"))
                    .filter(|p| {
                        p.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_|".contains(c))
                    })
                    .ok_or_else(|| format!("`{name}`: pattern {pattern} needs a field_override"))?;
                return Ok(json!(alternatives.split('|').next().unwrap()));
            }
        }
        let mut text = format!("{} probe", self.marker);
        let min = s["minLength"].as_u64().unwrap_or(0) as usize;
        while text.len() < min {
            text.push('x');
        }
        if let Some(max) = s["maxLength"].as_u64() {
            text.truncate(max as usize);
        }
        Ok(json!(text))
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Sends `req` as `who`.
async fn send(app: &TestApp, method: &Method, req: &Request, who: &As) -> Reply {
    let mut r = app.client.request(method.clone(), app.url(&req.path));
    if let Some(t) = &who.token {
        r = r.bearer_auth(t);
    }
    if let Some(t) = &who.tenant {
        r = r.header("X-Tenant-ID", t);
    }
    for (k, v) in &req.headers {
        r = r.header(k, v);
    }
    r = match &req.body {
        Body::None => r,
        Body::Json(v) => r.json(v),
        Body::Form(pairs) => r.form(pairs),
    };
    Reply::read(r.send().await.unwrap()).await.unwrap()
}

/// What must be equal between two answers for them to be "the same answer":
/// status, problem code, and for a success the data (a list's items, a
/// trend's points), not the echo of the request's time range.
#[derive(Clone, Debug, PartialEq)]
struct Answer {
    status: u16,
    code: String,
    data: Value,
}

impl Answer {
    fn of(r: &Reply) -> Self {
        let data = if !r.status.is_success() {
            Value::Null
        } else if let Some(items) = r.body.get("items") {
            items.clone()
        } else if let Some(points) = r.body.get("points") {
            points.clone()
        } else {
            r.body.clone()
        };
        Self {
            status: r.status.as_u16(),
            code: r.body["code"].as_str().unwrap_or_default().to_owned(),
            data,
        }
    }
}

/// One operation of the spec.
struct Operation {
    method: Method,
    template: String,
    op: Value,
}

impl Operation {
    fn key(&self) -> (&str, &str) {
        (self.method.as_str(), self.template.as_str())
    }

    /// The request with ids filled by `fill`, and its id slots.
    fn request(
        &self,
        spec: &Value,
        marker: &str,
        now: DateTime<Utc>,
        fill: &dyn Fn(usize, Kind) -> Uuid,
    ) -> Result<(Request, Vec<(String, Kind)>), String> {
        let mut g = Gen {
            spec,
            method: self.method.as_str(),
            template: &self.template,
            marker,
            now,
            fill,
            slots: Vec::new(),
        };
        let req = g.build(&self.op)?;
        Ok((req, g.slots))
    }
}

fn operations(spec: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (template, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "patch", "head", "trace"].contains(&method.as_str())
            {
                ops.push(Operation {
                    method: method.to_uppercase().parse().unwrap(),
                    template: template.clone(),
                    op: op.clone(),
                });
            }
        }
    }
    ops
}

/// Where an operation carries ids, from the spec alone (no generation).
fn id_places(spec: &Value, op: &Operation) -> BTreeSet<&'static str> {
    let mut places = BTreeSet::new();
    for p in op.op["parameters"].as_array().into_iter().flatten() {
        let p = resolve(spec, p);
        let name = p["name"].as_str().unwrap_or_default();
        match p["in"].as_str() {
            Some("path") => {
                places.insert("path");
            }
            Some("query") if is_id(spec, name, &p["schema"]) => {
                places.insert("query");
            }
            _ => {}
        }
    }
    for c in op.op["requestBody"]["content"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if has_id(spec, &c.1["schema"], &mut BTreeSet::new()) {
            places.insert("body");
        }
    }
    places
}

/// GETs whose answer changes without any write (the clock, or the caller's
/// own requests), left out of A's read snapshot; the row hashes cover them.
const VOLATILE_READS: &[&str] = &[
    "/health/live",
    "/health/ready",
    "/api/v1/ws",
    // A's own snapshot reads are logged and counted.
    "/api/v1/audit",
    "/api/v1/usage",
    "/api/v1/usage/history",
    // Ranges that default to "the last 30 days" echo their ends.
    "/api/v1/violations/stats",
    "/api/v1/violations/trends",
    "/api/v1/transparency",
    "/api/v1/platform/transparency",
    // Scores include the store's age, computed at read time.
    "/api/v1/sellers/me/trust",
    "/api/v1/sellers/{id}/trust",
    "/api/v1/sellers/me/analytics",
    "/api/v1/sellers/me/analytics/advanced",
];

/// Everything A's cast reads through GETs, keyed by role and path.
async fn read_snapshot(
    app: &TestApp,
    spec: &Value,
    ops: &[Operation],
    a: &Side,
    now: DateTime<Utc>,
) -> BTreeMap<(String, String), (u16, Value)> {
    let mut snap = BTreeMap::new();
    for op in ops
        .iter()
        .filter(|o| o.method == Method::GET && !VOLATILE_READS.contains(&o.template.as_str()))
    {
        let (req, _) = op
            .request(spec, &a.marker, now, &|_, k| a.id(k))
            .unwrap_or_else(|e| panic!("{} {}: {e}", op.method, op.template));
        for (role, who) in &a.cast {
            let mut r = send(app, &op.method, &req, who).await;
            // Each refusal names its own request.
            if let Some(problem) = r.body.as_object_mut() {
                problem.remove("request_id");
            }
            snap.insert(
                ((*role).to_owned(), req.path.clone()),
                (r.status.as_u16(), r.body),
            );
        }
    }
    snap
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct TableHash {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Text)]
    h: String,
}

/// Row count and a hash of every row of `tenant`, per table with a
/// `tenant_id` column (found in the catalog, so new tables are included).
async fn row_hashes(tenant: Uuid) -> BTreeMap<String, (i64, String)> {
    let mut conn = admin_conn().await;
    let tables = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND a.attname = 'tenant_id' AND NOT a.attisdropped
         ORDER BY 1",
    )
    .load::<TableName>(&mut conn)
    .await
    .unwrap();
    assert!(tables.len() > 20, "tenant tables: {}", tables.len());
    let mut out = BTreeMap::new();
    for t in tables {
        let row = diesel::sql_query(format!(
            "SELECT count(*) AS n, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS h
             FROM {} t WHERE tenant_id = $1",
            t.name
        ))
        .bind::<diesel::sql_types::Uuid, _>(tenant)
        .get_result::<TableHash>(&mut conn)
        .await
        .unwrap();
        out.insert(t.name, (row.n, row.h));
    }
    out
}

/// Asserts that a reply to B shows nothing of A beyond what B itself sent.
fn assert_no_leak(what: &str, r: &Reply, sent: &str, a: &Side, a_ids: &BTreeSet<String>) {
    for id in a_ids.iter().filter(|id| !sent.contains(id.as_str())) {
        assert!(
            !r.text.contains(id.as_str()),
            "{what} leaked A's id {id}: {}",
            r.text
        );
    }
    assert!(
        !r.text.contains(&a.marker),
        "{what} leaked A's text ({}): {}",
        a.marker,
        r.text
    );
}

/// Codes that say nothing about the id a request named (the body or query
/// was malformed, or the caller's own account or standing stood in the way).
const NOT_ABOUT_THE_ID: &[&str] = &[
    "invalid_body",
    "malformed_json",
    "invalid_query_parameter",
    "invalid_path_parameter",
    "unsupported_media_type",
    "user_banned",
    "user_disabled",
    "rate_limited",
    "trust_level_required",
];

/// The order the B-id controls run in: reads, then writes, then deletes,
/// then changes to B's accounts and standing (which would stand in the way of
/// the others).
fn control_rank(method: &Method, template: &str) -> u8 {
    match (method.as_str(), template) {
        ("POST", "/api/v1/violations")
        | ("PATCH", "/api/v1/users/{id}")
        | ("PUT", "/api/v1/sellers/{id}/trust/override") => 3,
        ("DELETE", _) => 2,
        ("GET", _) => 0,
        _ => 1,
    }
}

/// One variant of an operation: which tenant fills each id slot.
struct Variant {
    op: usize,
    fill: Vec<Whose>,
    /// The answer to A's ids, per role of B's cast.
    answers: Vec<Answer>,
}

#[tokio::test]
async fn tenant_b_cannot_reach_tenant_a_through_any_id_of_the_spec() {
    let started = Instant::now();
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../api-spec/openapi.json"
        ))
        .unwrap(),
    )
    .unwrap();
    // SMS configured, so the Twilio callback really checks its signature.
    let mut config = test_config();
    config.notifications.twilio = Some(warden_notifications::sms::TwilioConfig {
        account_sid: "AC1".into(),
        auth_token: "twilio-token".into(),
        from: Some("+15005550006".into()),
        messaging_service_sid: None,
        base_url: "http://127.0.0.1:9".into(),
        status_callback: None,
    });
    config.notifications.public_base_url = Some("https://warden.test".into());
    let app = TestApp::start_with(config).await;
    let (a, b) = tokio::join!(world(&app, "a"), world(&app, "b"));
    let a_ids = a.all_ids();
    let now = Utc::now();
    let ops = operations(&spec);

    // Classify every operation by where it carries ids.
    let mut matrix = Vec::new();
    let mut without = Vec::new();
    let mut by_place: BTreeMap<&str, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let places = id_places(&spec, op);
        if places.is_empty() {
            without.push(i);
            continue;
        }
        for p in &places {
            *by_place.entry(p).or_default() += 1;
        }
        match op.request(&spec, &b.marker, now, &|_, k| a.id(k)) {
            Ok((_, slots)) if slots.is_empty() => problems.push(format!(
                "{} {}: the spec says it carries ids ({places:?}) but none was generated",
                op.method, op.template
            )),
            Ok(_) => matrix.push(i),
            Err(e) => problems.push(format!("{} {}: {e}", op.method, op.template)),
        }
    }
    assert!(
        problems.is_empty(),
        "operations the matrix cannot build:\n{}",
        problems.join("\n")
    );

    // B's reads without ids (its lists and settings) show nothing of A.
    for &i in &without {
        let op = &ops[i];
        if op.method != Method::GET || op.template == "/api/v1/ws" {
            continue;
        }
        let (req, _) = op
            .request(&spec, &b.marker, now, &|_, k| b.id(k))
            .unwrap_or_else(|e| panic!("{} {}: {e}", op.method, op.template));
        for (role, who) in &b.cast {
            let r = send(&app, &op.method, &req, who).await;
            assert!(
                r.status.as_u16() < 500,
                "{role} GET {}: {}",
                req.path,
                r.text
            );
            assert_no_leak(
                &format!("{role} GET {}", req.path),
                &r,
                &req.sent(),
                &a,
                &a_ids,
            );
        }
    }

    // A's state before: what A's own tokens read, then every row (after the
    // log has taken A's reads, so only B's requests happen in between).
    let reads_before = read_snapshot(&app, &spec, &ops, &a, now).await;
    settle(&app).await;
    let rows_before = row_hashes(a.tenant).await;

    // The matrix. Lists filtered by ids first: the audit log keeps the `{id}`
    // of every path B asks for, so once B has aimed at A's rows its own log
    // names them (B's data, but no longer an empty filter result).
    let mut order = matrix.clone();
    order.sort_by_key(|&i| !id_places(&spec, &ops[i]).contains("query"));
    let mut variants = Vec::new();
    let mut calls = 0usize;
    for &i in &order {
        let op = &ops[i];
        if op.template == "/api/v1/ws" {
            continue;
        }
        let (_, slots) = op.request(&spec, &b.marker, now, &|_, k| a.id(k)).unwrap();
        // All of A's ids; with several slots also each alone among B's, so
        // every id is checked on its own.
        let mut fills = vec![vec![Whose::A; slots.len()]];
        if slots.len() > 1 {
            for s in 0..slots.len() {
                let mut f = vec![Whose::B; slots.len()];
                f[s] = Whose::A;
                fills.push(f);
            }
        }
        for fill in fills {
            let by = |whose: Whose| {
                let fill = fill.clone();
                let (a, b) = (&a, &b);
                move |slot: usize, kind: Kind| match (fill[slot], whose) {
                    (Whose::A, Whose::Ghost) => Uuid::new_v4(),
                    (Whose::A, _) => a.id(kind),
                    _ => b.id(kind),
                }
            };
            let (req, _) = op.request(&spec, &b.marker, now, &by(Whose::A)).unwrap();
            let (ghost, _) = op
                .request(&spec, &b.marker, now, &by(Whose::Ghost))
                .unwrap();
            let mut answers = Vec::new();
            for (role, who) in &b.cast {
                let what = format!("{role} {} {} {:?}", op.method, req.path, req.body);
                let r = send(&app, &op.method, &req, who).await;
                calls += 1;
                assert_no_leak(&what, &r, &req.sent(), &a, &a_ids);
                let answer = Answer::of(&r);
                if r.status.is_success() {
                    assert!(
                        may_succeed(&op.method, &op.template),
                        "{what} succeeded with A's ids: {}",
                        r.text
                    );
                    if let Some(items) = r.body.get("items") {
                        assert_eq!(items, &json!([]), "{what}: a filter by A's id listed rows");
                    }
                } else {
                    assert!(
                        !NOT_ABOUT_THE_ID.contains(&answer.code.as_str()),
                        "{what}: the matrix built a request refused for itself: {}",
                        r.text
                    );
                    let documented = REFUSALS
                        .iter()
                        .any(|(s, c, _)| *s == answer.status && *c == answer.code);
                    assert!(
                        documented,
                        "{what} answered {} {}: not a documented refusal: {}",
                        answer.status, answer.code, r.text
                    );
                    // The problem shape every refusal has.
                    r.assert_problem(answer.status, &answer.code);
                }
                // The same as for an id that exists nowhere.
                let g = send(&app, &op.method, &ghost, who).await;
                calls += 1;
                assert_eq!(
                    Answer::of(&g),
                    answer,
                    "{what}: A's ids answer unlike ids that exist nowhere: {} vs {}",
                    r.text,
                    g.text
                );
                answers.push(answer);
            }
            variants.push(Variant {
                op: i,
                fill,
                answers,
            });
        }
    }

    // The live endpoint refuses a tenant token that names A (`tenant_id`), as
    // a tenant route refuses A's X-Tenant-ID: 403 tenant_mismatch, no upgrade.
    let mut req = format!("{}?tenant_id={}", app.ws_url(), a.tenant)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", b.who("tenant_admin").token.as_ref().unwrap())
            .parse()
            .unwrap(),
    );
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
            let body: Value =
                serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
            assert_eq!(body["code"], "tenant_mismatch", "{body}");
        }
        Err(e) => panic!("live connection naming A: {e}"),
        Ok(_) => panic!("a tenant token naming another tenant was connected"),
    }

    // Nothing of A changed: every row, and everything A's tokens read.
    settle(&app).await;
    let rows_after = row_hashes(a.tenant).await;
    for (table, before) in &rows_before {
        assert_eq!(
            rows_after.get(table),
            Some(before),
            "A's {table} changed during the matrix"
        );
    }
    let reads_after = read_snapshot(&app, &spec, &ops, &a, now).await;
    for (key, before) in &reads_before {
        assert_eq!(
            reads_after.get(key),
            Some(before),
            "A's {key:?} reads differently after the matrix"
        );
    }

    // Controls: the same requests with B's own ids, by the same roles. Some
    // role must get a different answer, or the refusal above was not about
    // whose the ids are (a role refused before any lookup, a body the
    // handler rejects first) and the matrix proved nothing for that call.
    variants.sort_by_key(|v| control_rank(&ops[v.op].method, &ops[v.op].template));
    let mut unreached = Vec::new();
    for v in &variants {
        let op = &ops[v.op];
        if REFUSED_BEFORE_LOOKUP.contains(&op.key()) {
            assert!(
                v.answers.iter().all(|a| a.status == 403),
                "{} {}: {:?}",
                op.method,
                op.template,
                v.answers
            );
            continue;
        }
        if NO_LOOKUP.contains(&op.key()) {
            continue;
        }
        let (req, _) = op.request(&spec, &b.marker, now, &|_, k| b.id(k)).unwrap();
        let mut reached = None;
        let mut seen = Vec::new();
        for ((role, who), answer) in b.cast.iter().zip(&v.answers) {
            let r = send(&app, &op.method, &req, who).await;
            calls += 1;
            assert!(
                r.status.as_u16() < 500,
                "{role} {} {}: {}",
                op.method,
                req.path,
                r.text
            );
            let control = Answer::of(&r);
            let differs = control != *answer
                && !NOT_ABOUT_THE_ID.contains(&control.code.as_str())
                && !(control.status == 404 && answer.status == 404);
            seen.push(format!("{role}: {} {}", control.status, control.code));
            if differs {
                reached = Some(*role);
                break;
            }
        }
        if reached.is_none() {
            unreached.push(format!(
                "{} {} {:?}: A's ids {:?}; B's own ids {seen:?}",
                op.method, op.template, v.fill, v.answers
            ));
        }
    }
    assert!(
        unreached.is_empty(),
        "calls whose refusal B's own ids share (the lookup was never reached):\n{}",
        unreached.join("\n")
    );

    let listed: Vec<String> = without
        .iter()
        .map(|&i| format!("{} {}", ops[i].method, ops[i].template))
        .collect();
    eprintln!(
        "cross_tenant: {} operations in the spec; {} carry tenant-owned ids (by place: {by_place:?}) \
         and were called by B's {} roles with A's ids in {} variants ({calls} requests, the live \
         endpoint by WebSocket); {} carry none: {listed:?}; {:.1} s",
        ops.len(),
        matrix.len(),
        b.cast.len(),
        variants.len(),
        without.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(matrix.len() + without.len(), ops.len());
}
