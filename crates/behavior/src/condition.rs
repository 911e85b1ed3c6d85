//! Conditions: the JSON tree of `all` / `any` / `not` and comparisons, and its
//! compiled form.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use warden_audit::ActivityEvent;

use crate::error::BehaviorError;
use crate::fields::Field;
use crate::operators::{Blame, Operators, Test};

/// The deepest a condition may nest (a lone comparison has depth 1).
pub const MAX_DEPTH: usize = 16;
/// The most comparisons one pattern may hold.
pub const MAX_COMPARISONS: usize = 256;

/// A condition on one activity event. Exactly one of these JSON shapes:
///
/// - `{"all": [<condition>, …]}`: every sub-condition holds (at least one);
/// - `{"any": [<condition>, …]}`: at least one holds (at least one);
/// - `{"not": <condition>}`: the sub-condition does not hold;
/// - `{"field": "status", "op": "eq", "value": 401}`: a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Condition {
    /// Every sub-condition holds.
    All {
        /// The sub-conditions (at least one).
        #[schema(no_recursion, min_items = 1)]
        all: Vec<Condition>,
    },
    /// At least one sub-condition holds.
    Any {
        /// The sub-conditions (at least one).
        #[schema(no_recursion, min_items = 1)]
        any: Vec<Condition>,
    },
    /// The sub-condition does not hold.
    Not {
        /// The negated condition.
        #[schema(no_recursion)]
        not: Box<Condition>,
    },
    /// A comparison of one field.
    Compare(Comparison),
}

/// A comparison `field op value`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// `action`, `kind`, `method`, `route`, `path`, `status`, `latency_us`,
    /// `bytes_in`, `bytes_out`, `client_ip`, `user_agent`, `resource_type`,
    /// `resource_id`, `actor_id`, `actor_subject`, `actor_roles`, `request_id`,
    /// or `metadata.<dot.path>`.
    #[schema(
        pattern = "^(action|kind|method|route|path|status|latency_us|bytes_in|bytes_out|client_ip|user_agent|resource_type|resource_id|actor_id|actor_subject|actor_roles|request_id|metadata(\\.[^.]+){1,16})$"
    )]
    pub field: String,
    /// `eq`, `ne`, `gt`, `lt`, `gte`, `lte`, `in`, `contains`, `regex`, or a
    /// custom operator.
    #[schema(pattern = "^(eq|ne|gt|lt|gte|lte|in|contains|regex)$")]
    pub op: String,
    /// The operand: a number for `gt`/`lt`/`gte`/`lte`, an array for `in`, a
    /// regular expression for `regex`; `null` with `eq`/`ne` tests absence.
    pub value: Value,
}

/// Every key a condition object may have; deserialised first so that a
/// malformed condition gets a message naming what is wrong.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    #[serde(default)]
    all: Option<Vec<Condition>>,
    #[serde(default)]
    any: Option<Vec<Condition>>,
    #[serde(default)]
    not: Option<Box<Condition>>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    op: Option<String>,
    #[serde(default, deserialize_with = "present")]
    value: Option<Value>,
}

/// Keeps an explicit `null` as `Some(Null)`, so only an absent key is `None`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

const SHAPE: &str = "a condition is exactly one of {\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}} or {\"field\": ..., \"op\": ..., \"value\": ...}";

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawCondition::deserialize(d)?;
        let compare = raw.field.is_some() || raw.op.is_some() || raw.value.is_some();
        let shapes = usize::from(raw.all.is_some())
            + usize::from(raw.any.is_some())
            + usize::from(raw.not.is_some())
            + usize::from(compare);
        if shapes != 1 {
            return Err(D::Error::custom(SHAPE));
        }
        if let Some(all) = raw.all {
            return Ok(Self::All { all });
        }
        if let Some(any) = raw.any {
            return Ok(Self::Any { any });
        }
        if let Some(not) = raw.not {
            return Ok(Self::Not { not });
        }
        match (raw.field, raw.op, raw.value) {
            (Some(field), Some(op), Some(value)) => {
                Ok(Self::Compare(Comparison { field, op, value }))
            }
            _ => Err(D::Error::custom(
                "a comparison needs all of field, op and value",
            )),
        }
    }
}

impl Condition {
    /// Validates and compiles the condition; errors name the JSON path below
    /// `path` (e.g. `condition.all[2].op: …`).
    pub fn compile(
        &self,
        operators: &Operators,
        path: &str,
    ) -> Result<CompiledCondition, BehaviorError> {
        let mut comparisons = 0;
        let root =
            compile(self, operators, path, 1, &mut comparisons).map_err(BehaviorError::invalid)?;
        Ok(CompiledCondition { root, comparisons })
    }

    /// How many comparisons the tree holds.
    pub fn comparisons(&self) -> usize {
        match self {
            Self::All { all: xs } | Self::Any { any: xs } => xs.iter().map(Self::comparisons).sum(),
            Self::Not { not } => not.comparisons(),
            Self::Compare(_) => 1,
        }
    }
}

