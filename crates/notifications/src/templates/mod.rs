//! Notification templates: per event kind and language, three parts — a
//! one-line `subject`, a plain-text `text` body and an `html` body — written
//! in minijinja (Jinja2) syntax.
//!
//! - Built-in templates exist for every [`EventKind`] in every language of
//!   [`LANGUAGES`] ([`builtin()`]); a tenant may override any (kind, language).
//! - [`resolve`] picks the template to use: the tenant's override for the
//!   language, the built-in for the language, the tenant's English override,
//!   then the English built-in.
//! - [`render`] renders the three parts. The HTML part is auto-escaped
//!   (`<script>` comes out as `&lt;script&gt;`); subject and text are not.
//!   The subject is reduced to one line. Blocks render with `trim_blocks`
//!   and `lstrip_blocks` on, and undefined variables are lenient: a missing
//!   variable prints as nothing and is false in `{% if %}`.
//! - [`validate`] checks a tenant's template before it is stored.
//! - Templates are a subset of minijinja that cannot exhaust memory: the
//!   statements of [`STATEMENTS`] (`if`, `for`), the filters of [`FILTERS`],
//!   no calls but `range(…)`, no `~`, `+`, `*` or `%` operators; a rendered
//!   part is at most [`RENDERED_MAX_BYTES`]. Both [`validate`] and [`render`]
//!   enforce this, so a template stored before the rule cannot bypass it.
//!
//! The email priority prefix (`[URGENT] `, `[HIGH] `) is added by
//! [`crate::email`], not by templates.
//!
//! # Variables
//! Every template may use the variables of [`VARIABLES`]; any of them may be
//! missing, and templates must render without them. Common to every kind:
//! `title`, `body`, `priority`, `tenant_name`, `user_name`, `channel`, `link`. Per kind
//! (the built-ins use these):
//!
//! | kind | variables |
//! |---|---|
//! | `violation_created` | `action` (`warning`, `temporary_ban`, `permanent_ban`), `until`, `reason`, `severity` |
//! | `ban` | `until` (absent: permanent), `reason` |
//! | `ban_lifted` | `reason` |
//! | `review_requested` | `content_type`, `reason` |
//! | `review_decided` | `content_type`, `decision` (`approved`, `rejected`), `reason` |
//! | `detection` | `pattern`, `target_user`, `target_user_name`, `action`, `reason` |
//! | `appeal_decided` | `decision` (`upheld`, `overturned`), `reason` |
//! | `rate_limit_abuse` | `target_user`, `target_user_name`, `action`, `until`, `reason` |
//! | `verification_code` | `code`, `expires_minutes` |
//! | `trust_level_changed` | `from`, `to`, `direction` (`up`, `down`), `reason` |
//! | `trust_demotion_warning` | `level`, `score`, `threshold`, `due` |
//! | `report_decided` | `target_type`, `category`, `outcome` (`upheld`, `dismissed`) |

mod builtin;

use minijinja::{AutoEscape, Environment, ErrorKind};
use serde::{Deserialize, Serialize};

pub use builtin::{Builtin, builtin};

use crate::NotificationError;
use crate::model::EventKind;

/// Languages with built-in templates for every event kind.
pub const LANGUAGES: &[&str] = &["en", "es"];

/// Language used when no template exists in the requested one.
pub const FALLBACK_LANGUAGE: &str = "en";

/// Longest subject template, in characters.
pub const SUBJECT_MAX_CHARS: usize = 300;

/// Longest text or HTML template, in characters.
pub const BODY_MAX_CHARS: usize = 20_000;

/// Longest rendered subject, in characters (longer ones are cut with `…`).
pub const RENDERED_SUBJECT_MAX_CHARS: usize = 300;

/// Instructions one part may take to render: bounds the cost of a tenant's
/// template (loops over large ranges fail instead of running long).
const FUEL: u64 = 200_000;

/// Longest rendered part, in bytes. Fuel bounds the instructions, not what
/// each one writes: a loop printing a large value must fail instead of
/// filling memory.
pub const RENDERED_MAX_BYTES: usize = 1 << 20;

/// The statements a template may use. The others (`set`, `with`, `macro`,
/// `call`, `filter`, `raw`, …) can hold or capture values, and a value that
/// is built from itself doubles with each statement: a few lines of template
/// would need more memory than any machine has.
pub const STATEMENTS: &[&str] = &["if", "elif", "else", "endif", "for", "endfor"];

