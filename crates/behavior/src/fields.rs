//! The fields of an [`ActivityEvent`] a condition can test, and the borrowed
//! view of their values that operators see.

use std::fmt;

use serde_json::Value;
use uuid::Uuid;
use warden_audit::ActivityEvent;

/// The names of the top-level fields, in the order error messages list them.
pub const FIELD_NAMES: [&str; 17] = [
    "action",
    "kind",
    "method",
    "route",
    "path",
    "status",
    "latency_us",
    "bytes_in",
    "bytes_out",
    "client_ip",
    "user_agent",
    "resource_type",
    "resource_id",
    "actor_id",
    "actor_subject",
    "actor_roles",
    "request_id",
];

/// The most segments a `metadata.<path>` may have.
pub const MAX_METADATA_DEPTH: usize = 16;

/// A borrowed view of one field's value in one event.
///
/// Metadata values map as: string → [`Str`](Self::Str), number →
/// [`Num`](Self::Num), bool → [`Bool`](Self::Bool), `null` or absent →
/// [`Missing`](Self::Missing), array or object → [`Json`](Self::Json).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldValue<'a> {
    /// The event has no value for the field (an absent optional field, an
    /// empty text, or a metadata path that leads nowhere or to `null`).
    Missing,
    /// Text.
    Str(&'a str),
    /// A number.
    Num(f64),
    /// A boolean (metadata only).
    Bool(bool),
    /// A list of strings (`actor_roles`).
    List(&'a [String]),
    /// A metadata array or object.
    Json(&'a Value),
}

impl FieldValue<'_> {
    /// True for [`FieldValue::Missing`].
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Missing)
    }

    /// The value as a number: numbers as they are, anything else `None`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// An owned text form, used for group keys and distinct counts: text as it
    /// is, whole numbers without a fraction, lists joined by `,`, JSON as
    /// compact JSON. `None` when missing.
    pub fn to_key_string(&self) -> Option<String> {
        match self {
            Self::Missing => None,
            Self::Str(s) => Some((*s).to_owned()),
            Self::Num(n) => Some(format_number(*n)),
            Self::Bool(b) => Some(b.to_string()),
            Self::List(items) => Some(items.join(",")),
            Self::Json(v) => Some(v.to_string()),
        }
    }
}

/// Formats a number without a trailing `.0` for whole values.
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// What type of value a field holds, for compile-time checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Text (or an id shown as text).
    Text,
    /// A number.
    Number,
    /// A list of strings.
    List,
    /// Any JSON value (metadata); checked at evaluation time.
    Any,
}

impl FieldType {
    /// A word for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "a number",
            Self::List => "a list of strings",
            Self::Any => "any JSON value",
        }
    }
}

/// One segment of a metadata path: an object key, which also indexes arrays
/// when it is a whole number.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    key: Box<str>,
    index: Option<usize>,
}

/// A field of an activity event that conditions, sums and distinct counts
/// can name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// `action`.
    Action,
    /// `kind` (as its stored text, e.g. `security`).
    Kind,
    /// `method`.
    Method,
    /// `route`.
    Route,
    /// `path`.
    Path,
    /// `status`.
    Status,
    /// `latency_us`.
    LatencyUs,
    /// `bytes_in`.
    BytesIn,
    /// `bytes_out`.
    BytesOut,
    /// `client_ip`.
    ClientIp,
    /// `user_agent`.
    UserAgent,
    /// `resource_type`.
    ResourceType,
    /// `resource_id`.
    ResourceId,
    /// `actor_id` (as lower-case hyphenated UUID text).
    ActorId,
    /// `actor_subject`.
    ActorSubject,
    /// `actor_roles`.
    ActorRoles,
    /// `request_id`.
    RequestId,
    /// `metadata.<dot.path>`: a path into the metadata object; whole-number
    /// segments also index arrays (`metadata.items.0.sku`).
    Metadata(MetadataPath),
}

/// A parsed `metadata.<dot.path>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataPath {
    segments: Box<[Segment]>,
}

impl MetadataPath {
    /// Follows the path in `root`.
    pub fn lookup<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        let mut cur = root;
        for seg in self.segments.iter() {
            cur = match cur {
                Value::Object(map) => map.get(&*seg.key)?,
                Value::Array(items) => items.get(seg.index?)?,
                _ => return None,
            };
        }
        Some(cur)
    }
}

fn opt_str(s: &Option<String>) -> FieldValue<'_> {
    match s.as_deref() {
        Some(s) if !s.is_empty() => FieldValue::Str(s),
        _ => FieldValue::Missing,
    }
}