fn compile(
    c: &Condition,
    ops: &Operators,
    path: &str,
    depth: usize,
    comparisons: &mut usize,
) -> Result<Node, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{path}: conditions nest deeper than {MAX_DEPTH} levels"
        ));
    }
    let list =
        |xs: &[Condition], key: &str, comparisons: &mut usize| -> Result<Box<[Node]>, String> {
            if xs.is_empty() {
                return Err(format!("{path}.{key}: must hold at least one condition"));
            }
            let mut nodes = xs
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    compile(
                        x,
                        ops,
                        &format!("{path}.{key}[{i}]"),
                        depth + 1,
                        comparisons,
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            // Evaluation has no side effects, so cheap tests may go first.
            nodes.sort_by_key(Node::cost);
            Ok(nodes.into())
        };
    Ok(match c {
        Condition::All { all } => {
            let nodes = list(all, "all", comparisons)?;
            if nodes.len() == 1 {
                nodes.into_vec().remove(0)
            } else {
                Node::All(nodes)
            }
        }
        Condition::Any { any } => {
            let nodes = list(any, "any", comparisons)?;
            if nodes.len() == 1 {
                nodes.into_vec().remove(0)
            } else {
                Node::Any(nodes)
            }
        }
        Condition::Not { not } => Node::Not(Box::new(compile(
            not,
            ops,
            &format!("{path}.not"),
            depth + 1,
            comparisons,
        )?)),
        Condition::Compare(cmp) => {
            *comparisons += 1;
            if *comparisons > MAX_COMPARISONS {
                return Err(format!(
                    "{path}: a pattern may hold at most {MAX_COMPARISONS} comparisons"
                ));
            }
            let field = Field::parse(&cmp.field).map_err(|e| format!("{path}.field: {e}"))?;
            let test = ops
                .prepare(&field, &cmp.op, &cmp.value)
                .map_err(|(blame, e)| {
                    let at = match blame {
                        Blame::Op => "op",
                        Blame::Value => "value",
                    };
                    format!("{path}.{at}: {e}")
                })?;
            Node::Cmp(Box::new(Cmp { field, test }))
        }
    })
}

struct Cmp {
    field: Field,
    test: Test,
}

enum Node {
    All(Box<[Node]>),
    Any(Box<[Node]>),
    Not(Box<Node>),
    Cmp(Box<Cmp>),
}

impl Node {
    fn cost(&self) -> u32 {
        match self {
            Self::All(xs) | Self::Any(xs) => xs.iter().map(Self::cost).sum(),
            Self::Not(x) => x.cost(),
            Self::Cmp(c) => {
                c.test.cost() + u32::from(matches!(c.field, Field::Metadata(_) | Field::ActorId))
            }
        }
    }

    #[inline]
    fn eval(&self, event: &ActivityEvent) -> bool {
        match self {
            Self::All(xs) => xs.iter().all(|x| x.eval(event)),
            Self::Any(xs) => xs.iter().any(|x| x.eval(event)),
            Self::Not(x) => !x.eval(event),
            Self::Cmp(c) => c.field.with_value(event, |v| c.test.matches(&v)),
        }
    }
}

/// A validated condition, ready to evaluate. Evaluation does not allocate.
pub struct CompiledCondition {
    root: Node,
    comparisons: usize,
}

impl std::fmt::Debug for CompiledCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledCondition")
            .field("comparisons", &self.comparisons)
            .finish_non_exhaustive()
    }
}

impl CompiledCondition {
    /// True when `event` satisfies the condition.
    #[inline]
    pub fn matches(&self, event: &ActivityEvent) -> bool {
        self.root.eval(event)
    }

