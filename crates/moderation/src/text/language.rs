//! Language identification with whatlang, reported as ISO 639-1 codes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use whatlang::Lang;

/// Fewest letters worth guessing from; below this the answer is noise.
const MIN_LETTERS: usize = 3;

/// Code for "undetermined" (ISO 639-2/3).
pub const UNDETERMINED: &str = "und";

/// A detected language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Language {
    /// ISO 639-1 two-letter code when one exists, else the ISO 639-3 code;
    /// `"und"` when undetermined.
    pub code: String,
    /// Detector confidence, 0..=1 (0 when undetermined).
    pub confidence: f64,
}

impl Language {
    /// The undetermined result.
    pub fn undetermined() -> Self {
        Self {
            code: UNDETERMINED.to_owned(),
            confidence: 0.0,
        }
    }
}

/// Detects the language of `text`. Texts with fewer than three letters, or
/// that whatlang cannot classify, are undetermined.
pub fn detect(text: &str) -> Language {
    let letters = text
        .chars()
        .filter(|c| c.is_alphabetic())
        .take(MIN_LETTERS)
        .count();
    if letters < MIN_LETTERS {
        return Language::undetermined();
    }
    match whatlang::detect(text) {
        Some(info) => Language {
            code: iso639_1(info.lang())
                .unwrap_or_else(|| info.lang().code())
                .to_owned(),
            confidence: info.confidence().clamp(0.0, 1.0),
        },
        None => Language::undetermined(),
    }
}

/// ISO 639-1 code for a whatlang language. The match is exhaustive so a new
/// whatlang language fails to compile here instead of silently falling back.
fn iso639_1(lang: Lang) -> Option<&'static str> {
    let code = match lang {
        Lang::Epo => "eo",
        Lang::Eng => "en",
        Lang::Rus => "ru",
        Lang::Cmn => "zh",
        Lang::Spa => "es",
        Lang::Por => "pt",
        Lang::Ita => "it",
        Lang::Ben => "bn",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Ukr => "uk",
        Lang::Kat => "ka",
        Lang::Ara => "ar",
        Lang::Hin => "hi",
        Lang::Jpn => "ja",
        Lang::Heb => "he",
        Lang::Yid => "yi",
        Lang::Pol => "pl",
        Lang::Amh => "am",
        Lang::Jav => "jv",
        Lang::Kor => "ko",
        Lang::Nob => "nb",
        Lang::Dan => "da",
        Lang::Swe => "sv",
        Lang::Fin => "fi",
        Lang::Tur => "tr",
        Lang::Nld => "nl",
        Lang::Hun => "hu",
        Lang::Ces => "cs",
        Lang::Ell => "el",
        Lang::Bul => "bg",
        Lang::Bel => "be",
        Lang::Mar => "mr",
        Lang::Kan => "kn",
        Lang::Ron => "ro",
        Lang::Slv => "sl",
        Lang::Hrv => "hr",
        Lang::Srp => "sr",
        Lang::Mkd => "mk",
        Lang::Lit => "lt",
        Lang::Lav => "lv",
        Lang::Est => "et",
        Lang::Tam => "ta",
        Lang::Vie => "vi",
        Lang::Urd => "ur",
        Lang::Tha => "th",
        Lang::Guj => "gu",
        Lang::Uzb => "uz",
        Lang::Pan => "pa",
        Lang::Aze => "az",
        Lang::Ind => "id",
        Lang::Tel => "te",
        Lang::Pes => "fa",
        Lang::Mal => "ml",
        Lang::Ori => "or",
        Lang::Mya => "my",
        Lang::Nep => "ne",
        Lang::Sin => "si",
        Lang::Khm => "km",
        Lang::Tuk => "tk",
        Lang::Aka => "ak",
        Lang::Zul => "zu",
        Lang::Sna => "sn",
        Lang::Afr => "af",
        Lang::Lat => "la",
        Lang::Slk => "sk",
        Lang::Cat => "ca",
        Lang::Tgl => "tl",
        Lang::Hye => "hy",
        Lang::Cym => "cy",
    };
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_languages() {
        for (text, code) in [
            (
                "The quick brown fox jumps over the lazy dog while the children are playing outside.",
                "en",
            ),
            (
                "Le renard brun rapide saute par-dessus le chien paresseux pendant que les enfants jouent dehors.",
                "fr",
            ),
            (
                "Der schnelle braune Fuchs springt über den faulen Hund, während die Kinder draußen spielen.",
                "de",
            ),
            (
                "El rápido zorro marrón salta sobre el perro perezoso mientras los niños juegan afuera.",
                "es",
            ),
            (
                "Быстрая коричневая лиса прыгает через ленивую собаку, пока дети играют на улице.",
                "ru",
            ),
        ] {
            let lang = detect(text);
            assert_eq!(lang.code, code, "{text:?}");
            assert!(lang.confidence > 0.0 && lang.confidence <= 1.0);
        }
    }

    #[test]
    fn no_letters_is_undetermined() {
        for text in ["!!!", "", "12 34", "a!"] {
            assert_eq!(detect(text), Language::undetermined(), "{text:?}");
        }
    }

    #[test]
    fn every_language_has_a_two_letter_code() {
        for lang in Lang::all() {
            let code = iso639_1(*lang).unwrap();
            assert_eq!(code.len(), 2, "{lang:?}");
        }
    }

    #[test]
    fn serializes() {
        let json = serde_json::to_value(Language::undetermined()).unwrap();
        assert_eq!(json["code"], "und");
    }
}