/// The filters a template may use: none makes its output more than a few
/// times longer than its input, whatever its arguments, so no chain of them
/// can blow up (unlike `replace`, `join`, `center`, `indent`, `format`,
/// `tojson`, `urlencode` or `escape` after `lower`).
pub const FILTERS: &[&str] = &[
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "first",
    "float",
    "int",
    "last",
    "length",
    "lower",
    "round",
    "title",
    "trim",
    "truncate",
    "upper",
    "wordcount",
];

/// The variables a template may use, with what they hold. Any of them may be
/// missing from a render.
pub const VARIABLES: &[(&str, &str)] = &[
    ("title", "Title of the notification, as shown in the app"),
    (
        "body",
        "Free text of the notification (e.g. a moderator's message)",
    ),
    ("priority", "urgent, high, medium or low"),
    (
        "tenant_name",
        "Name of the tenant (the platform the user belongs to)",
    ),
    ("user_name", "Display name of the recipient"),
    (
        "channel",
        "The channel it goes out on: email or sms (an SMS needs no signature)",
    ),
    (
        "link",
        "URL where the user can see more or act (e.g. appeal)",
    ),
    (
        "reason",
        "Why: reason of a violation or ban, note of a decision",
    ),
    (
        "action",
        "Enforcement action: warning, temporary_ban, permanent_ban, …",
    ),
    (
        "severity",
        "Severity of a violation: low, medium, high, critical",
    ),
    (
        "until",
        "End of a temporary ban or limit, already formatted",
    ),
    (
        "content_type",
        "Kind of content reviewed (listing, review, message, …)",
    ),
    (
        "decision",
        "A decision: approved, rejected (reviews); upheld, overturned (appeals)",
    ),
    ("pattern", "Name of the behavioural pattern detected"),
    (
        "target_user",
        "The user a detection or abuse report is about (their id)",
    ),
    (
        "target_user_name",
        "That user's display name, else e-mail, else subject",
    ),
    ("code", "A one-time verification code"),
    (
        "expires_minutes",
        "Minutes until a verification code expires",
    ),
    ("from", "A seller's trust level before a change"),
    ("to", "A seller's trust level after a change"),
    ("direction", "Direction of a trust level change: up or down"),
    ("level", "The seller's trust level a warning is about"),
    ("score", "The seller's trust score"),
    ("threshold", "The trust score a level needs"),
    (
        "due",
        "Date a pending demotion takes effect, already formatted",
    ),
    (
        "target_type",
        "What a report was about: listing, review, message, store or user",
    ),
    ("category", "The category a report named (e.g. scam_fraud)"),
    ("outcome", "How a report was decided: upheld or dismissed"),
];

/// The three parts of a template, in minijinja syntax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateSet {
    /// Subject line (one line, at most 300 characters).
    #[schema(max_length = 300, pattern = "^\\s*[^\\r\\n]*\\S[^\\r\\n]*\\s*$")]
    pub subject: String,
    /// Plain-text body (at most 20,000 characters). Not escaped.
    #[schema(max_length = 20000, pattern = "\\S")]
    pub text: String,
    /// HTML body (at most 20,000 characters). Variables are HTML-escaped.
    #[schema(max_length = 20000, pattern = "\\S")]
    pub html: String,
}

/// A rendered template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rendered {
    /// Subject, on one line, without a priority prefix.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// The part of a template, as named in errors.
#[derive(Clone, Copy)]
enum Part {
    Subject,
    Text,
    Html,
}

impl Part {
    /// Name of the part; also the template name, which selects escaping.
    fn name(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Text => "text",
            Part::Html => "html",
        }
    }

    /// Source of this part in `set`.
    fn source(self, set: &TemplateSet) -> &str {
        match self {
            Part::Subject => &set.subject,
            Part::Text => &set.text,
            Part::Html => &set.html,
        }
    }

    /// Longest source allowed, in characters.
    fn max_chars(self) -> usize {
        match self {
            Part::Subject => SUBJECT_MAX_CHARS,
            Part::Text | Part::Html => BODY_MAX_CHARS,
        }
    }
}

const PARTS: [Part; 3] = [Part::Subject, Part::Text, Part::Html];

