//! The email and SMS providers against real components on loopback: an SMTP
//! server (the `mailin` protocol machine behind a TCP listener) and a
//! `wiremock` stand-in for Twilio's API.

#![expect(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::io::{self, BufRead, BufReader};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mailin::response::{NO_MAILBOX, OK};
use mailin::{Action, Handler, Response, SessionBuilder};
use serde_json::json;
use warden_notifications::email::{EmailConfig, EmailSender, OutgoingEmail};
use warden_notifications::sms::{SentSms, SmsSender, TwilioConfig};
use warden_notifications::templates::{self, builtin};
use warden_notifications::{EventKind, NotificationError, Priority, twilio_signature};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

// ------------------------------------------------------------------ SMTP

/// One message the SMTP server accepted.
#[derive(Clone, Debug)]
struct Received {
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

type Inbox = Arc<Mutex<Vec<Received>>>;

/// Session handler: records messages; refuses recipients whose address
/// contains `reject` with 550.
struct Recorder {
    inbox: Inbox,
    current: Option<Received>,
}

impl Handler for Recorder {
    fn rcpt(&mut self, to: &str) -> Response {
        if to.contains("reject") {
            NO_MAILBOX
        } else {
            OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(current) = &mut self.current {
            current.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(done) = self.current.take() {
            self.inbox.lock().unwrap().push(done);
        }
        OK
    }
}

/// Runs one SMTP session on `stream`.
fn serve(stream: TcpStream, peer: IpAddr, inbox: Inbox) -> io::Result<()> {
    let mut session = SessionBuilder::new("smtp.test").build(
        peer,
        Recorder {
            inbox,
            current: None,
        },
    );
    let mut writer = stream.try_clone()?;
    session.greeting().write_to(&mut writer)?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply => response.write_to(&mut writer)?,
            Action::NoReply => {}
            Action::Close | Action::UpgradeTls => {
                response.write_to(&mut writer)?;
                return Ok(());
            }
        }
    }
}

/// Starts an SMTP server on a free loopback port; returns the port and the
/// inbox it fills.
fn start_smtp() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let accept_inbox = Arc::clone(&inbox);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let Ok(peer) = stream.peer_addr() else {
                continue;
            };
            let inbox = Arc::clone(&accept_inbox);
            std::thread::spawn(move || serve(stream, peer.ip(), inbox));
        }
    });
    (port, inbox)
}

fn email_sender(port: u16) -> EmailSender {
    EmailSender::new(EmailConfig {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        from_default: "Warden <noreply@warden.test>".into(),
    })
    .unwrap()
}

fn ban_email(to: &str, priority: Priority) -> OutgoingEmail {
    let set = builtin(EventKind::Ban, "es").unwrap().to_set();
    let rendered = templates::render(
        &set,
        &json!({
            "user_name": "Ana",
            "tenant_name": "Acme",
            "until": "2026-12-01",
            "reason": "<script>alert(1)</script>",
        }),
    )
    .unwrap();
    OutgoingEmail {
        to: to.into(),
        to_name: Some("Ana Pérez".into()),
        from: Some("Acme Trust <trust@acme.test>".into()),
        priority,
        rendered,
        language: "es".into(),
    }
}

#[tokio::test]
async fn email_arrives_multipart_with_prefix_escaping_and_language() {
    let (port, inbox) = start_smtp();
    let sender = email_sender(port);
    let message_id = sender
        .send(&ban_email("ana@example.com", Priority::Urgent))
        .await
        .unwrap();

    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.from, "trust@acme.test");
    assert_eq!(mail.to, vec!["ana@example.com".to_owned()]);

    let raw = String::from_utf8_lossy(&mail.data).into_owned();
    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.data)
        .unwrap();
    assert_eq!(
        parsed.subject(),
        Some("[URGENT] Tu cuenta ha sido suspendida")
    );
    assert_eq!(
        parsed.message_id(),
        Some(message_id.trim_matches(['<', '>']))
    );
    assert_eq!(
        parsed.header_raw("Content-Language").map(str::trim),
        Some("es")
    );
    assert!(
        parsed
            .header_raw("Content-Type")
            .unwrap()
            .contains("multipart/alternative"),
        "{raw}"
    );
    assert!(raw.contains("Content-Type: text/plain"), "{raw}");
    assert!(raw.contains("Content-Type: text/html"), "{raw}");
    assert_eq!(parsed.text_body_count(), 1);
    assert_eq!(parsed.html_body_count(), 1);

    let text = parsed.body_text(0).unwrap();
    assert!(text.contains("Hola Ana:"), "{text}");
    assert!(text.contains("hasta 2026-12-01"), "{text}");
    assert!(text.contains("Motivo: <script>alert(1)</script>"), "{text}");

    let html = parsed.body_html(0).unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("<html lang=\"es\">"), "{html}");
}

