//! API Gateway's Lambda proxy format: events in (REST API v1, HTTP API v2, function URLs) and
//! responses out. Shells whose runtime hands them the raw event (the Node.js one) use this; the
//! native shell gets the same fields from `lambda_http` and shares [`path_without_stage`].

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, OAuthError};
use crate::http::{Request, Response};

/// The path relative to the API. REST v1 events carry it without the stage already; HTTP API
/// events with a named stage carry `/{stage}/...`.
pub fn path_without_stage(raw: &str, stage: Option<&str>) -> String {
    match stage {
        Some(stage) if stage != "$default" => {
            let prefix = format!("/{stage}");
            match raw.strip_prefix(&prefix) {
                Some(rest) if rest.starts_with('/') => rest.to_string(),
                _ => raw.to_string(),
            }
        }
        _ => raw.to_string(),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Event {
    version: Option<String>,
    http_method: Option<String>,
    path: Option<String>,
    raw_path: Option<String>,
    headers: Option<BTreeMap<String, Option<String>>>,
    multi_value_headers: Option<BTreeMap<String, Option<Vec<String>>>>,
    body: Option<String>,
    is_base64_encoded: bool,
    request_context: Context,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Context {
    stage: Option<String>,
    http: Option<HttpContext>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HttpContext {
    method: Option<String>,
}

/// Reads a proxy event. `Err` carries the response to send: the event is not one this endpoint
/// can read.
pub fn request_from_event(event_json: &str) -> Result<Request, Response> {
    let bad =
        |what: &str| Response::refusal(&OAuthError::new(ErrorCode::InvalidRequest, what), None);
    let event: Event =
        serde_json::from_str(event_json).map_err(|_| bad("the gateway event is not readable"))?;
    let v2 = event.version.as_deref() == Some("2.0");
    let method = if v2 {
        event.request_context.http.and_then(|h| h.method)
    } else {
        event.http_method
    }
    .ok_or_else(|| bad("the gateway event has no method"))?;
    let raw_path = if v2 { event.raw_path } else { event.path }.unwrap_or_default();
    let path = path_without_stage(&raw_path, event.request_context.stage.as_deref());
    let mut headers = Vec::new();
    match (event.multi_value_headers, event.headers) {
        (Some(multi), _) if !multi.is_empty() => {
            for (name, values) in multi {
                for value in values.unwrap_or_default() {
                    headers.push((name.clone(), value));
                }
            }
        }
        (_, Some(single)) => {
            for (name, value) in single {
                if let Some(value) = value {
                    headers.push((name, value));
                }
            }
        }
        _ => {}
    }
    let body = match event.body {
        None => Vec::new(),
        Some(body) if event.is_base64_encoded => B64
            .decode(body)
            .map_err(|_| bad("the gateway event's body is not base64"))?,
        Some(body) => body.into_bytes(),
    };
    Ok(Request {
        method,
        path,
        headers,
        body,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProxyResponse<'a> {
    status_code: u16,
    headers: BTreeMap<&'a str, &'a str>,
    body: &'a str,
    is_base64_encoded: bool,
}

/// The proxy response for API Gateway (v1 and v2 read the same shape).
pub fn response_to_proxy(response: &Response) -> String {
    serde_json::to_string(&ProxyResponse {
        status_code: response.status,
        headers: response
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect(),
        body: &response.body,
        is_base64_encoded: false,
    })
    .expect("proxy response serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_prefix_is_removed_only_when_present() {
        assert_eq!(path_without_stage("/dev/token", Some("dev")), "/token");
        assert_eq!(path_without_stage("/token", Some("dev")), "/token");
        assert_eq!(path_without_stage("/devtoken", Some("dev")), "/devtoken");
        assert_eq!(path_without_stage("/token", Some("$default")), "/token");
        assert_eq!(path_without_stage("/dev/token", None), "/dev/token");
    }

    #[test]
    fn v1_and_v2_events_and_bad_ones() {
        let v1 = r#"{"httpMethod":"POST","path":"/token","requestContext":{"stage":"dev","path":"/dev/token"},
            "multiValueHeaders":{"Authorization":["a","b"]},"headers":{"Authorization":"b"},
            "body":"Z3JhbnRfdHlwZT14","isBase64Encoded":true}"#;
        let r = request_from_event(v1).unwrap();
        assert_eq!(
            (r.method.as_str(), r.path.as_str(), r.body.as_slice()),
            ("POST", "/token", &b"grant_type=x"[..])
        );
        assert_eq!(
            r.headers.len(),
            2,
            "repeated headers survive, so core can refuse them"
        );
        let v2 = r#"{"version":"2.0","rawPath":"/dev/.well-known/jwks.json","requestContext":{"stage":"dev","http":{"method":"GET"}},"headers":{"host":"x"}}"#;
        let r = request_from_event(v2).unwrap();
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("GET", "/.well-known/jwks.json")
        );
        for bad in [
            "",
            "{}",
            r#"{"httpMethod":"POST","body":"!","isBase64Encoded":true}"#,
        ] {
            assert_eq!(request_from_event(bad).unwrap_err().status, 400, "{bad}");
        }
    }

    #[test]
    fn proxy_response_shape() {
        let response = Response::document("{}".into());
        let proxy: serde_json::Value = serde_json::from_str(&response_to_proxy(&response)).unwrap();
        assert_eq!(proxy["statusCode"], 200);
        assert_eq!(proxy["headers"]["content-type"], "application/json");
        assert_eq!(proxy["isBase64Encoded"], false);
        assert_eq!(proxy["body"], "{}");
    }
}