/// The environment templates render in: HTML escaping for the `html` part
/// only, trimmed blocks, lenient undefined values, bounded fuel.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_fuel(Some(FUEL));
    // On the allow-list of filters but not in minijinja's core.
    env.add_filter("truncate", truncate);
    env.add_filter("wordcount", minijinja_contrib::filters::wordcount);
    env.set_auto_escape_callback(|name| {
        if name == Part::Html.name() {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env
}

/// Jinja's `truncate(length=255, killwords=false, end='...', leeway=5)` with
/// its arguments by position or by name: minijinja-contrib's takes them by
/// name only, and templates written for Jinja pass them by position.
fn truncate(
    state: &minijinja::State,
    value: &minijinja::Value,
    args: minijinja::value::Rest<minijinja::Value>,
    kwargs: minijinja::value::Kwargs,
) -> Result<minijinja::Value, minijinja::Error> {
    const NAMES: [&str; 4] = ["length", "killwords", "end", "leeway"];
    if args.len() > NAMES.len() {
        return Err(minijinja::Error::from(ErrorKind::TooManyArguments));
    }
    let mut named: Vec<(&str, minijinja::Value)> =
        NAMES.iter().copied().zip(args.iter().cloned()).collect();
    for name in NAMES {
        if let Some(v) = kwargs.get::<Option<minijinja::Value>>(name)? {
            if named.iter().any(|(n, _)| *n == name) {
                return Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("truncate: {name} given twice"),
                ));
            }
            named.push((name, v));
        }
    }
    kwargs.assert_all_used()?;
    minijinja_contrib::filters::truncate(state, value, named.into_iter().collect())
}

/// An error of one part, naming the part and the line.
fn part_error(part: Part, e: &minijinja::Error) -> NotificationError {
    let what = match e.kind() {
        ErrorKind::SyntaxError => "syntax error".to_owned(),
        ErrorKind::OutOfFuel => "template takes too long to render".to_owned(),
        kind => kind.to_string(),
    };
    let line = e.line().map(|l| format!(", line {l}")).unwrap_or_default();
    let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
    NotificationError::invalid(format!(
        "template part {}{line}: {what}{detail}",
        part.name()
    ))
}

/// Renders one part: compiles it, checks it uses only what [`check_syntax`]
/// allows, and renders it into at most [`RENDERED_MAX_BYTES`].
fn render_part(
    env: &Environment<'_>,
    part: Part,
    set: &TemplateSet,
    ctx: &minijinja::Value,
) -> Result<String, NotificationError> {
    let source = part.source(set);
    let tmpl = env
        .template_from_named_str(part.name(), source)
        .map_err(|e| part_error(part, &e))?;
    check_syntax(source).map_err(|(line, what)| {
        NotificationError::invalid(format!(
            "template part {}, line {line}: {what}",
            part.name()
        ))
    })?;
    let mut out = Limited::default();
    match tmpl.render_captured_to(ctx, &mut out) {
        _ if out.overflowed => Err(NotificationError::invalid(format!(
            "template part {} renders more than {RENDERED_MAX_BYTES} bytes",
            part.name()
        ))),
        Ok(_) => String::from_utf8(out.buf).map_err(|_| {
            NotificationError::invalid(format!(
                "template part {} renders invalid UTF-8",
                part.name()
            ))
        }),
        Err(e) => Err(part_error(part, &e)),
    }
}

