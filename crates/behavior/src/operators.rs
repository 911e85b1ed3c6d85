//! Comparison operators: the built-in ones, compiled to a plain enum so the
//! hot path has no dynamic dispatch, and custom ones added by embedders
//! through [`Operator`] and [`Matcher`].
//!
//! Built-in operators and what they need:
//!
//! | op | value | matches when the field … |
//! |----|-------|--------------------------|
//! | `eq` | string, number, bool, `null`, or (metadata only) array/object | equals the value; `null` means "is missing" |
//! | `ne` | as `eq` | does not equal the value; `null` means "is present" |
//! | `gt` `lt` `gte` `lte` | number | is a number and compares so |
//! | `in` | non-empty array of strings/numbers/bools | equals one of them (a list field: any element does) |
//! | `contains` | string, number or bool | text contains the substring, or a list/array field has the element |
//! | `regex` | string (Rust `regex` syntax) | text matches (a list/array field: any string element does) |
//!
//! A missing field makes every operator false except `ne`, which is true
//! (custom operators are not called for missing fields).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use crate::fields::{Field, FieldType, FieldValue};

/// The longest regular expression source accepted, in bytes.
pub const MAX_REGEX_LEN: usize = 1_000;
/// Compiled-size limit of one regular expression, in bytes.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// The most values an `in` array may hold.
pub const MAX_IN_VALUES: usize = 1_000;

/// The names of the built-in operators.
pub const BUILTIN_NAMES: [&str; 9] = [
    "eq", "ne", "gt", "lt", "gte", "lte", "in", "contains", "regex",
];

/// A custom comparison operator, registered with [`Operators::with`].
pub trait Operator: Send + Sync {
    /// The name used as `op` in conditions.
    fn name(&self) -> &str;

    /// Checks the comparison's `value` and prepares a matcher for it, once per
    /// pattern compile. The error text is reported at `<path>.value`.
    fn prepare(&self, value: &Value) -> Result<Box<dyn Matcher>, String>;
}

/// A prepared comparison: tests one field value. Must not block; should not
/// allocate.
pub trait Matcher: Send + Sync {
    /// True when `field` matches. Never called with [`FieldValue::Missing`].
    fn matches(&self, field: &FieldValue<'_>) -> bool;
}

/// The set of operators conditions may use: the built-in ones plus custom
/// ones. Cheap to clone.
#[derive(Clone, Default)]
pub struct Operators {
    custom: BTreeMap<String, Arc<dyn Operator>>,
}

impl fmt::Debug for Operators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operators")
            .field("names", &self.names())
            .finish()
    }
}

impl Operators {
    /// Only the built-in operators.
    pub fn builtin() -> Self {
        Self::default()
    }

    /// Adds a custom operator. One named like a built-in operator (or an
    /// earlier custom one) replaces it.
    #[must_use]
    pub fn with(mut self, op: impl Operator + 'static) -> Self {
        self.custom.insert(op.name().to_owned(), Arc::new(op));
        self
    }

    /// Every operator name: the built-in ones, then the custom ones sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = BUILTIN_NAMES
            .iter()
            .copied()
            .filter(|n| !self.custom.contains_key(*n))
            .collect();
        names.extend(self.custom.keys().map(String::as_str));
        names
    }

    /// Prepares the test `op value` against `field`. On error, says whether the
    /// `op` or the `value` is at fault, and why.
    pub(crate) fn prepare(
        &self,
        field: &Field,
        op: &str,
        value: &Value,
    ) -> Result<Test, (Blame, String)> {
        if let Some(custom) = self.custom.get(op) {
            let matcher = custom.prepare(value).map_err(|e| (Blame::Value, e))?;
            return Ok(Test {
                kind: TestKind::Custom(matcher),
                negate: false,
            });
        }
        let Some(op) = BuiltinOp::parse(op) else {
            return Err((
                Blame::Op,
                format!(
                    "unknown operator {op:?} (known: {})",
                    self.names().join(", ")
                ),
            ));
        };
        let (builtin, negate) = prepare_builtin(op, field, value)?;
        Ok(Test {
            kind: TestKind::Builtin(builtin),
            negate,
        })
    }
}

/// Which part of a comparison an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Blame {
    /// The `op`.
    Op,
    /// The `value`.
    Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BuiltinOp {
    Eq,
    Ne,
    Gt,
    Lt,
    Gte,
    Lte,
    In,
    Contains,
    Regex,
}

