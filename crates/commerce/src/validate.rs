//! Input checks shared by the entities (and by the server, for the text of
//! identity tokens). They run before any statement, so bad input is refused
//! without touching the database.

use warden_tenancy::text::{input, invisible};

use crate::CommerceError;

/// What [`text`] accepts with `min >= 1`, as a spec pattern: no control
/// character but tab and line breaks, and something besides white space.
pub(crate) const REQUIRED_TEXT_PATTERN: &str = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$";

/// Trims `s` and checks its length in characters.
pub fn text(field: &str, s: &str, min: usize, max: usize) -> Result<String, CommerceError> {
    let s = s.trim();
    let n = s.chars().count();
    if n < min || n > max {
        return Err(CommerceError::invalid(if min > 0 {
            format!("{field} must be {min} to {max} characters")
        } else {
            format!("{field} must be at most {max} characters")
        }));
    }
    input::check_controls(field, s).map_err(CommerceError::invalid)?;
    Ok(s.to_owned())
}

/// A title or name: [`text`], then [`refuse_invisible`].
pub(crate) fn title(field: &str, s: &str, min: usize, max: usize) -> Result<String, CommerceError> {
    let s = text(field, s, min, max)?;
    refuse_invisible(field, &s)?;
    Ok(s)
}

/// An optional title or name: trimmed and length-checked like any text, then
/// refused when it holds invisible characters.
pub fn opt_title(
    field: &str,
    s: Option<&str>,
    max: usize,
) -> Result<Option<String>, CommerceError> {
    let s = opt_text(field, s, max)?;
    if let Some(s) = &s {
        refuse_invisible(field, s)?;
    }
    Ok(s)
}

/// Refuses a title or name holding bidi controls or zero-width characters
/// (they make a title read differently from what it says, or make two
/// titles that look alike differ), and one that shows nothing at all. Only
/// for titles and names: message and review bodies keep such characters
/// (legitimate in emoji and some scripts); moderation strips them before
/// analysis. The character sets are shared with moderation
/// ([`warden_tenancy::text::invisible`]).
pub(crate) fn refuse_invisible(field: &str, s: &str) -> Result<(), CommerceError> {
    if invisible::find_refused_control(s).is_some() {
        return Err(CommerceError::invalid(format!(
            "{field} contains invisible or bidirectional control characters"
        )));
    }
    if !s.is_empty() && invisible::is_visibly_empty(s) {
        return Err(CommerceError::invalid(format!(
            "{field} has no visible characters"
        )));
    }
    Ok(())
}

/// An optional text field: `None` and blank both mean "not given".
pub(crate) fn opt_text(
    field: &str,
    s: Option<&str>,
    max: usize,
) -> Result<Option<String>, CommerceError> {
    match s {
        None => Ok(None),
        Some(s) => {
            let s = text(field, s, 0, max)?;
            Ok((!s.is_empty()).then_some(s))
        }
    }
}

/// Bytes a text takes in storage, as counted against the storage quota.
pub(crate) fn stored_bytes(s: &str) -> i64 {
    i64::try_from(s.len()).unwrap_or(i64::MAX)
}

/// An ISO 4217-shaped currency code: three upper-case letters.
pub(crate) fn currency(s: &str) -> Result<String, CommerceError> {
    if s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(s.to_owned())
    } else {
        Err(CommerceError::invalid(
            "currency must be a three-letter ISO 4217 code such as USD",
        ))
    }
}

/// A price in minor units (cents): zero or more, below 10^12.
pub(crate) fn price_minor(v: i64) -> Result<i64, CommerceError> {
    if (0..1_000_000_000_000).contains(&v) {
        Ok(v)
    } else {
        Err(CommerceError::invalid(
            "price_minor must be between 0 and 999999999999",
        ))
    }
}

/// A plausible e-mail address (one `@`, something on both sides, no spaces).
pub fn email(field: &str, s: Option<&str>) -> Result<Option<String>, CommerceError> {
    let Some(s) = opt_text(field, s, 320)? else {
        return Ok(None);
    };
    let mut parts = s.split('@');
    let ok = matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.'))
        && !s.contains(char::is_whitespace);
    if ok {
        Ok(Some(s))
    } else {
        Err(CommerceError::invalid(format!(
            "{field} must be an e-mail address"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_trims_and_bounds() {
        assert_eq!(text("t", "  a  ", 1, 3).ok().as_deref(), Some("a"));
        assert!(text("t", "   ", 1, 3).is_err());
        assert!(text("t", "abcd", 1, 3).is_err());
        assert!(text("t", "a\u{0}b", 1, 3).is_err());
    }

    #[test]
    fn titles_refuse_bidi_and_zero_width_characters() {
        for bad in [
            "\u{202E}macs",
            "s\u{200B}cam",
            "Widget\u{2066}x\u{2069}",
            "\u{FEFF}Widget",
            "Wid\u{00AD}get",
            "a\u{200D}b",
        ] {
            let err = title("title", bad, 1, 200).unwrap_err();
            assert_eq!(
                err.to_string(),
                "title contains invisible or bidirectional control characters",
                "{bad:?}"
            );
        }
        assert_eq!(
            title("title", " Family 👨\u{200D}👩\u{200D}👧 ", 1, 200)
                .ok()
                .as_deref(),
            Some("Family 👨\u{200D}👩\u{200D}👧")
        );
        assert_eq!(
            title("title", "Café ❤\u{FE0F}", 1, 200).ok().as_deref(),
            Some("Café ❤\u{FE0F}")
        );
        assert!(opt_title("subject", Some("hi\u{202E}"), 200).is_err());
        assert_eq!(opt_title("subject", Some("  "), 200).ok(), Some(None));
    }

    #[test]
    fn invisible_titles_are_refused() {
        for blank in [
            "\u{3164}",
            "\u{3164} \u{FE0F}",
            "\u{2800}\u{2800}",
            "\u{E0020}",
        ] {
            let err = title("store_name", blank, 1, 200).unwrap_err();
            assert_eq!(
                err.to_string(),
                "store_name has no visible characters",
                "{blank:?}"
            );
        }
    }

    #[test]
    fn currency_and_price() {
        assert!(currency("USD").is_ok());
        assert!(currency("usd").is_err());
        assert!(currency("US").is_err());
        assert!(price_minor(-1).is_err());
        assert!(price_minor(0).is_ok());
    }

    #[test]
    fn email_shape() {
        assert_eq!(
            email("e", Some("a@b.io")).ok().flatten().as_deref(),
            Some("a@b.io")
        );
        assert!(email("e", Some("nope")).is_err());
        assert!(email("e", Some("a@b@c.io")).is_err());
        assert_eq!(email("e", Some(" ")).ok().flatten(), None);
    }
}