/// An output buffer that refuses to grow past [`RENDERED_MAX_BYTES`].
#[derive(Default)]
struct Limited {
    buf: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for Limited {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > RENDERED_MAX_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("rendered template too large"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Words that may stand before a `(` that groups rather than calls.
const KEYWORDS: &[&str] = &["and", "or", "not", "in", "is", "if", "else"];

/// Checks that a template uses only what cannot exhaust memory: the
/// statements of [`STATEMENTS`], the filters of [`FILTERS`], no calls but
/// `range(…)`, and no `~`, `+`, `*` or `%` (string concatenation, repetition
/// and formatting), `{`, `}` (dict literals). Tags are found as minijinja's
/// lexer finds them (strings with `\` escapes, brackets nesting), and
/// anything not understood is refused, so that no tag can hide from the
/// check. The error gives the line and what is not allowed.
fn check_syntax(source: &str) -> Result<(), (usize, String)> {
    let b = source.as_bytes();
    let line = |at: usize| b[..at.min(b.len())].iter().filter(|c| **c == b'\n').count() + 1;
    let mut i = 0;
    while let Some(off) = b[i..]
        .windows(2)
        .position(|w| w[0] == b'{' && matches!(w[1], b'{' | b'%' | b'#'))
    {
        let open = i + off;
        let mut at = open + 2;
        if matches!(b.get(at), Some(b'-' | b'+')) {
            at += 1;
        }
        i = match b[open + 1] {
            b'#' => match b[at..].windows(2).position(|w| w == b"#}") {
                Some(end) => at + end + 2,
                None => return Err((line(open), "unclosed comment".into())),
            },
            kind => check_tag(b, at, kind == b'%').map_err(|(at, what)| (line(at), what))?,
        };
    }
    Ok(())
}

/// Checks one `{{ … }}` or `{% … %}` tag from its content at `i`; returns
/// where the text after it starts.
fn check_tag(b: &[u8], mut i: usize, block: bool) -> Result<usize, (usize, String)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Prev {
        Start,
        Pipe,
        Filter,
        Range,
        Value,
        Dot,
        Op,
    }
    let end: &[u8] = if block { b"%}" } else { b"}}" };
    let mut depth = 0usize;
    let mut prev = Prev::Start;
    loop {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let rest = &b[i.min(b.len())..];
        let Some(&c) = rest.first() else {
            return Err((i, "unclosed tag".into()));
        };
        if depth == 0 {
            if matches!(c, b'-' | b'+') && rest[1..].starts_with(end) {
                return Ok(i + 3);
            }
            if rest.starts_with(end) {
                return Ok(i + 2);
            }
        }
        let start = i;
        i += 1;
        prev = match c {
            b'"' | b'\'' => {
                let mut escaped = false;
                loop {
                    let Some(&x) = b.get(i) else {
                        return Err((start, "unclosed string".into()));
                    };
                    i += 1;
                    match x {
                        _ if escaped => escaped = false,
                        b'\\' => escaped = true,
                        _ if x == c => break,
                        _ => {}
                    }
                }
                Prev::Value
            }
            b'0'..=b'9' => {
                while b
                    .get(i)
                    .is_some_and(|x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.'))
                {
                    i += 1;
                }
                Prev::Value
            }
            x if x.is_ascii_alphabetic() || x == b'_' => {
                while b
                    .get(i)
                    .is_some_and(|x| x.is_ascii_alphanumeric() || *x == b'_')
                {
                    i += 1;
                }
                let word = std::str::from_utf8(&b[start..i]).unwrap_or_default();
                if block && prev == Prev::Start && !STATEMENTS.contains(&word) {
                    return Err((
                        start,
                        format!(
                            "{{% {word} %}} is not allowed (only {})",
                            STATEMENTS.join(", ")
                        ),
                    ));
                }
                match prev {
                    Prev::Pipe if FILTERS.contains(&word) => Prev::Filter,
                    Prev::Pipe => {
                        return Err((
                            start,
                            format!("filter {word} is not allowed (only {})", FILTERS.join(", ")),
                        ));
                    }
                    Prev::Dot => Prev::Value,
                    _ if word == "range" => Prev::Range,
                    _ if KEYWORDS.contains(&word) => Prev::Op,
                    _ => Prev::Value,
                }
            }
            b'(' | b'[' => {
                if c == b'(' && prev == Prev::Value {
                    return Err((start, "calls are not allowed, except range(…)".into()));
                }
                depth += 1;
                Prev::Op
            }
            b')' | b']' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| (start, "unbalanced brackets".to_owned()))?;
                Prev::Value
            }
            b'|' => Prev::Pipe,
            b'.' => Prev::Dot,
            b',' | b':' | b'=' | b'<' | b'>' | b'!' | b'-' | b'/' => Prev::Op,
            _ => {
                let shown = std::str::from_utf8(&b[start..])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map_or_else(|| format!("byte {c:#04x}"), |ch| format!("{ch:?}"));
                return Err((start, format!("{shown} is not allowed in a tag")));
            }
        };
    }
}

/// Renders the three parts of `set` with `vars` (a JSON object; `null` is
/// taken as no variables). The HTML part is auto-escaped; the subject is
/// reduced to one line of at most [`RENDERED_SUBJECT_MAX_CHARS`] characters.
pub fn render(set: &TemplateSet, vars: &serde_json::Value) -> Result<Rendered, NotificationError> {
    let ctx = match vars {
        serde_json::Value::Object(_) => minijinja::Value::from_serialize(vars),
        serde_json::Value::Null => minijinja::Value::from_serialize(serde_json::Map::new()),
        _ => {
            return Err(NotificationError::invalid(
                "template variables must be a JSON object",
            ));
        }
    };
    let env = environment();
    let subject = render_part(&env, Part::Subject, set, &ctx)?;
    Ok(Rendered {
        subject: one_line(&subject, RENDERED_SUBJECT_MAX_CHARS),
        text: render_part(&env, Part::Text, set, &ctx)?,
        html: render_part(&env, Part::Html, set, &ctx)?,
    })
}

/// `s` on one line (runs of whitespace, newlines included, become one
/// space), cut to `max` characters with an ellipsis.
fn one_line(s: &str, max: usize) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() <= max {
        return joined;
    }
    let mut cut: String = joined.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Checks a template before it is stored: each part is non-empty, within its
/// size limit ([`SUBJECT_MAX_CHARS`], [`BODY_MAX_CHARS`]), compiles, and
/// renders with sample values of every variable of [`VARIABLES`] and with
/// none; the subject is one line. The error names the part and the line.
pub fn validate(set: &TemplateSet) -> Result<(), NotificationError> {
    let env = environment();
    let sample = minijinja::Value::from_iter(
        VARIABLES
            .iter()
            .map(|(name, _)| (*name, minijinja::Value::from(format!("sample {name}")))),
    );
    let empty = minijinja::Value::from_serialize(serde_json::Map::new());
    for part in PARTS {
        let source = part.source(set);
        let chars = source.chars().count();
        if source.trim().is_empty() {
            return Err(NotificationError::invalid(format!(
                "template part {} is empty",
                part.name()
            )));
        }
        if chars > part.max_chars() {
            return Err(NotificationError::invalid(format!(
                "template part {} is {chars} characters long (at most {})",
                part.name(),
                part.max_chars()
            )));
        }
        if matches!(part, Part::Subject) && source.trim().contains(['\n', '\r']) {
            return Err(NotificationError::invalid(
                "template part subject must be one line",
            ));
        }
        render_part(&env, part, set, &sample)?;
        render_part(&env, part, set, &empty)?;
    }
    Ok(())
}

/// The language tag `lang` reduced to its lower-case primary subtag
/// (`es-MX` → `es`, `EN_us` → `en`); [`FALLBACK_LANGUAGE`] when empty.
pub fn normalize_language(lang: &str) -> String {
    let primary = lang
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if primary.is_empty() {
        FALLBACK_LANGUAGE.to_owned()
    } else {
        primary
    }
}

/// The template to use for `kind` in `lang`, and the language it is in.
///
/// `lang` is normalised first ([`normalize_language`]). Then, in order: the
/// tenant's override for (kind, lang) from `overrides`, the built-in for
/// `lang`, the tenant's override for (kind, `en`), the built-in for `en`.
pub fn resolve(
    kind: EventKind,
    lang: &str,
    overrides: impl Fn(EventKind, &str) -> Option<TemplateSet>,
) -> (TemplateSet, String) {
    let lang = normalize_language(lang);
    if let Some(set) = overrides(kind, &lang) {
        return (set, lang);
    }
    if let Some(b) = builtin(kind, &lang) {
        return (b.to_set(), lang);
    }
    if let Some(set) = overrides(kind, FALLBACK_LANGUAGE) {
        return (set, FALLBACK_LANGUAGE.to_owned());
    }
    (
        builtin(kind, FALLBACK_LANGUAGE)
            .map(Builtin::to_set)
            .unwrap_or_else(|| fallback_set(kind)),
        FALLBACK_LANGUAGE.to_owned(),
    )
}

/// A last-resort template (never used while English built-ins exist for
/// every kind, which a test asserts).
fn fallback_set(kind: EventKind) -> TemplateSet {
    TemplateSet {
        subject: kind.as_str().to_owned(),
        text: "{{ body }}".to_owned(),
        html: "<p>{{ body }}</p>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full_vars() -> serde_json::Value {
        json!({
            "title": "Title",
            "body": "A message from the moderators.",
            "priority": "high",
            "tenant_name": "Acme",
            "user_name": "Ana",
            "link": "https://acme.test/appeals/1",
            "reason": "spam",
            "action": "temporary_ban",
            "severity": "high",
            "until": "2026-12-01 10:00 UTC",
            "content_type": "listing",
            "decision": "overturned",
            "pattern": "card_testing",
            "target_user": "bob",
            "code": "123456",
            "expires_minutes": 10,
        })
    }

    #[test]
    fn every_kind_has_valid_builtins_in_every_language() {
        for lang in LANGUAGES {
            for kind in EventKind::ALL {
                let b = builtin(*kind, lang).unwrap();
                let set = b.to_set();
                validate(&set).unwrap_or_else(|e| panic!("{kind} {lang}: {e}"));
                let full = render(&set, &full_vars()).unwrap();
                let empty = render(&set, &json!({})).unwrap();
                for r in [&full, &empty] {
                    assert!(!r.subject.is_empty(), "{kind} {lang}");
                    assert!(!r.subject.contains('\n'), "{kind} {lang}");
                    assert!(!r.text.trim().is_empty(), "{kind} {lang}");
                    assert!(r.html.contains("<html lang=\""), "{kind} {lang}");
                }
                assert!(full.text.contains("Ana"), "{kind} {lang}: {}", full.text);
                assert!(full.text.contains("Acme"), "{kind} {lang}");
                assert!(full.html.contains("A message from the moderators."));
            }
        }
        assert!(builtin(EventKind::Ban, "fr").is_none());
    }

    #[test]
    fn english_and_spanish_differ() {
        for kind in EventKind::ALL {
            let en = builtin(*kind, "en").unwrap();
            let es = builtin(*kind, "es").unwrap();
            assert_ne!(en.subject, es.subject, "{kind}");
            assert_ne!(en.text, es.text, "{kind}");
        }
    }

    #[test]
    fn text_reads_well() {
        let set = builtin(EventKind::Ban, "en").unwrap().to_set();
        let r = render(
            &set,
            &json!({"user_name": "Ana", "until": "tomorrow", "reason": "spam", "tenant_name": "Acme"}),
        )
        .unwrap();
        assert_eq!(r.subject, "Your account has been suspended");
        assert_eq!(
            r.text,
            "Hello Ana,\n\nYour account has been suspended until tomorrow.\nReason: spam\n\n-- \nAcme"
        );
        let r = render(&set, &json!({})).unwrap();
        assert_eq!(
            r.text,
            "Hello,\n\nYour account has been suspended permanently.\n\n-- \nWarden"
        );
        let set = builtin(EventKind::VerificationCode, "es").unwrap().to_set();
        let r = render(
            &set,
            &json!({"code": "987654", "expires_minutes": 5, "body": "x"}),
        )
        .unwrap();
        assert_eq!(
            r.text,
            "Hola:\n\nTu código de verificación es 987654.\nCaduca en 5 minutos.\n\
             Si no lo solicitaste, ignora este mensaje.\n\nx\n\n-- \nWarden"
        );
    }

    #[test]
    fn html_is_escaped_text_and_subject_are_not() {
        let set = TemplateSet {
            subject: "Re: {{ reason }}".into(),
            text: "{{ reason }}".into(),
            html: "<p>{{ reason }}</p>".into(),
        };
        let r = render(
            &set,
            &json!({"reason": "<script>alert(1)</script> & \"x\""}),
        )
        .unwrap();
        assert_eq!(r.subject, "Re: <script>alert(1)</script> & \"x\"");
        assert_eq!(r.text, "<script>alert(1)</script> & \"x\"");
        assert_eq!(
            r.html,
            "<p>&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; &quot;x&quot;</p>"
        );
        let builtin_html = render(
            &builtin(EventKind::Ban, "en").unwrap().to_set(),
            &json!({"reason": "<script>", "user_name": "<b>"}),
        )
        .unwrap()
        .html;
        assert!(builtin_html.contains("&lt;script&gt;"), "{builtin_html}");
        assert!(!builtin_html.contains("<script>"));
        assert!(!builtin_html.contains("<b>"));
    }

    #[test]
    fn subject_is_one_line_and_bounded() {
        let set = TemplateSet {
            subject: "{{ title }}".into(),
            text: "t".into(),
            html: "h".into(),
        };
        let r = render(&set, &json!({"title": "a\r\nBcc: evil@x.y\n  b"})).unwrap();
        assert_eq!(r.subject, "a Bcc: evil@x.y b");
        let r = render(&set, &json!({"title": "x".repeat(1000)})).unwrap();
        assert_eq!(r.subject.chars().count(), RENDERED_SUBJECT_MAX_CHARS);
        assert!(r.subject.ends_with('…'));
        assert!(render(&set, &json!([1])).is_err());
        assert!(render(&set, &serde_json::Value::Null).is_ok());
    }

    #[test]
    fn validate_names_part_and_line() {
        let ok = builtin(EventKind::Ban, "en").unwrap().to_set();
        let mut bad = ok.clone();
        bad.html = "<p>\n{% if reason %}\n{{ reason }\n".into();
        let e = validate(&bad).unwrap_err().to_string();
        assert!(
            e.starts_with("template part html, line 3: syntax error"),
            "{e}"
        );

        let mut bad = ok.clone();
        bad.text = "line one\n{{ reason | no_such_filter }}".into();
        let e = validate(&bad).unwrap_err().to_string();
        assert!(e.starts_with("template part text, line 2"), "{e}");
        assert!(e.contains("no_such_filter"), "{e}");

        let mut bad = ok.clone();
        bad.subject = "a\nb".into();
        assert!(validate(&bad).unwrap_err().to_string().contains("one line"));

        let mut bad = ok.clone();
        bad.subject = "x".repeat(SUBJECT_MAX_CHARS + 1);
        assert!(
            validate(&bad)
                .unwrap_err()
                .to_string()
                .contains("at most 300")
        );
        let mut bad = ok.clone();
        bad.text = "x".repeat(BODY_MAX_CHARS + 1);
        assert!(
            validate(&bad)
                .unwrap_err()
                .to_string()
                .contains("part text")
        );
        let mut bad = ok.clone();
        bad.html = " ".into();
        assert_eq!(validate(&bad).unwrap_err().code().as_str(), "invalid_input");

        let mut slow = ok;
        slow.text =
            "{% for a in range(10000) %}{% for b in range(10000) %}x{% endfor %}{% endfor %}"
                .into();
        let e = validate(&slow).unwrap_err().to_string();
        assert!(e.contains("too long to render"), "{e}");
    }

    /// Found with `fuzz/fuzz_targets/template_render.rs`: templates of a few
    /// lines that `validate` (the upload check) rendered into gigabytes, one
    /// by a loop printing a long string (10 GB), one by a string built from
    /// itself (3.2 GB, doubling with every further line). Both are refused
    /// before rendering now, as is every construct that can do the same.
    #[test]
    fn regression_templates_cannot_exhaust_memory() {
        let part = |text: &str| TemplateSet {
            subject: "s".into(),
            text: text.into(),
            html: "h".into(),
        };
        let doubling = "{% set a = \"x\" * 100000000 %}{% set a = a ~ a %}{% set a = a ~ a %}\
            {% set a = a ~ a %}{% set a = a ~ a %}{% set a = a ~ a %}{{ a|length }}";
        let e = validate(&part(doubling)).unwrap_err().to_string();
        assert_eq!(
            e,
            "template part text, line 1: {% set %} is not allowed (only if, elif, else, endif, for, endfor)"
        );
        let looping = "{% for i in range(100) %}{{ \"x\" * 100000000 }}{% endfor %}";
        let e = validate(&part(looping)).unwrap_err().to_string();
        assert_eq!(e, "template part text, line 1: '*' is not allowed in a tag");
        for (text, refused) in [
            ("{{ body ~ body }}", "'~'"),
            ("{{ body + body }}", "'+'"),
            ("{{ \"%s\" % body }}", "'%'"),
            ("{{ {\"a\": body} }}", "'{'"),
            (
                "{% macro f(x) %}{{ x }}{{ x }}{% endmacro %}{{ f(f(body)) }}",
                "macro",
            ),
            ("{% filter upper %}{{ body }}{% endfilter %}", "filter"),
            ("{% raw %}{{ body }}{% endraw %}", "raw"),
            ("{{ body|replace(\"\", body) }}", "filter replace"),
            ("{{ body|e|lower|e|lower }}", "filter e "),
            ("{{ namespace(a=body) }}", "calls"),
            ("{{ body.upper() }}", "calls"),
            ("a\n{{ \"}}\" ~ body }}", "line 2: '~'"),
            ("{{ (body }} ~ body) }}", "template part text"),
            ("{{ body }", "syntax error"),
        ] {
            let e = validate(&part(text)).unwrap_err().to_string();
            assert!(e.contains(refused), "{text}: {e}");
        }
        // What templates need is still there.
        let fine = "{# note #}{%- if reason and not (until or link) -%}{{ reason|default(\"-\")|upper|truncate(20) }}\
            {% elif decision == \"upheld\" %}{{ score|round(2) }}{% else %}{{ title|lower }}\
            {% endif %}{% for c in range(3) %}{{ loop.index }}{% endfor %}";
        validate(&part(fine)).unwrap();
    }

    #[test]
    fn every_allowed_filter_renders() {
        // Guarded with `default`: a template must render without its variables.
        let set = TemplateSet {
            subject: "{{ reason|d('')|truncate(12) }}".into(),
            text: "{{ reason|d('')|wordcount }} words; {{ reason|d('')|truncate(length=9, end='…') }}; \
                   {{ reason|d('')|length }} {{ reason|d('')|upper|lower|title|capitalize|trim }} \
                   {{ missing|default('none') }} {{ reason|d('x')|first }}{{ reason|d('x')|last }}"
                .into(),
            html: "{{ reason|d('')|truncate(5, true) }}".into(),
        };
        validate(&set).map_err(|e| e.to_string()).unwrap();
        let r = render(&set, &json!({"reason": "spam in three listings"}))
            .map_err(|e| e.to_string())
            .unwrap();
        assert_eq!(r.subject, "spam in...");
        assert_eq!(
            r.text,
            "4 words; spam in…; 22 Spam in three listings none ss"
        );
        assert_eq!(r.html, "sp...");
        // Every filter the allow-list names is known to the environment.
        for filter in FILTERS {
            let one = TemplateSet {
                subject: format!("{{{{ reason|{filter} }}}}"),
                text: "t".into(),
                html: "h".into(),
            };
            let rendered = render(&one, &json!({"reason": "a b"}));
            assert!(
                !rendered
                    .as_ref()
                    .is_err_and(|e| e.to_string().contains("unknown filter")),
                "{filter}: {rendered:?}"
            );
        }
    }

    /// Found with `fuzz/fuzz_targets/template_render.rs`: fuel bounds the
    /// instructions, not what each prints, so a valid template looping over a
    /// long variable rendered without limit.
    #[test]
    fn regression_rendered_output_is_bounded() {
        let set = TemplateSet {
            subject: "s".into(),
            text: "{% for i in range(2000) %}{{ body }}{% endfor %}".into(),
            html: "h".into(),
        };
        validate(&set).unwrap();
        let e = render(&set, &json!({"body": "x".repeat(1000)}))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "template part text renders more than 1048576 bytes");
        let r = render(&set, &json!({"body": "x".repeat(500)})).unwrap();
        assert_eq!(r.text.len(), 1_000_000);
    }

