//! Contact handles that take a conversation off the platform: messenger
//! links (wa.me, t.me, ...), "platform: handle" mentions, bare mentions of
//! messenger-only apps, and "dm me on ..." / "text me at ..." phrases.

use std::sync::LazyLock;

use regex::Regex;

use super::lexicon::{
    CONTACT_PLATFORMS, HANDLE_TAIL, URL_REST, canonical_platform, clipped, compile, handle_value,
    trim_url_end,
};
use super::{Entity, EntityKind, char_before, normalize_phrase};

/// Messenger links: (platform, pattern with an `id` group).
const LINKS: &[(&str, &str)] = &[
    (
        "whatsapp",
        r"(?:wa\.me/|api\.whatsapp\.com/send/?\?phone=|chat\.whatsapp\.com/)(?P<id>[A-Za-z0-9+_\-]+)",
    ),
    (
        "telegram",
        r"(?:t\.me|telegram\.me|telegram\.dog)/(?P<id>[A-Za-z0-9_+]{1,64})",
    ),
    (
        "signal",
        r"(?:signal\.me/#p/|signal\.group/#)(?P<id>[A-Za-z0-9+_\-]+)",
    ),
    ("snapchat", r"snapchat\.com/add/(?P<id>[A-Za-z0-9._\-]+)"),
    (
        "instagram",
        r"(?:instagram\.com|instagr\.am)/(?P<id>[A-Za-z0-9._]+)",
    ),
    (
        "discord",
        r"(?:discord\.gg|discord(?:app)?\.com/invite)/(?P<id>[A-Za-z0-9\-]+)",
    ),
    ("facebook", r"m\.me/(?P<id>[A-Za-z0-9.]+)"),
    ("kik", r"kik\.me/(?P<id>[A-Za-z0-9._]+)"),
    (
        "line",
        r"line\.me/(?:ti/p/|R/ti/p/)?(?P<id>[A-Za-z0-9~@%._\-]+)",
    ),
];

static LINK_REGEXES: LazyLock<Vec<(&'static str, Option<Regex>)>> = LazyLock::new(|| {
    LINKS
        .iter()
        .map(|(platform, body)| {
            let pattern = format!(r"(?i)(?-u:\b)(?:https?://)?(?:www\.)?{body}{URL_REST}");
            (*platform, compile(&pattern))
        })
        .collect()
});

/// "telegram: @x", "ig: @x", "whatsapp +44 7911 123456".
static MENTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)(?-u:\b)(?P<platform>{CONTACT_PLATFORMS})(?-u:\b){HANDLE_TAIL}"
    ))
});

/// Apps whose name alone signals moving the chat elsewhere; ambiguous names
/// (signal, line, ig, sc) need a handle or a phrase.
static BARE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)(?-u:\b)(?:whats\s?app|telegram|we\s?chat|weixin|snapchat|viber|kik\s?messenger|threema)(?-u:\b)",
    )
});

/// "dm me on insta", "text me at", "hit me up on telegram".
static PHRASE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(&format!(
        r"(?i)(?-u:\b)(?:hmu|hit\s+me\s+up|(?:dm|pm|message|msg|text|txt|call|ring|contact|reach|ping|add|follow|email|e-mail|mail|chat\s+with|talk\s+to)\s+me)\s+(?:up\s+)?(?:on|at|via|over|through|thru)(?-u:\b)(?:\s+(?P<platform>{CONTACT_PLATFORMS})(?-u:\b))?"
    ))
});

