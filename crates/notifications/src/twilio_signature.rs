//! Twilio's webhook signature (`X-Twilio-Signature`).
//!
//! Twilio signs each webhook request (e.g. a message status callback) with
//! HMAC-SHA1 keyed by the account's auth token, over the full URL of the
//! request followed by every POST parameter's name and value concatenated,
//! parameters sorted by name; the header carries the digest in base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The MAC of `url` and `params` under `auth_token`, before encoding.
fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    // HMAC accepts keys of any length: this cannot fail.
    let mut mac = match HmacSha1::new_from_slice(auth_token.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(url.as_bytes());
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // By name; the values of a repeated name in order too, as Twilio's
    // libraries do.
    sorted.sort();
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The `X-Twilio-Signature` of a POST to `url` (exactly as Twilio requested
/// it, query string included) with form parameters `params`.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// True when `signature_b64` is the valid `X-Twilio-Signature` of a POST to
/// `url` with form parameters `params`. The comparison takes constant time.
pub fn verify(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature_b64: &str,
) -> bool {
    let Ok(expected) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    mac(auth_token, url, params).verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(caller: &str) -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", caller),
            ("Digits", "1234"),
            ("From", caller),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// The parameters of the current example of Twilio's webhook security
    /// page.
    fn documented_params() -> Vec<(String, String)> {
        params("+12349013030")
    }

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn matches_twilios_documented_examples() {
        // Current page: Caller and From +12349013030.
        assert_eq!(
            sign("12345", URL, &documented_params()),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        assert!(verify(
            "12345",
            URL,
            &documented_params(),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        // Earlier version of the page: Caller and From +14158675310.
        assert_eq!(
            sign("12345", URL, &params("+14158675310")),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
        assert!(verify(
            "12345",
            URL,
            &params("+14158675310"),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let mut params = documented_params();
        params.reverse();
        assert!(verify(
            "12345",
            URL,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
    }

    #[test]
    fn refuses_wrong_token_url_params_or_garbage() {
        let sig = sign("12345", URL, &documented_params());
        assert!(!verify("54321", URL, &documented_params(), &sig));
        assert!(!verify(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &documented_params(),
            &sig
        ));
        let mut params = documented_params();
        params[2].1 = "1235".into();
        assert!(!verify("12345", URL, &params, &sig));
        assert!(!verify("12345", URL, &documented_params(), "not base64!"));
        assert!(!verify("12345", URL, &documented_params(), ""));
    }
}
