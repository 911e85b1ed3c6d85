//! Input checks shared by the entities. They run before any statement, so bad
//! input is refused without touching the database.

use crate::CommerceError;

/// What [`text`] accepts with `min >= 1`, as a spec pattern: no control
/// character but tab and line breaks, and something besides white space.
pub(crate) const REQUIRED_TEXT_PATTERN: &str = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$";

/// Trims `s` and checks its length in characters.
pub(crate) fn text(field: &str, s: &str, min: usize, max: usize) -> Result<String, CommerceError> {
    let s = s.trim();
    let n = s.chars().count();
    if n < min || n > max {
        return Err(CommerceError::invalid(if min > 0 {
            format!("{field} must be {min} to {max} characters")
        } else {
            format!("{field} must be at most {max} characters")
        }));
    }
    warden_moderation::input::check_controls(field, s).map_err(CommerceError::invalid)?;
    Ok(s.to_owned())
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
pub(crate) fn email(field: &str, s: Option<&str>) -> Result<Option<String>, CommerceError> {
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
