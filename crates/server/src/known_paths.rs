//! The documented paths and their methods, for 405 answers naming what a
//! path takes (used by the fallback route and by the extractors' errors).

use actix_web::HttpRequest;

use crate::error::{ApiError, ErrorCode};

/// 405 for `req`, naming the methods its path takes.
pub fn method_not_allowed(req: &HttpRequest, allow: String) -> ApiError {
    let detail = format!(
        "{} {} is not supported; use {allow}",
        req.method(),
        req.path()
    );
    ApiError::new(ErrorCode::MethodNotAllowed, detail)
        .with_header(actix_web::http::header::ALLOW, allow)
}

/// The documented paths (templates of the spec) and the methods each takes.
pub struct KnownPaths(Vec<(Vec<String>, String)>);

impl KnownPaths {
    /// From the OpenAPI document.
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let paths = spec
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template.split('/').map(str::to_owned).collect();
                let methods: Vec<&str> = [
                    (item.get.is_some(), "GET"),
                    (item.put.is_some(), "PUT"),
                    (item.post.is_some(), "POST"),
                    (item.delete.is_some(), "DELETE"),
                    (item.patch.is_some(), "PATCH"),
                ]
                .into_iter()
                .filter_map(|(has, m)| has.then_some(m))
                .collect();
                (segments, methods.join(", "))
            })
            .collect();
        Self(paths)
    }

    /// The methods a literal documented path (one without parameters) takes:
    /// `DELETE /notifications/read-all` is that path asked wrongly, not
    /// `/notifications/{id}` with a malformed id.
    pub fn literal(&self, path: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(template, _)| template.join("/") == path)
            .map(|(_, allow)| allow.clone())
    }

    /// The methods `path` takes, when it matches a documented template.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let asked: Vec<&str> = path.split('/').collect();
        let is_param = |t: &str| t.starts_with('{') && t.ends_with('}');
        // The most literal template wins (`/sellers/me` before `/sellers/{id}`).
        self.0
            .iter()
            .filter(|(template, _)| {
                template.len() == asked.len()
                    && template
                        .iter()
                        .zip(&asked)
                        .all(|(t, a)| t == a || (is_param(t) && !a.is_empty()))
            })
            .min_by_key(|(template, _)| template.iter().filter(|t| is_param(t)).count())
            .map(|(_, allow)| allow.clone())
    }
}
