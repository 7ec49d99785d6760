//! The HTTP shapes core reads and writes. Shells translate their framework's types to these.

use crate::error::{Backend, BackendError, ErrorCode, Failure, OAuthError};

/// An HTTP request as the shell received it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path relative to the service root (an API Gateway stage removed), e.g. `/token`. A query
    /// string, if present, is ignored.
    pub path: String,
    /// Header fields in arrival order; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body, already base64-decoded if the gateway encoded it.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        Request {
            method: method.into(),
            path: path.into(),
            ..Request::default()
        }
    }

    /// Adds a header field.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The value of a header that may appear at most once: `Err` if it is repeated.
    pub(crate) fn single_header(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut found = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                format!("the {name} header is repeated"),
            ));
        }
        Ok(first)
    }
}

/// What a response means, for the shell's log line and metrics. Never contains a secret or a
/// token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A token was issued.
    Issued {
        /// The authenticated client.
        client_id: String,
    },
    /// The request was refused with a 4xx.
    Refused {
        /// The error sent.
        code: ErrorCode,
        /// The client id presented, if the request got that far. Not authenticated unless the
        /// code comes after authentication (`unauthorized_client`, `invalid_scope`,
        /// `invalid_target`).
        client_id: Option<String>,
    },
    /// A driver-side failure produced a 5xx.
    Failed {
        /// What failed.
        failure: Failure,
        /// The client id presented, if known.
        client_id: Option<String>,
    },
    /// A document was served (JWKS or metadata).
    Served,
}

impl Outcome {
    /// A one-word label: `issued`, `refused`, `failed` or `served`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Issued { .. } => "issued",
            Outcome::Refused { .. } => "refused",
            Outcome::Failed { .. } => "failed",
            Outcome::Served => "served",
        }
    }

    /// The client id involved, if any.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Outcome::Issued { client_id } => Some(client_id),
            Outcome::Refused { client_id, .. } | Outcome::Failed { client_id, .. } => {
                client_id.as_deref()
            }
            Outcome::Served => None,
        }
    }

    /// The error code sent, if any.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Outcome::Refused { code, .. } => Some(*code),
            Outcome::Failed { failure, .. } => Some(failure.code()),
            _ => None,
        }
    }
}

/// A complete HTTP response for the shell to send as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields, names in lower case.
    pub headers: Vec<(&'static str, String)>,
    /// The body: always JSON text.
    pub body: String,
    /// What happened, for logs and metrics.
    pub outcome: Outcome,
}

impl Response {
    /// The value of a header, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A JSON response with the headers every token-endpoint answer carries (RFC 6749 §5.1).
    pub(crate) fn no_store(status: u16, body: String, outcome: Outcome) -> Self {
        Response {
            status,
            headers: vec![
                ("content-type", "application/json;charset=UTF-8".into()),
                ("cache-control", "no-store".into()),
                ("pragma", "no-cache".into()),
            ],
            body,
            outcome,
        }
    }

    /// A refusal with its JSON body (RFC 6749 §5.2).
    pub(crate) fn refusal(error: &OAuthError, client_id: Option<String>) -> Self {
        let mut response = Response::no_store(
            error.code.status(),
            error_body(error.code, &error.description),
            Outcome::Refused {
                code: error.code,
                client_id,
            },
        );
        if error.code.challenges() {
            response.headers.push((
                "www-authenticate",
                r#"Basic realm="token", charset="UTF-8""#.into(),
            ));
        }
        response
    }

    /// A 5xx for a driver-side failure; the body says nothing about the cause.
    pub(crate) fn failure(failure: Failure, client_id: Option<String>) -> Self {
        let code = failure.code();
        let mut response = Response::no_store(
            code.status(),
            error_body(code, failure.client_description()),
            Outcome::Failed { failure, client_id },
        );
        if code == ErrorCode::TemporarilyUnavailable {
            response.headers.push(("retry-after", "1".into()));
        }
        response
    }

    /// The answer while the endpoint cannot be built yet because a backend is failing (for
    /// example, the signing key's public key could not be fetched at start).
    pub fn backend_failed(backend: Backend, error: BackendError) -> Self {
        Response::failure(Failure::Backend { backend, error }, None)
    }

    /// A cacheable JSON document.
    pub(crate) fn document(body: String) -> Self {
        Response {
            status: 200,
            headers: vec![
                ("content-type", "application/json".into()),
                ("cache-control", "public, max-age=300".into()),
            ],
            body,
            outcome: Outcome::Served,
        }
    }
}

fn error_body(code: ErrorCode, description: &str) -> String {
    serde_json::json!({ "error": code.as_str(), "error_description": description }).to_string()
}
