//! Notification templates as a tenant uploads them: `validate` (compiles
//! each part and renders it with sample values and with none), then
//! `render` with arbitrary variables, as a preview or a delivery does.
//!
//! Input: `subject \0 text \0 html \0 variables`, where the variables are a
//! JSON object (anything else is used as the `body` string), so seeds are
//! easy to write by hand.
//!
//! Checks, besides "no panic, no hang, no unbounded memory":
//! - a template that validates renders without variables;
//! - a rendered subject is one line of at most 300 characters;
//! - rendering is deterministic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use warden_fuzz::split_parts;
use warden_notifications::templates::{
    RENDERED_SUBJECT_MAX_CHARS, Rendered, TemplateSet, render, validate,
};

fn check(r: &Rendered) {
    assert!(!r.subject.contains(['\n', '\r']), "{:?}", r.subject);
    assert!(r.subject.chars().count() <= RENDERED_SUBJECT_MAX_CHARS);
}

fuzz_target!(|data: &[u8]| {
    let parts = split_parts(data, 4);
    let [subject, text, html, vars] =
        [0, 1, 2, 3].map(|i| parts.get(i).cloned().unwrap_or_default());
    let set = TemplateSet {
        subject,
        text,
        html,
    };
    let vars = match serde_json::from_str::<Value>(&vars) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({ "body": vars }),
    };

    if validate(&set).is_ok() {
        let empty = render(&set, &json!({}));
        let r = empty.unwrap_or_else(|e| panic!("validated but fails without variables: {e}"));
        check(&r);
    }
    if let Ok(r) = render(&set, &vars) {
        check(&r);
        let again = render(&set, &vars).expect("rendered once, fails the second time");
        assert_eq!(r, again, "rendering is not deterministic");
    }
});
