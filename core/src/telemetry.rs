//! The log line and CloudWatch metrics every shell writes per request, built here so that the
//! native and the Node.js shells write the same lines.

use serde_json::json;

use crate::error::ErrorCode;
use crate::http::{Outcome, Response};

/// The CloudWatch namespace of the metrics.
pub const METRIC_NAMESPACE: &str = "TokenEndpoint";

/// One JSON line describing a finished request: outcome, status, error code, client id and
/// latency. It never contains a secret or a token (the [`Outcome`] holds neither).
///
/// `cpu_us`, where the shell can measure it, is the CPU time the request cost outside its AWS
/// calls (parsing, core's decisions, building the response): what the endpoint itself spends,
/// as opposed to the AWS SDK and the services.
pub fn request_log_line(
    response: &Response,
    latency_ms: f64,
    cpu_us: Option<f64>,
    timestamp_ms: u64,
) -> String {
    let outcome = &response.outcome;
    let failure = match outcome {
        Outcome::Failed { failure, .. } => Some(failure.to_string()),
        _ => None,
    };
    json!({
        "timestamp": timestamp_ms,
        "level": if response.status >= 500 { "ERROR" } else { "INFO" },
        "message": "request",
        "outcome": outcome.label(),
        "status": response.status,
        "error": outcome.error_code().map(ErrorCode::as_str),
        "failure": failure,
        "client_id": outcome.client_id(),
        "latency_ms": (latency_ms * 1000.0).round() / 1000.0,
        "cpu_us": cpu_us.map(|us| (us * 10.0).round() / 10.0),
    })
    .to_string()
}

/// One CloudWatch Embedded Metric Format line: `TokensIssued`, `ClientAuthFailures` (invalid or
/// disabled clients), `BackendErrors` (any 5xx) and `Latency`, with the outcome as dimension.
pub fn emf_line(response: &Response, latency_ms: f64, timestamp_ms: u64) -> String {
    let outcome = &response.outcome;
    let count = |yes: bool| u8::from(yes);
    let auth_failure = matches!(
        outcome.error_code(),
        Some(ErrorCode::InvalidClient | ErrorCode::UnauthorizedClient)
    );
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": METRIC_NAMESPACE,
                "Dimensions": [["Outcome"]],
                "Metrics": [
                    { "Name": "TokensIssued", "Unit": "Count" },
                    { "Name": "ClientAuthFailures", "Unit": "Count" },
                    { "Name": "BackendErrors", "Unit": "Count" },
                    { "Name": "Latency", "Unit": "Milliseconds" },
                ],
            }],
        },
        "Outcome": outcome.label(),
        "TokensIssued": count(matches!(outcome, Outcome::Issued { .. })),
        "ClientAuthFailures": count(auth_failure),
        "BackendErrors": count(response.status >= 500),
        "Latency": (latency_ms * 1000.0).round() / 1000.0,
    })
    .to_string()
}
