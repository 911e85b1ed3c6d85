//! The order in which a reader sees the characters of a text whose bidi
//! overrides reorder it.
//!
//! A right-to-left override (U+202E) shows the letters after it reversed:
//! "\u{202E}macs" is stored as m-a-c-s and read as "scam". Analysis must see
//! what the reader sees, so the characters under an override are put in
//! display order before anything else looks at them.
//!
//! Only explicit overrides are applied (rule L2 of the Unicode Bidirectional
//! Algorithm over the levels that overrides set). Hebrew and Arabic are read
//! in their stored (logical) order, and embeddings and isolates do not change
//! the order of letters, so text without an override keeps its order.

/// Deepest nesting of embeddings the algorithm honours (UAX #9 `max_depth`).
const MAX_DEPTH: u8 = 125;

#[derive(Clone, Copy)]
struct Entry {
    level: u8,
    is_override: bool,
    is_isolate: bool,
}

/// The characters of `s` with their byte offsets, in reading order. Bidi
/// control characters are kept (in place); callers drop them.
pub(crate) fn reading_order(s: &str) -> Vec<(usize, char)> {
    if !s.contains(['\u{202D}', '\u{202E}']) {
        return s.char_indices().collect();
    }
    let mut stack: Vec<Entry> = Vec::new();
    // Counts of overrides and isolates on the stack, so no control needs
    // a scan of it (the stack grows with hostile input).
    let mut overrides = 0usize;
    let mut isolates = 0usize;
    let mut chars: Vec<(usize, char, u8)> = Vec::with_capacity(s.len());
    for (at, c) in s.char_indices() {
        let current = stack.last().map_or(0, |e| e.level);
        match c {
            '\u{202A}' | '\u{202B}' | '\u{202D}' | '\u{202E}' | '\u{2066}'..='\u{2068}' => {
                let rtl = matches!(c, '\u{202B}' | '\u{202E}' | '\u{2067}');
                let next = if rtl {
                    (current + 1) | 1
                } else {
                    (current + 2) & !1
                };
                let is_isolate = matches!(c, '\u{2066}'..='\u{2068}');
                let entry = if next <= MAX_DEPTH {
                    Entry {
                        level: next,
                        is_override: matches!(c, '\u{202D}' | '\u{202E}'),
                        is_isolate,
                    }
                } else {
                    // Past the limit the control changes nothing, but it
                    // still pairs with its closer.
                    Entry {
                        is_isolate,
                        ..stack.last().copied().unwrap_or(Entry {
                            level: 0,
                            is_override: false,
                            is_isolate: false,
                        })
                    }
                };
                overrides += usize::from(entry.is_override);
                isolates += usize::from(entry.is_isolate);
                stack.push(entry);
            }
            '\u{202C}' => {
                if stack.last().is_some_and(|e| !e.is_isolate)
                    && let Some(e) = stack.pop()
                {
                    overrides -= usize::from(e.is_override);
                }
            }
            '\u{2069}' if isolates > 0 => {
                while let Some(e) = stack.pop() {
                    overrides -= usize::from(e.is_override);
                    if e.is_isolate {
                        isolates -= 1;
                        break;
                    }
                }
            }
            '\n' | '\r' | '\u{1C}'..='\u{1E}' | '\u{85}' | '\u{2029}' => {
                stack.clear();
                overrides = 0;
                isolates = 0;
            }
            _ => {}
        }
        let level = match stack.last() {
            _ if overrides == 0 => 0,
            Some(top) if top.is_override => top.level,
            // An embedding inside an override: left-to-right letters keep
            // their order (an even level), the block moves with the override.
            Some(top) => (top.level + 1) & !1,
            None => 0,
        };
        chars.push((at, c, level));
    }
    let highest = chars.iter().map(|c| c.2).max().unwrap_or(0);
    for level in (1..=highest).rev() {
        let mut i = 0;
        while i < chars.len() {
            if chars[i].2 < level {
                i += 1;
                continue;
            }
            let run = chars[i..]
                .iter()
                .position(|c| c.2 < level)
                .map_or(chars.len(), |n| i + n);
            chars[i..run].reverse();
            i = run;
        }
    }
    chars.into_iter().map(|(at, c, _)| (at, c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> String {
        reading_order(s)
            .into_iter()
            .map(|(_, c)| c)
            .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
            .collect()
    }

    #[test]
    fn right_to_left_override_reverses_until_pop_or_line_end() {
        assert_eq!(read("\u{202E}macs"), "scam");
        assert_eq!(read("a \u{202E}macs\u{202C} b"), "a scam b");
        assert_eq!(read("x\u{202E}ba\ncd"), "xab\ncd");
        assert_eq!(read("\u{202E}ab\u{202D}cd\u{202C}ef"), "fecdba");
    }

    #[test]
    fn text_without_overrides_keeps_its_order() {
        for s in [
            "plain",
            "\u{202B}hello world\u{202C}",
            "שלום עולם",
            "\u{2067}abc\u{2069}",
        ] {
            assert_eq!(
                read(s),
                s.chars()
                    .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
                    .collect::<String>()
            );
        }
        // A pop with nothing open and an isolate closer without an opener are ignored.
        assert_eq!(read("\u{202C}ab\u{2069}"), "ab");
    }

    #[test]
    fn offsets_follow_their_characters() {
        let order = reading_order("\u{202E}ab");
        assert_eq!(order, vec![(4, 'b'), (3, 'a'), (0, '\u{202E}')]);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("{}abc", "\u{202E}".repeat(1_000));
        assert_eq!(read(&deep), "cba");
        let isolates = format!(
            "{}a{}",
            "\u{2067}\u{202E}".repeat(5_000),
            "\u{2069}".repeat(5_000)
        );
        assert_eq!(read(&isolates), "a");
    }
}
