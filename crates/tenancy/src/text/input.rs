//! The characters client text may hold, checked the same way wherever text
//! enters: every write of content (commerce checks its fields with this),
//! moderation's rules and `analyze`. Anything refused here never reaches the models or the database.

/// Whether `c` is refused in client text: a control character (C0, DEL, C1)
/// other than tab and the line breaks, which prose uses. NUL is among them;
/// PostgreSQL cannot store it and ONNX Runtime cannot take it.
pub fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Refuses `text` when it holds a refused control character; the message
/// names `field` (`title`, `texts[3]`, …).
pub fn check_controls(field: &str, text: &str) -> Result<(), String> {
    if text.chars().any(is_refused_control) {
        Err(format!("{field} must not contain control characters"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_tabs_and_line_breaks_are_prose() {
        for c in ['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            assert!(is_refused_control(c), "{c:?}");
        }
        for c in ['\t', '\n', '\r', ' ', 'a', '\u{a0}', '\u{200b}'] {
            assert!(!is_refused_control(c), "{c:?}");
        }
        assert_eq!(
            check_controls("texts[3]", "a\0b"),
            Err("texts[3] must not contain control characters".into())
        );
        assert_eq!(check_controls("text", "two\nlines"), Ok(()));
    }
}