#[tokio::test]
async fn medium_priority_has_no_prefix_and_default_sender() {
    let (port, inbox) = start_smtp();
    let mut email = ban_email("ana@example.com", Priority::Medium);
    email.from = None;
    email_sender(port).send(&email).await.unwrap();
    let mail = inbox.lock().unwrap()[0].clone();
    let parsed = mail_parser::MessageParser::default()
        .parse(&mail.data)
        .unwrap();
    assert_eq!(parsed.subject(), Some("Tu cuenta ha sido suspendida"));
    assert_eq!(mail.from, "noreply@warden.test");
}

#[tokio::test]
async fn smtp_permanent_refusal_is_not_retryable() {
    let (port, inbox) = start_smtp();
    let err = email_sender(port)
        .send(&ban_email("reject@example.com", Priority::High))
        .await
        .unwrap_err();
    match &err {
        NotificationError::Provider {
            channel,
            code,
            retryable,
            ..
        } => {
            assert_eq!(*channel, "email");
            assert_eq!(code.as_deref(), Some("550"));
            assert!(!retryable);
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
    assert_eq!(err.delivery_code(), "provider_failed");
    assert!(inbox.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unreachable_smtp_server_is_retryable() {
    // A port that was free a moment ago: nothing listens on it.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = email_sender(port)
        .send(&ban_email("ana@example.com", Priority::Low))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            NotificationError::Provider {
                channel: "email",
                retryable: true,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn bad_addresses_are_invalid_input() {
    let (port, _) = start_smtp();
    let err = email_sender(port)
        .send(&ban_email("ana at example.com", Priority::Low))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_input");
}

// ---------------------------------------------------------------- Twilio

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "test-auth-token";
const MESSAGES: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

fn install_crypto() {
    // Installed once per process; later calls find it there.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn twilio(server: &MockServer) -> TwilioConfig {
    TwilioConfig {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
        from: Some("+15005550006".into()),
        messaging_service_sid: None,
        base_url: server.uri(),
        status_callback: Some("https://warden.test/api/v1/webhooks/twilio/status".into()),
    }
}

/// Decodes an `application/x-www-form-urlencoded` body.
fn form(body: &[u8]) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[tokio::test]
async fn sms_posts_the_messages_form_with_basic_auth() {
    install_crypto();
    let server = MockServer::start().await;
    let basic = format!("Basic {}", STANDARD.encode(format!("{SID}:{TOKEN}")));
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(header("authorization", basic.as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "sid": "SM0123456789abcdef0123456789abcdef",
            "status": "queued",
            "to": "+34600123456",
        })))
        .expect(1)
        .mount(&server)
        .await;

    let sender = SmsSender::new(twilio(&server)).unwrap();
    let body = "Tu código es 123456 & más";
    let sent = sender.send("+34600123456", body).await.unwrap();
    assert_eq!(
        sent,
        SentSms {
            sid: "SM0123456789abcdef0123456789abcdef".into(),
            status: "queued".into(),
        }
    );

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let mut fields = form(&requests[0].body);
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("Body".to_owned(), body.to_owned()),
            ("From".to_owned(), "+15005550006".to_owned()),
            (
                "StatusCallback".to_owned(),
                "https://warden.test/api/v1/webhooks/twilio/status".to_owned()
            ),
            ("To".to_owned(), "+34600123456".to_owned()),
        ]
    );
}

#[tokio::test]
async fn sms_uses_the_messaging_service_when_set() {
    install_crypto();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"sid": "SM1", "status": "accepted"})),
        )
        .mount(&server)
        .await;
    let mut config = twilio(&server);
    config.messaging_service_sid = Some("MG0123456789abcdef0123456789abcdef".into());
    config.status_callback = None;
    let sent = SmsSender::new(config)
        .unwrap()
        .send("+14155552671", "hi")
        .await
        .unwrap();
    assert_eq!(sent.status, "accepted");
    let requests = server.received_requests().await.unwrap();
    let fields = form(&requests[0].body);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert!(names.contains(&"MessagingServiceSid"), "{names:?}");
    assert!(!names.contains(&"From"), "{names:?}");
    assert!(!names.contains(&"StatusCallback"), "{names:?}");
}