fn opt_num(n: Option<i64>) -> FieldValue<'static> {
    n.map_or(FieldValue::Missing, |n| FieldValue::Num(n as f64))
}

/// Maps a metadata JSON value to a field value.
pub fn json_value(v: Option<&Value>) -> FieldValue<'_> {
    match v {
        None | Some(Value::Null) => FieldValue::Missing,
        Some(Value::String(s)) => FieldValue::Str(s),
        Some(Value::Number(n)) => n.as_f64().map_or(FieldValue::Missing, FieldValue::Num),
        Some(Value::Bool(b)) => FieldValue::Bool(*b),
        Some(v @ (Value::Array(_) | Value::Object(_))) => FieldValue::Json(v),
    }
}

impl Field {
    /// Parses a field name; the error lists the known names.
    pub fn parse(name: &str) -> Result<Self, String> {
        let field = match name {
            "action" => Self::Action,
            "kind" => Self::Kind,
            "method" => Self::Method,
            "route" => Self::Route,
            "path" => Self::Path,
            "status" => Self::Status,
            "latency_us" => Self::LatencyUs,
            "bytes_in" => Self::BytesIn,
            "bytes_out" => Self::BytesOut,
            "client_ip" => Self::ClientIp,
            "user_agent" => Self::UserAgent,
            "resource_type" => Self::ResourceType,
            "resource_id" => Self::ResourceId,
            "actor_id" => Self::ActorId,
            "actor_subject" => Self::ActorSubject,
            "actor_roles" => Self::ActorRoles,
            "request_id" => Self::RequestId,
            "metadata" => {
                return Err(
                    "metadata needs a path into the metadata object, e.g. \"metadata.plan\"".into(),
                );
            }
            other => {
                let Some(path) = other.strip_prefix("metadata.") else {
                    return Err(format!(
                        "unknown field {other:?} (known: {}, metadata.<path>)",
                        FIELD_NAMES.join(", ")
                    ));
                };
                let segments: Vec<Segment> = path
                    .split('.')
                    .map(|s| Segment {
                        key: s.into(),
                        index: s.parse().ok(),
                    })
                    .collect();
                if segments.iter().any(|s| s.key.is_empty()) {
                    return Err(format!(
                        "metadata path {other:?} has an empty segment (write metadata.a.b)"
                    ));
                }
                if segments.len() > MAX_METADATA_DEPTH {
                    return Err(format!(
                        "metadata path {other:?} is deeper than {MAX_METADATA_DEPTH} segments"
                    ));
                }
                Self::Metadata(MetadataPath {
                    segments: segments.into(),
                })
            }
        };
        Ok(field)
    }

    /// The type of value the field holds.
    pub fn field_type(&self) -> FieldType {
        match self {
            Self::Status | Self::LatencyUs | Self::BytesIn | Self::BytesOut => FieldType::Number,
            Self::ActorRoles => FieldType::List,
            Self::Metadata(_) => FieldType::Any,
            _ => FieldType::Text,
        }
    }