impl BuiltinOp {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "gt" => Self::Gt,
            "lt" => Self::Lt,
            "gte" => Self::Gte,
            "lte" => Self::Lte,
            "in" => Self::In,
            "contains" => Self::Contains,
            "regex" => Self::Regex,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Gt => "gt",
            Self::Lt => "lt",
            Self::Gte => "gte",
            Self::Lte => "lte",
            Self::In => "in",
            Self::Contains => "contains",
            Self::Regex => "regex",
        }
    }
}

/// A compiled test of one field value.
pub(crate) struct Test {
    kind: TestKind,
    negate: bool,
}

enum TestKind {
    Builtin(Builtin),
    Custom(Box<dyn Matcher>),
}

impl Test {
    /// Runs the test.
    #[inline]
    pub(crate) fn matches(&self, v: &FieldValue<'_>) -> bool {
        let hit = match &self.kind {
            TestKind::Builtin(b) => b.matches(v),
            TestKind::Custom(m) => !v.is_missing() && m.matches(v),
        };
        hit != self.negate
    }

    /// A rough relative cost, so cheap tests run first inside `all`/`any`.
    pub(crate) fn cost(&self) -> u32 {
        match &self.kind {
            TestKind::Builtin(Builtin::Regex(_)) => 20,
            TestKind::Builtin(Builtin::Contains(Scalar::Str(_))) => 4,
            TestKind::Builtin(Builtin::EqJson(_)) => 4,
            TestKind::Builtin(Builtin::In(set)) => 2 + u32::from(set.strs.len() > 8),
            TestKind::Builtin(_) => 1,
            TestKind::Custom(_) => 30,
        }
    }
}

/// A scalar operand.
#[derive(Debug)]
enum Scalar {
    Str(Box<str>),
    Num(f64),
    Bool(bool),
}

impl Scalar {
    fn eq_field(&self, v: &FieldValue<'_>) -> bool {
        match (self, v) {
            (Self::Str(s), FieldValue::Str(x)) => **s == **x,
            (Self::Num(n), FieldValue::Num(x)) => n == x,
            (Self::Bool(b), FieldValue::Bool(x)) => b == x,
            _ => false,
        }
    }

    fn eq_json(&self, v: &Value) -> bool {
        match (self, v) {
            (Self::Str(s), Value::String(x)) => **s == **x,
            (Self::Num(n), Value::Number(x)) => x.as_f64() == Some(*n),
            (Self::Bool(b), Value::Bool(x)) => b == x,
            _ => false,
        }
    }
}

/// The values of an `in`.
#[derive(Debug, Default)]
struct InSet {
    /// Sorted, for binary search.
    strs: Vec<Box<str>>,
    nums: Vec<f64>,
    bools: [bool; 2],
}

impl InSet {
    fn has_str(&self, s: &str) -> bool {
        if self.strs.len() <= 8 {
            self.strs.iter().any(|x| **x == *s)
        } else {
            self.strs.binary_search_by(|x| (**x).cmp(s)).is_ok()
        }
    }

    fn has_json(&self, v: &Value) -> bool {
        match v {
            Value::String(s) => self.has_str(s),
            Value::Number(n) => n.as_f64().is_some_and(|n| self.nums.contains(&n)),
            Value::Bool(b) => self.bools[usize::from(*b)],
            _ => false,
        }
    }

    fn matches(&self, v: &FieldValue<'_>) -> bool {
        match v {
            FieldValue::Str(s) => self.has_str(s),
            FieldValue::Num(n) => self.nums.contains(n),
            FieldValue::Bool(b) => self.bools[usize::from(*b)],
            FieldValue::List(items) => items.iter().any(|s| self.has_str(s)),
            FieldValue::Json(Value::Array(items)) => items.iter().any(|v| self.has_json(v)),
            FieldValue::Json(_) | FieldValue::Missing => false,
        }
    }
}

/// The built-in tests. `ne` is a negated `eq`.
#[derive(Debug)]
enum Builtin {
    Eq(Scalar),
    EqJson(Value),
    IsMissing,
    Gt(f64),
    Lt(f64),
    Gte(f64),
    Lte(f64),
    In(InSet),
    Contains(Scalar),
    Regex(Regex),
}