#[tokio::test]
async fn twilio_client_errors_are_final_with_their_code() {
    install_crypto();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21211,
            "message": "Invalid 'To' Phone Number",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        })))
        .mount(&server)
        .await;
    let err = SmsSender::new(twilio(&server))
        .unwrap()
        .send("+14155550000", "hi")
        .await
        .unwrap_err();
    match &err {
        NotificationError::Provider {
            channel,
            code,
            message,
            retryable,
        } => {
            assert_eq!(*channel, "sms");
            assert_eq!(code.as_deref(), Some("21211"));
            assert_eq!(message, "Invalid 'To' Phone Number");
            assert!(!retryable);
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
    assert_eq!(err.delivery_code(), "provider_failed");
}

#[tokio::test]
async fn twilio_unavailable_or_throttling_is_retryable() {
    install_crypto();
    for status in [503u16, 429] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(MESSAGES))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({
                "code": 20003 + u32::from(status),
                "message": "Service unavailable",
                "status": status,
            })))
            .mount(&server)
            .await;
        let err = SmsSender::new(twilio(&server))
            .unwrap()
            .send("+14155552671", "hi")
            .await
            .unwrap_err();
        assert!(err.is_retryable(), "{status}: {err:?}");
    }
    // A body that is not Twilio's JSON still maps by status.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .mount(&server)
        .await;
    let err = SmsSender::new(twilio(&server))
        .unwrap()
        .send("+14155552671", "hi")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            NotificationError::Provider {
                code: None,
                retryable: true,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn unreachable_twilio_is_retryable_and_bad_input_never_leaves() {
    install_crypto();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut config = TwilioConfig::new(SID, TOKEN, "+15005550006");
    config.base_url = format!("http://127.0.0.1:{port}");
    let sender = SmsSender::new(config).unwrap();
    let err = sender.send("+14155552671", "hi").await.unwrap_err();
    assert!(
        matches!(
            err,
            NotificationError::Provider {
                channel: "sms",
                retryable: true,
                ..
            }
        ),
        "{err:?}"
    );
    for bad in [
        "4155552671",
        "+1415",
        "+1 415 555 2671",
        "+1415555267100000",
    ] {
        let err = sender.send(bad, "hi").await.unwrap_err();
        assert_eq!(err.code().as_str(), "invalid_input", "{bad}");
    }
    let err = sender.send("+14155552671", "  ").await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_input");
    let err = sender
        .send("+14155552671", &"x".repeat(1601))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_input");
}

#[test]
fn sms_config_is_checked() {
    let mut config = TwilioConfig::new(SID, TOKEN, "+15005550006");
    config.from = None;
    assert_eq!(
        SmsSender::new(config).unwrap_err().code().as_str(),
        "invalid_input"
    );
    let mut config = TwilioConfig::new("AC/../x", TOKEN, "+15005550006");
    assert!(SmsSender::new(config.clone()).is_err());
    config.account_sid = SID.into();
    config.base_url = "ftp://x".into();
    assert!(SmsSender::new(config).is_err());
}

#[test]
fn a_signed_status_callback_verifies() {
    let url = "https://warden.test/api/v1/webhooks/twilio/status";
    let params = vec![
        ("MessageSid".to_owned(), "SM1".to_owned()),
        ("MessageStatus".to_owned(), "delivered".to_owned()),
        ("AccountSid".to_owned(), SID.to_owned()),
    ];
    let signature = twilio_signature::sign(TOKEN, url, &params);
    assert!(twilio_signature::verify(TOKEN, url, &params, &signature));
    assert!(!twilio_signature::verify("other", url, &params, &signature));
}