    /// Calls `f` with the field's value in `event`, without allocating
    /// (`actor_id` is formatted into a stack buffer).
    #[inline]
    pub fn with_value<R>(&self, event: &ActivityEvent, f: impl FnOnce(FieldValue<'_>) -> R) -> R {
        let v = match self {
            Self::Action => {
                if event.action.is_empty() {
                    FieldValue::Missing
                } else {
                    FieldValue::Str(&event.action)
                }
            }
            Self::Kind => event
                .kind
                .map_or(FieldValue::Missing, |k| FieldValue::Str(k.as_str())),
            Self::Method => opt_str(&event.method),
            Self::Route => opt_str(&event.route),
            Self::Path => opt_str(&event.path),
            Self::Status => event
                .status
                .map_or(FieldValue::Missing, |s| FieldValue::Num(f64::from(s))),
            Self::LatencyUs => opt_num(event.latency_us),
            Self::BytesIn => opt_num(event.bytes_in),
            Self::BytesOut => opt_num(event.bytes_out),
            Self::ClientIp => opt_str(&event.client_ip),
            Self::UserAgent => opt_str(&event.user_agent),
            Self::ResourceType => opt_str(&event.resource_type),
            Self::ResourceId => opt_str(&event.resource_id),
            Self::ActorId => {
                return match event.actor_id {
                    Some(id) => {
                        let mut buf = Uuid::encode_buffer();
                        let s: &str = id.hyphenated().encode_lower(&mut buf);
                        f(FieldValue::Str(s))
                    }
                    None => f(FieldValue::Missing),
                };
            }
            Self::ActorSubject => opt_str(&event.actor_subject),
            Self::ActorRoles => FieldValue::List(&event.actor_roles),
            Self::RequestId => opt_str(&event.request_id),
            Self::Metadata(path) => json_value(path.lookup(&event.metadata)),
        };
        f(v)
    }

    /// The field's value as owned text (see [`FieldValue::to_key_string`]).
    pub fn key_string(&self, event: &ActivityEvent) -> Option<String> {
        self.with_value(event, |v| v.to_key_string())
    }

    /// The field's value as a number, if it is one.
    pub fn number(&self, event: &ActivityEvent) -> Option<f64> {
        self.with_value(event, |v| v.as_f64())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Action => "action",
            Self::Kind => "kind",
            Self::Method => "method",
            Self::Route => "route",
            Self::Path => "path",
            Self::Status => "status",
            Self::LatencyUs => "latency_us",
            Self::BytesIn => "bytes_in",
            Self::BytesOut => "bytes_out",
            Self::ClientIp => "client_ip",
            Self::UserAgent => "user_agent",
            Self::ResourceType => "resource_type",
            Self::ResourceId => "resource_id",
            Self::ActorId => "actor_id",
            Self::ActorSubject => "actor_subject",
            Self::ActorRoles => "actor_roles",
            Self::RequestId => "request_id",
            Self::Metadata(path) => {
                f.write_str("metadata")?;
                for seg in path.segments.iter() {
                    write!(f, ".{}", seg.key)?;
                }
                return Ok(());
            }
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use warden_audit::Kind;

    fn event() -> ActivityEvent {
        let mut e = ActivityEvent::new(Kind::Security, "auth_failure");
        e.actor_id = Some(Uuid::nil());
        e.status = Some(401);
        e.client_ip = Some("10.0.0.1".into());
        e.user_agent = Some(String::new());
        e.actor_roles = vec!["admin".into()];
        e.metadata = json!({"a": {"b": [1, {"c": "x"}]}, "n": null, "t": true});
        e
    }

    #[test]
    fn parses_every_field_and_round_trips_its_name() {
        for name in FIELD_NAMES {
            let f = Field::parse(name).unwrap();
            assert_eq!(f.to_string(), name);
        }
        assert_eq!(
            Field::parse("metadata.a.b").unwrap().to_string(),
            "metadata.a.b"
        );
    }

    #[test]
    fn rejects_bad_names() {
        let e = Field::parse("stauts").unwrap_err();
        assert!(
            e.starts_with("unknown field \"stauts\" (known: action, kind"),
            "{e}"
        );
        assert!(
            Field::parse("metadata")
                .unwrap_err()
                .contains("needs a path")
        );
        assert!(
            Field::parse("metadata.a..b")
                .unwrap_err()
                .contains("empty segment")
        );
        assert!(
            Field::parse("metadata.")
                .unwrap_err()
                .contains("empty segment")
        );
        let deep = format!("metadata{}", ".a".repeat(17));
        assert!(Field::parse(&deep).unwrap_err().contains("deeper than 16"));
    }

    #[test]
    fn reads_values() {
        let e = event();
        let get = |name: &str| Field::parse(name).unwrap().key_string(&e);
        assert_eq!(get("kind").as_deref(), Some("security"));
        assert_eq!(get("status").as_deref(), Some("401"));
        assert_eq!(
            get("actor_id").as_deref(),
            Some("00000000-0000-0000-0000-000000000000")
        );
        assert_eq!(get("user_agent"), None, "empty text is missing");
        assert_eq!(get("route"), None);
        assert_eq!(get("actor_roles").as_deref(), Some("admin"));
        assert_eq!(get("metadata.a.b.1.c").as_deref(), Some("x"));
        assert_eq!(get("metadata.a.b.0").as_deref(), Some("1"));
        assert_eq!(get("metadata.a.b").as_deref(), Some("[1,{\"c\":\"x\"}]"));
        assert_eq!(get("metadata.n"), None, "null is missing");
        assert_eq!(get("metadata.t").as_deref(), Some("true"));
        assert_eq!(get("metadata.a.b.7"), None);
        assert_eq!(get("metadata.t.x"), None);
        assert_eq!(Field::Status.number(&e), Some(401.0));
        assert_eq!(Field::Action.number(&e), None);
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(-2.0), "-2");
        assert_eq!(format_number(2.5), "2.5");
    }
}