    #[test]
    fn resolve_prefers_tenant_then_builtin_then_english() {
        let custom = |tag: &str| TemplateSet {
            subject: format!("custom {tag}"),
            text: "t".into(),
            html: "h".into(),
        };
        // Tenant override in the language wins.
        let (set, lang) = resolve(EventKind::Ban, "es-MX", |_, l| Some(custom(l)));
        assert_eq!((set.subject.as_str(), lang.as_str()), ("custom es", "es"));
        // Then the built-in of the language.
        let (set, lang) = resolve(EventKind::Ban, "es", |_, l| (l == "en").then(|| custom(l)));
        assert_eq!(set, builtin(EventKind::Ban, "es").unwrap().to_set());
        assert_eq!(lang, "es");
        // Unknown language: the tenant's English override.
        let (set, lang) = resolve(EventKind::Ban, "fr", |_, l| (l == "en").then(|| custom(l)));
        assert_eq!((set.subject.as_str(), lang.as_str()), ("custom en", "en"));
        // Then the English built-in.
        let (set, lang) = resolve(EventKind::Ban, "fr", |_, _| None);
        assert_eq!(set, builtin(EventKind::Ban, "en").unwrap().to_set());
        assert_eq!(lang, "en");
        // The kind is passed through.
        let (set, _) = resolve(EventKind::Detection, "", |k, _| {
            (k == EventKind::Detection).then(|| custom("d"))
        });
        assert_eq!(set.subject, "custom d");
    }

    #[test]
    fn normalizes_languages() {
        assert_eq!(normalize_language("es-MX"), "es");
        assert_eq!(normalize_language("EN_us"), "en");
        assert_eq!(normalize_language(" "), "en");
    }
}