pub(super) fn find(text: &str, out: &mut Vec<Entity>) {
    for (platform, regex) in LINK_REGEXES.iter() {
        let Some(regex) = regex else { continue };
        for caps in regex.captures_iter(text) {
            let (Some(whole), Some(id)) = (caps.get(0), caps.name("id")) else {
                continue;
            };
            if char_before(text, whole.start()).is_some_and(|c| c == '.' || c == '@') {
                continue;
            }
            let end = whole.start() + trim_url_end(whole.as_str());
            let value = handle_value(platform, Some(clipped(text, id, end)));
            out.push(Entity::new(
                EntityKind::ContactHandle,
                whole.start(),
                end,
                value,
            ));
        }
    }
    if let Some(regex) = MENTION.as_ref() {
        for caps in regex.captures_iter(text) {
            let (Some(whole), Some(platform)) = (caps.get(0), caps.name("platform")) else {
                continue;
            };
            let handle = caps.name("h1").or_else(|| caps.name("h2"));
            let value = handle_value(platform.as_str(), handle.map(|h| h.as_str()));
            out.push(Entity::new(
                EntityKind::ContactHandle,
                whole.start(),
                whole.end(),
                value,
            ));
        }
    }
    if let Some(regex) = BARE.as_ref() {
        for m in regex.find_iter(text) {
            let value = canonical_platform(m.as_str());
            out.push(Entity::new(
                EntityKind::ContactHandle,
                m.start(),
                m.end(),
                value,
            ));
        }
    }
    if let Some(regex) = PHRASE.as_ref() {
        for caps in regex.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            let value = match caps.name("platform") {
                Some(platform) => canonical_platform(platform.as_str()),
                None => normalize_phrase(whole.as_str()),
            };
            out.push(Entity::new(
                EntityKind::ContactHandle,
                whole.start(),
                whole.end(),
                value,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::find_entities;
    use super::*;

    fn contacts(text: &str) -> Vec<(String, String)> {
        find_entities(text)
            .into_iter()
            .filter(|e| e.kind == EntityKind::ContactHandle)
            .map(|e| (text[e.start..e.end].to_owned(), e.value))
            .collect()
    }

    fn pair(span: &str, value: &str) -> Vec<(String, String)> {
        vec![(span.to_owned(), value.to_owned())]
    }

    #[test]
    fn regexes_compile() {
        assert!(LINK_REGEXES.iter().all(|(_, r)| r.is_some()));
        assert!(MENTION.is_some() && BARE.is_some() && PHRASE.is_some());
    }

    #[test]
    fn messenger_links() {
        assert_eq!(
            contacts("msg wa.me/123 now"),
            pair("wa.me/123", "whatsapp:123")
        );
        assert_eq!(contacts("join t.me/x."), pair("t.me/x", "telegram:x"));
        assert_eq!(
            contacts("https://t.me/deals?start=1"),
            pair("https://t.me/deals?start=1", "telegram:deals")
        );
        assert_eq!(
            contacts("instagram.com/bob.smith"),
            pair("instagram.com/bob.smith", "instagram:bob.smith")
        );
    }

    #[test]
    fn platform_mentions_with_handles() {
        assert_eq!(contacts("telegram: @x"), pair("telegram: @x", "telegram:x"));
        assert_eq!(
            contacts("my ig: @Bob_1"),
            pair("ig: @Bob_1", "instagram:bob_1")
        );
        assert_eq!(
            contacts("snap @bobby"),
            pair("snap @bobby", "snapchat:bobby")
        );
        assert_eq!(
            contacts("WhatsApp +44 7911 123456"),
            pair("WhatsApp +44 7911 123456", "whatsapp:447911123456")
        );
        assert_eq!(contacts("signal is weak"), vec![]);
        assert_eq!(contacts("find the line"), vec![]);
    }

    #[test]
    fn bare_messenger_names() {
        assert_eq!(
            contacts("add me on whatsapp"),
            pair("add me on whatsapp", "whatsapp")
        );
        assert_eq!(contacts("got WeChat?"), pair("WeChat", "wechat"));
    }

    #[test]
    fn phrases() {
        assert_eq!(
            contacts("dm me on insta"),
            pair("dm me on insta", "instagram")
        );
        let found = find_entities("text me at 555-0132 ✓");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].kind, EntityKind::ContactHandle);
        assert_eq!(found[0].value, "text me at");
        assert_eq!(found[1].kind, EntityKind::Phone);
    }
}