impl Builtin {
    #[inline]
    fn matches(&self, v: &FieldValue<'_>) -> bool {
        match self {
            Self::Eq(s) => s.eq_field(v),
            Self::EqJson(want) => matches!(v, FieldValue::Json(x) if *x == want),
            Self::IsMissing => v.is_missing(),
            Self::Gt(n) => matches!(v, FieldValue::Num(x) if x > n),
            Self::Lt(n) => matches!(v, FieldValue::Num(x) if x < n),
            Self::Gte(n) => matches!(v, FieldValue::Num(x) if x >= n),
            Self::Lte(n) => matches!(v, FieldValue::Num(x) if x <= n),
            Self::In(set) => set.matches(v),
            Self::Contains(s) => match (s, v) {
                (Scalar::Str(s), FieldValue::Str(x)) => x.contains(&**s),
                (Scalar::Str(s), FieldValue::List(items)) => items.iter().any(|x| **x == **s),
                (_, FieldValue::Json(Value::Array(items))) => items.iter().any(|x| s.eq_json(x)),
                _ => false,
            },
            Self::Regex(re) => match v {
                FieldValue::Str(x) => re.is_match(x),
                FieldValue::List(items) => items.iter().any(|x| re.is_match(x)),
                FieldValue::Json(Value::Array(items)) => items
                    .iter()
                    .any(|x| x.as_str().is_some_and(|x| re.is_match(x))),
                _ => false,
            },
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks that `value` suits the field's type and turns it into a scalar.
fn scalar_for(field: &Field, op: BuiltinOp, value: &Value) -> Result<Scalar, String> {
    let ty = field.field_type();
    let scalar = match value {
        Value::String(s) => Scalar::Str(s.as_str().into()),
        Value::Number(n) => Scalar::Num(
            n.as_f64()
                .ok_or_else(|| format!("{n} is not a representable number"))?,
        ),
        Value::Bool(b) => Scalar::Bool(*b),
        other => {
            return Err(format!(
                "{} needs a string, number or bool here, got {}",
                op.as_str(),
                json_type(other)
            ));
        }
    };
    let fits = matches!(
        (ty, &scalar),
        (FieldType::Any, _)
            | (FieldType::Text | FieldType::List, Scalar::Str(_))
            | (FieldType::Number, Scalar::Num(_))
    );
    if !fits {
        let want = match ty {
            FieldType::Number => "a number",
            _ => "a string",
        };
        return Err(format!(
            "{field} is {}; give {want}, not {}",
            ty.describe(),
            json_type(value)
        ));
    }
    normalise(field, scalar)
}

/// Checks and normalises text operands of special fields: kinds must be known,
/// actor ids are compared as lower-case hyphenated UUIDs.
fn normalise(field: &Field, scalar: Scalar) -> Result<Scalar, String> {
    match (field, scalar) {
        (Field::Kind, Scalar::Str(s)) => {
            if warden_audit::Kind::parse(&s).is_none() {
                let known: Vec<&str> = warden_audit::Kind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(format!("unknown kind {s:?} (known: {})", known.join(", ")));
            }
            Ok(Scalar::Str(s))
        }
        (Field::ActorId, Scalar::Str(s)) => {
            let id = uuid::Uuid::parse_str(&s)
                .map_err(|_| format!("actor_id is a UUID; {s:?} is not one"))?;
            Ok(Scalar::Str(id.hyphenated().to_string().into()))
        }
        (_, s) => Ok(s),
    }
}

fn number(op: BuiltinOp, field: &Field, value: &Value) -> Result<f64, (Blame, String)> {
    let n = value.as_f64().ok_or_else(|| {
        (
            Blame::Value,
            format!(
                "{} needs a number value, got {}",
                op.as_str(),
                json_type(value)
            ),
        )
    })?;
    if matches!(field.field_type(), FieldType::Text | FieldType::List) {
        return Err((
            Blame::Op,
            format!(
                "{} compares numbers but {field} is {}",
                op.as_str(),
                field.field_type().describe()
            ),
        ));
    }
    Ok(n)
}

fn prepare_builtin(
    op: BuiltinOp,
    field: &Field,
    value: &Value,
) -> Result<(Builtin, bool), (Blame, String)> {
    let ty = field.field_type();
    let val = |e: String| (Blame::Value, e);
    let b = match op {
        BuiltinOp::Eq | BuiltinOp::Ne => {
            let negate = op == BuiltinOp::Ne;
            if ty == FieldType::List {
                return Err((
                    Blame::Op,
                    format!(
                        "{field} is a list of strings; use contains, in or regex instead of {}",
                        op.as_str()
                    ),
                ));
            }
            let b = match value {
                Value::Null => Builtin::IsMissing,
                Value::Array(_) | Value::Object(_) if ty == FieldType::Any => {
                    Builtin::EqJson(value.clone())
                }
                _ => Builtin::Eq(scalar_for(field, op, value).map_err(val)?),
            };
            return Ok((b, negate));
        }
        BuiltinOp::Gt => Builtin::Gt(number(op, field, value)?),
        BuiltinOp::Lt => Builtin::Lt(number(op, field, value)?),
        BuiltinOp::Gte => Builtin::Gte(number(op, field, value)?),
        BuiltinOp::Lte => Builtin::Lte(number(op, field, value)?),
        BuiltinOp::In => {
            let Value::Array(items) = value else {
                return Err(val(format!(
                    "in needs an array value, got {}",
                    json_type(value)
                )));
            };
            if items.is_empty() {
                return Err(val("in needs at least one value".into()));
            }
            if items.len() > MAX_IN_VALUES {
                return Err(val(format!("in takes at most {MAX_IN_VALUES} values")));
            }
            let mut set = InSet::default();
            for (i, item) in items.iter().enumerate() {
                match scalar_for(field, op, item).map_err(|e| val(format!("[{i}]: {e}")))? {
                    Scalar::Str(s) => set.strs.push(s),
                    Scalar::Num(n) => set.nums.push(n),
                    Scalar::Bool(b) => set.bools[usize::from(b)] = true,
                }
            }
            set.strs.sort();
            set.strs.dedup();
            Builtin::In(set)
        }
        BuiltinOp::Contains => {
            if ty == FieldType::Number {
                return Err((
                    Blame::Op,
                    format!("contains needs text or a list, but {field} is a number"),
                ));
            }
            let s = scalar_for(field, op, value).map_err(val)?;
            Builtin::Contains(s)
        }
        BuiltinOp::Regex => {
            let Value::String(src) = value else {
                return Err(val(format!(
                    "regex needs a string value, got {}",
                    json_type(value)
                )));
            };
            if ty == FieldType::Number {
                return Err((
                    Blame::Op,
                    format!("regex needs text, but {field} is a number; use gt/lt/in"),
                ));
            }
            if src.len() > MAX_REGEX_LEN {
                return Err(val(format!("regex is longer than {MAX_REGEX_LEN} bytes")));
            }
            let re = RegexBuilder::new(src)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| {
                    val(format!(
                        "regex does not compile: {}",
                        e.to_string().replace('\n', " ")
                    ))
                })?;
            Builtin::Regex(re)
        }
    };
    Ok((b, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn test(field: &str, op: &str, value: Value) -> Test {
        Operators::builtin()
            .prepare(&Field::parse(field).unwrap(), op, &value)
            .map_err(|(_, e)| e)
            .unwrap()
    }

    fn err(field: &str, op: &str, value: Value) -> (Blame, String) {
        match Operators::builtin().prepare(&Field::parse(field).unwrap(), op, &value) {
            Ok(_) => panic!("{field} {op} {value} should not compile"),
            Err(e) => e,
        }
    }

    const ROLES: &[String] = &[];

    #[test]
    fn eq_and_ne() {
        let t = test("action", "eq", json!("login"));
        assert!(t.matches(&FieldValue::Str("login")));
        assert!(!t.matches(&FieldValue::Str("logout")));
        assert!(!t.matches(&FieldValue::Missing));
        let t = test("action", "ne", json!("login"));
        assert!(!t.matches(&FieldValue::Str("login")));
        assert!(t.matches(&FieldValue::Str("logout")));
        assert!(
            t.matches(&FieldValue::Missing),
            "ne is true on a missing field"
        );
        let t = test("status", "eq", json!(401));
        assert!(t.matches(&FieldValue::Num(401.0)));
        assert!(!t.matches(&FieldValue::Num(400.0)));
        let t = test("metadata.flag", "eq", json!(true));
        assert!(t.matches(&FieldValue::Bool(true)));
        assert!(!t.matches(&FieldValue::Str("true")));
        let arr = json!([1, 2]);
        let t = test("metadata.xs", "eq", json!([1, 2]));
        assert!(t.matches(&FieldValue::Json(&arr)));
        let t = test("route", "eq", Value::Null);
        assert!(t.matches(&FieldValue::Missing));
        assert!(!t.matches(&FieldValue::Str("/x")));
        let t = test("route", "ne", Value::Null);
        assert!(!t.matches(&FieldValue::Missing));
        assert!(t.matches(&FieldValue::Str("/x")));
    }

    #[test]
    fn comparisons() {
        for (op, at, below, above) in [
            ("gt", false, false, true),
            ("gte", true, false, true),
            ("lt", false, true, false),
            ("lte", true, true, false),
        ] {
            let t = test("latency_us", op, json!(1000));
            assert_eq!(t.matches(&FieldValue::Num(1000.0)), at, "{op} at");
            assert_eq!(t.matches(&FieldValue::Num(999.0)), below, "{op} below");
            assert_eq!(t.matches(&FieldValue::Num(1001.0)), above, "{op} above");
            assert!(!t.matches(&FieldValue::Missing), "{op} missing");
            assert!(!t.matches(&FieldValue::Str("2000")), "{op} on text");
        }
        let t = test("metadata.score", "gte", json!(0.5));
        assert!(t.matches(&FieldValue::Num(0.75)));
        assert!(!t.matches(&FieldValue::Bool(true)));
    }

    #[test]
    fn in_sets() {
        let t = test("status", "in", json!([401, 403]));
        assert!(t.matches(&FieldValue::Num(403.0)));
        assert!(!t.matches(&FieldValue::Num(404.0)));
        assert!(!t.matches(&FieldValue::Missing));
        let many: Vec<String> = (0..20).map(|i| format!("a{i}")).collect();
        let t = test("action", "in", json!(many));
        assert!(t.matches(&FieldValue::Str("a17")));
        assert!(!t.matches(&FieldValue::Str("a20")));
        let roles = vec!["viewer".to_owned(), "admin".to_owned()];
        let t = test("actor_roles", "in", json!(["admin", "owner"]));
        assert!(t.matches(&FieldValue::List(&roles)));
        assert!(!t.matches(&FieldValue::List(ROLES)));
        let t = test("metadata.x", "in", json!(["a", 1, true]));
        assert!(t.matches(&FieldValue::Str("a")));
        assert!(t.matches(&FieldValue::Num(1.0)));
        assert!(t.matches(&FieldValue::Bool(true)));
        assert!(!t.matches(&FieldValue::Bool(false)));
        let arr = json!(["z", 1]);
        assert!(t.matches(&FieldValue::Json(&arr)));
    }

    #[test]
    fn contains() {
        let t = test("path", "contains", json!("/admin"));
        assert!(t.matches(&FieldValue::Str("/api/admin/users")));
        assert!(!t.matches(&FieldValue::Str("/api/users")));
        assert!(!t.matches(&FieldValue::Missing));
        let roles = vec!["admin".to_owned()];
        let t = test("actor_roles", "contains", json!("admin"));
        assert!(t.matches(&FieldValue::List(&roles)));
        let t = test("actor_roles", "contains", json!("adm"));
        assert!(
            !t.matches(&FieldValue::List(&roles)),
            "list elements match whole"
        );
        let arr = json!(["a", 7, false]);
        assert!(test("metadata.tags", "contains", json!(7)).matches(&FieldValue::Json(&arr)));
        assert!(test("metadata.tags", "contains", json!(false)).matches(&FieldValue::Json(&arr)));
        assert!(!test("metadata.tags", "contains", json!("b")).matches(&FieldValue::Json(&arr)));
    }

    #[test]
    fn regex() {
        let t = test("path", "regex", json!("^/api/v1/users/[0-9]+$"));
        assert!(t.matches(&FieldValue::Str("/api/v1/users/42")));
        assert!(!t.matches(&FieldValue::Str("/api/v1/users/me")));
        assert!(!t.matches(&FieldValue::Missing));
        let roles = vec!["x".to_owned(), "super_admin".to_owned()];
        assert!(test("actor_roles", "regex", json!("admin$")).matches(&FieldValue::List(&roles)));
        let arr = json!([1, "abc"]);
        assert!(test("metadata.x", "regex", json!("^a")).matches(&FieldValue::Json(&arr)));
    }

    #[test]
    fn special_fields() {
        let t = test(
            "actor_id",
            "eq",
            json!("6F9619FF-8B86-D011-B42D-00CF4FC964FF"),
        );
        assert!(t.matches(&FieldValue::Str("6f9619ff-8b86-d011-b42d-00cf4fc964ff")));
        let (b, e) = err("actor_id", "eq", json!("bob"));
        assert_eq!(b, Blame::Value);
        assert!(e.contains("is not one"), "{e}");
        let (_, e) = err("kind", "in", json!(["auth", "nope"]));
        assert!(
            e.starts_with("[1]: unknown kind \"nope\" (known: auth,"),
            "{e}"
        );
    }

    #[test]
    fn rejects_bad_operands() {
        let cases: &[(&str, &str, Value, Blame, &str)] = &[
            (
                "action",
                "eqq",
                json!("x"),
                Blame::Op,
                "unknown operator \"eqq\" (known: eq, ne, gt, lt, gte, lte, in, contains, regex)",
            ),
            (
                "status",
                "gt",
                json!("400"),
                Blame::Value,
                "gt needs a number value, got a string",
            ),
            (
                "action",
                "gt",
                json!(4),
                Blame::Op,
                "gt compares numbers but action is text",
            ),
            (
                "status",
                "in",
                json!(401),
                Blame::Value,
                "in needs an array value, got a number",
            ),
            (
                "status",
                "in",
                json!([]),
                Blame::Value,
                "in needs at least one value",
            ),
            (
                "status",
                "in",
                json!([401, "403"]),
                Blame::Value,
                "[1]: status is a number; give a number, not a string",
            ),
            (
                "path",
                "regex",
                json!(3),
                Blame::Value,
                "regex needs a string value, got a number",
            ),
            (
                "status",
                "regex",
                json!("^4"),
                Blame::Op,
                "regex needs text, but status is a number; use gt/lt/in",
            ),
            (
                "status",
                "contains",
                json!(4),
                Blame::Op,
                "contains needs text or a list, but status is a number",
            ),
            (
                "status",
                "eq",
                json!("401"),
                Blame::Value,
                "status is a number; give a number, not a string",
            ),
            (
                "action",
                "eq",
                json!(1),
                Blame::Value,
                "action is text; give a string, not a number",
            ),
            (
                "action",
                "eq",
                json!(["a"]),
                Blame::Value,
                "eq needs a string, number or bool here, got an array",
            ),
            (
                "actor_roles",
                "eq",
                json!("admin"),
                Blame::Op,
                "actor_roles is a list of strings; use contains, in or regex instead of eq",
            ),
        ];
        for (field, op, value, blame, msg) in cases {
            let (b, e) = err(field, op, value.clone());
            assert_eq!((b, e.as_str()), (*blame, *msg), "{field} {op} {value}");
        }
        let (b, e) = err("path", "regex", json!("(unclosed"));
        assert_eq!(b, Blame::Value);
        assert!(e.starts_with("regex does not compile: "), "{e}");
        assert!(!e.contains('\n'));
        let (_, e) = err("path", "regex", json!("a".repeat(1001)));
        assert!(e.contains("longer than 1000"), "{e}");
        let (_, e) = err("path", "regex", json!("\\w{500}\\w{500}"));
        assert!(e.starts_with("regex does not compile"), "{e}");
    }

    struct EndsWith;
    struct EndsWithMatcher(String);

    impl Operator for EndsWith {
        fn name(&self) -> &str {
            "ends_with"
        }
        fn prepare(&self, value: &Value) -> Result<Box<dyn Matcher>, String> {
            let s = value.as_str().ok_or("ends_with needs a string")?;
            Ok(Box::new(EndsWithMatcher(s.to_owned())))
        }
    }

    impl Matcher for EndsWithMatcher {
        fn matches(&self, field: &FieldValue<'_>) -> bool {
            matches!(field, FieldValue::Str(s) if s.ends_with(&self.0))
        }
    }

    #[test]
    fn custom_operators() {
        let ops = Operators::builtin().with(EndsWith);
        assert_eq!(ops.names().last(), Some(&"ends_with"));
        let t = ops
            .prepare(&Field::Path, "ends_with", &json!(".php"))
            .map_err(|(_, e)| e)
            .unwrap();
        assert!(t.matches(&FieldValue::Str("/wp-login.php")));
        assert!(!t.matches(&FieldValue::Str("/index.html")));
        assert!(!t.matches(&FieldValue::Missing));
        let Err((b, e)) = ops.prepare(&Field::Path, "ends_with", &json!(1)) else {
            panic!("should fail")
        };
        assert_eq!((b, e.as_str()), (Blame::Value, "ends_with needs a string"));
        let Err((_, e)) = Operators::builtin().prepare(&Field::Path, "ends_with", &json!("x"))
        else {
            panic!("should fail")
        };
        assert!(e.starts_with("unknown operator \"ends_with\""));
        assert!(format!("{ops:?}").contains("ends_with"));
    }
}
