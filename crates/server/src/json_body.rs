//! The JSON body extractor of every route.
//!
//! It differs from `actix_web::web::Json` in two ways that the spec makes
//! necessary: an integer field given as an integral float (`3.0`, which JSON
//! Schema counts as an integer) is read as the integer, and a body that is not
//! a JSON object is refused (serde would read a struct from an array). Size,
//! content type and syntax are still checked by actix's `JsonConfig`, whose
//! error handler answers problem+json.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::error::JsonPayloadError;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use serde::de::{DeserializeOwned, Error as _};
use serde_json::value::RawValue;
use serde_json::{Number, Value};

use crate::extract::json_error;

/// A request body read as `T` from a JSON object.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let raw = web::Json::<Box<RawValue>>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let raw = raw.await?.into_inner();
            let text = raw.get();
            let body =
                decode(text).map_err(|e| json_error(JsonPayloadError::Deserialize(e), &req))?;
            if crate::time_bounds::may_hold_one(text)
                && let Some(field) = serde_json::from_str::<Value>(text)
                    .ok()
                    .as_ref()
                    .and_then(crate::time_bounds::first_in_json)
            {
                let e = serde_json::Error::custom(format!(
                    "{field} {}",
                    crate::time_bounds::OUT_OF_RANGE
                ));
                return Err(json_error(JsonPayloadError::Deserialize(e), &req));
            }
            Ok(Json(body))
        })
    }
}

/// Reads `T` from `text`, which is syntactically valid JSON.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    if !text.trim_start().starts_with('{') {
        return Err(serde_json::Error::custom("the body must be a JSON object"));
    }
    let first = match serde_json::from_str::<T>(text) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    // Only a body that failed pays for the second reading.
    let mut value: Value = serde_json::from_str(text)?;
    if integral_floats_to_integers(&mut value) {
        serde_json::from_value(value)
    } else {
        Err(first)
    }
}

/// Largest magnitude up to which an `f64` represents every integer.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// Rewrites every float with no fractional part and a magnitude of at most
/// 2^53 as that integer; says whether it rewrote any.
fn integral_floats_to_integers(value: &mut Value) -> bool {
    match value {
        Value::Number(n) if n.is_f64() => {
            let Some(f) = n.as_f64() else { return false };
            // Only below 2^53, where a float holds every integer exactly: a
            // larger float may be an integer literal too big for i64 or u64
            // that serde_json read as the nearest float.
            let integer =
                (f.fract() == 0.0 && f.abs() <= MAX_EXACT).then(|| Number::from(f as i64));
            match integer {
                Some(i) => {
                    *n = i;
                    true
                }
                None => false,
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| integral_floats_to_integers(v) | changed),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |changed, v| integral_floats_to_integers(v) | changed),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Body {
        level: u8,
        price: i64,
        ratio: Option<f64>,
    }

    #[test]
    fn integral_floats_are_read_as_integers() {
        let b: Body = decode(r#"{"level": 3.0, "price": -20.0, "ratio": 2.0}"#).unwrap();
        assert_eq!(
            b,
            Body {
                level: 3,
                price: -20,
                ratio: Some(2.0)
            }
        );
    }

    #[test]
    fn a_fraction_is_still_refused_with_serdes_message() {
        let e = decode::<Body>(r#"{"level": 3.5, "price": 1}"#).unwrap_err();
        assert!(e.to_string().contains("3.5"), "{e}");
        let e = decode::<Body>(r#"{"level": 300.0, "price": 1}"#).unwrap_err();
        assert!(e.to_string().contains("300"), "{e}");
        // Past i64, serde_json reads the literal as a float; it must not be
        // taken for i64::MIN.
        let e = decode::<Body>(r#"{"level": 1, "price": -9223372036854775809}"#).unwrap_err();
        assert!(e.is_data(), "{e}");
    }

    #[test]
    fn only_an_object_is_a_body() {
        for text in ["[3, 1, null]", "null", "3", "\"x\""] {
            let e = decode::<Body>(text).unwrap_err();
            assert!(e.is_data(), "{text}");
            assert_eq!(e.to_string(), "the body must be a JSON object");
        }
    }
}