    /// How many comparisons it holds.
    pub fn comparisons(&self) -> usize {
        self.comparisons
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use warden_audit::Kind;

    fn parse(v: Value) -> Result<Condition, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    fn compile_err(v: Value) -> String {
        match parse(v)
            .unwrap()
            .compile(&Operators::builtin(), "condition")
        {
            Ok(_) => panic!("should not compile"),
            Err(e) => {
                assert_eq!(e.code().as_str(), "invalid_input");
                e.to_string()
            }
        }
    }

    fn check(v: Value, e: &ActivityEvent) -> bool {
        parse(v)
            .unwrap()
            .compile(&Operators::builtin(), "condition")
            .unwrap()
            .matches(e)
    }

    fn event() -> ActivityEvent {
        let mut e = ActivityEvent::new(Kind::Security, "auth_failure");
        e.status = Some(401);
        e.path = Some("/api/v1/login".into());
        e.metadata = json!({"reason": "bad_password", "attempt": 3, "geo": {"country": "NL"}});
        e
    }

    #[test]
    fn shapes() {
        let c = parse(json!({"all": [{"field": "status", "op": "eq", "value": 401}]})).unwrap();
        assert!(matches!(c, Condition::All { .. }));
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"all": [{"field": "status", "op": "eq", "value": 401}]})
        );
        let c = parse(json!({"field": "route", "op": "eq", "value": null})).unwrap();
        assert!(matches!(
            c,
            Condition::Compare(Comparison {
                value: Value::Null,
                ..
            })
        ));
        let e = parse(json!({"all": [], "any": []})).unwrap_err();
        assert!(e.starts_with("a condition is exactly one of"), "{e}");
        let e = parse(json!({})).unwrap_err();
        assert!(e.starts_with("a condition is exactly one of"), "{e}");
        let e = parse(json!({"field": "status", "op": "eq"})).unwrap_err();
        assert_eq!(e, "a comparison needs all of field, op and value");
        let e = parse(json!({"field": "status", "op": "eq", "value": 1, "x": 2})).unwrap_err();
        assert!(e.starts_with("unknown field `x`"), "{e}");
        let e = parse(json!({"not": {"all": [{"fild": "a"}]}})).unwrap_err();
        assert!(e.starts_with("unknown field `fild`"), "{e}");
        let e = parse(json!("status")).unwrap_err();
        assert!(e.contains("expected struct"), "{e}");
    }

    #[test]
    fn validation_names_the_path() {
        assert_eq!(
            compile_err(json!({"all": [
                {"field": "status", "op": "eq", "value": 401},
                {"field": "status", "op": "eq", "value": 401},
                {"field": "status", "op": "eqq", "value": 401}
            ]})),
            "condition.all[2].op: unknown operator \"eqq\" (known: eq, ne, gt, lt, gte, lte, in, contains, regex)"
        );
        let e = compile_err(json!({"any": [{"field": "path", "op": "regex", "value": "(["}]}));
        assert!(
            e.starts_with("condition.any[0].value: regex does not compile: "),
            "{e}"
        );
        let e = compile_err(json!({"field": "stauts", "op": "eq", "value": 401}));
        assert!(
            e.starts_with("condition.field: unknown field \"stauts\" (known: action,"),
            "{e}"
        );
        assert_eq!(
            compile_err(json!({"not": {"field": "latency_us", "op": "gt", "value": "slow"}})),
            "condition.not.value: gt needs a number value, got a string"
        );
        assert_eq!(
            compile_err(json!({"any": [{"all": []}]})),
            "condition.any[0].all: must hold at least one condition"
        );
        assert_eq!(
            compile_err(json!({"any": []})),
            "condition.any: must hold at least one condition"
        );
        assert_eq!(
            compile_err(json!({"field": "status", "op": "in", "value": "401"})),
            "condition.value: in needs an array value, got a string"
        );
        assert_eq!(
            compile_err(json!({"field": "path", "op": "regex", "value": ["a"]})),
            "condition.value: regex needs a string value, got an array"
        );
    }

    #[test]
    fn limits_depth_and_size() {
        let leaf = json!({"field": "status", "op": "eq", "value": 1});
        let mut c = leaf.clone();
        for _ in 0..15 {
            c = json!({"not": c});
        }
        assert!(
            parse(c.clone())
                .unwrap()
                .compile(&Operators::builtin(), "condition")
                .is_ok()
        );
        let e = compile_err(json!({"not": c}));
        assert!(
            e.ends_with(": conditions nest deeper than 16 levels"),
            "{e}"
        );
        assert!(e.starts_with("condition.not.not."), "{e}");
        let many: Vec<Value> = (0..256).map(|_| leaf.clone()).collect();
        let c = parse(json!({"any": many})).unwrap();
        assert_eq!(c.comparisons(), 256);
        assert_eq!(
            c.compile(&Operators::builtin(), "condition")
                .unwrap()
                .comparisons(),
            256
        );
        let many: Vec<Value> = (0..257).map(|_| leaf.clone()).collect();
        assert_eq!(
            compile_err(json!({"any": many})),
            "condition.any[256]: a pattern may hold at most 256 comparisons"
        );
    }

    #[test]
    fn evaluates_trees() {
        let e = event();
        assert!(check(
            json!({"all": [
                {"field": "kind", "op": "eq", "value": "security"},
                {"field": "status", "op": "in", "value": [401, 403]},
                {"field": "path", "op": "regex", "value": "^/api/v1/log"},
                {"not": {"field": "metadata.geo.country", "op": "in", "value": ["US", "CA"]}},
                {"any": [
                    {"field": "metadata.attempt", "op": "gt", "value": 5},
                    {"field": "metadata.reason", "op": "contains", "value": "password"}
                ]}
            ]}),
            &e
        ));
        assert!(!check(
            json!({"all": [
                {"field": "kind", "op": "eq", "value": "security"},
                {"field": "metadata.attempt", "op": "gt", "value": 5}
            ]}),
            &e
        ));
        assert!(
            check(
                json!({"any": [
                    {"field": "route", "op": "eq", "value": "/x"},
                    {"field": "route", "op": "ne", "value": "/x"}
                ]}),
                &e
            ),
            "ne on a missing field is true"
        );
        assert!(!check(
            json!({"field": "metadata.nope.deeper", "op": "eq", "value": "x"}),
            &e
        ));
        assert!(check(
            json!({"field": "metadata.nope", "op": "eq", "value": null}),
            &e
        ));
        assert!(check(
            json!({"all": [{"field": "action", "op": "eq", "value": "auth_failure"}]}),
            &e
        ));
    }
}
