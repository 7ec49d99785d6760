//! The error codes a client can receive, in one table, apart from the Rust errors that carry them.

use core::fmt;

/// An error code sent in the `error` member of a JSON error response.
///
/// [`ErrorCode::status`] and [`ErrorCode::challenges`] read the table below; nothing else in the
/// crate decides a status code for an error.
///
/// | code | status | `WWW-Authenticate` | defined by |
/// |---|---|---|---|
/// | `invalid_request` | 400 | no | RFC 6749 §5.2 |
/// | `invalid_client` | 401 | yes | RFC 6749 §5.2, RFC 9110 §15.5.2 |
/// | `unauthorized_client` | 400 | no | RFC 6749 §5.2 |
/// | `unsupported_grant_type` | 400 | no | RFC 6749 §5.2 |
/// | `invalid_scope` | 400 | no | RFC 6749 §5.2 |
/// | `invalid_target` | 400 | no | RFC 8707 §2 |
/// | `request_too_large` | 413 | no | RFC 9110 §15.5.14 |
/// | `not_found` | 404 | no | RFC 9110 §15.5.5 |
/// | `method_not_allowed` | 405 | no | RFC 9110 §15.5.6 |
/// | `server_error` | 500 | no | RFC 6749 §4.1.2.1 (reused at the token endpoint) |
/// | `temporarily_unavailable` | 503 | no | RFC 6749 §4.1.2.1 (reused at the token endpoint) |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request is missing a parameter, repeats one, or is otherwise malformed.
    InvalidRequest,
    /// Client authentication failed: unknown client, wrong secret, or no credentials.
    InvalidClient,
    /// The client authenticated but may not obtain tokens (it is disabled).
    UnauthorizedClient,
    /// `grant_type` is not `client_credentials`.
    UnsupportedGrantType,
    /// A requested scope is malformed or not allowed for this client.
    InvalidScope,
    /// A requested `resource` or `audience` is malformed or not allowed for this client.
    InvalidTarget,
    /// The request body is larger than the endpoint accepts.
    RequestTooLarge,
    /// No such route.
    NotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The backend answered something the endpoint cannot use (a malformed client record, a
    /// signature of the wrong shape, a refused call).
    ServerError,
    /// A backend could not be reached in time or throttled the call.
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// Every code, in table order.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidClient,
        ErrorCode::UnauthorizedClient,
        ErrorCode::UnsupportedGrantType,
        ErrorCode::InvalidScope,
        ErrorCode::InvalidTarget,
        ErrorCode::RequestTooLarge,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::ServerError,
        ErrorCode::TemporarilyUnavailable,
    ];

    fn row(self) -> (&'static str, u16, bool) {
        match self {
            ErrorCode::InvalidRequest => ("invalid_request", 400, false),
            ErrorCode::InvalidClient => ("invalid_client", 401, true),
            ErrorCode::UnauthorizedClient => ("unauthorized_client", 400, false),
            ErrorCode::UnsupportedGrantType => ("unsupported_grant_type", 400, false),
            ErrorCode::InvalidScope => ("invalid_scope", 400, false),
            ErrorCode::InvalidTarget => ("invalid_target", 400, false),
            ErrorCode::RequestTooLarge => ("request_too_large", 413, false),
            ErrorCode::NotFound => ("not_found", 404, false),
            ErrorCode::MethodNotAllowed => ("method_not_allowed", 405, false),
            ErrorCode::ServerError => ("server_error", 500, false),
            ErrorCode::TemporarilyUnavailable => ("temporarily_unavailable", 503, false),
        }
    }

    /// The wire name, e.g. `invalid_client`.
    pub fn as_str(self) -> &'static str {
        self.row().0
    }

    /// The HTTP status the response carries.
    pub fn status(self) -> u16 {
        self.row().1
    }

    /// Whether the response carries a `WWW-Authenticate: Basic` challenge. RFC 6749 §5.2 requires
    /// one when the client used the `Authorization` header; RFC 9110 requires one on every 401, so
    /// this endpoint sends it with every `invalid_client`.
    pub fn challenges(self) -> bool {
        self.row().2
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal: the code from the table and a human-readable description.
///
/// Descriptions are ASCII and free of `"` and `\`, as RFC 6749 §5.2 requires of
/// `error_description`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// The error code.
    pub code: ErrorCode,
    /// What was wrong, for the client's developer.
    pub description: String,
}

impl OAuthError {
    pub(crate) fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        let mut description = description.into();
        description.retain(|c| matches!(c, ' '..='~') && c != '"' && c != '\\');
        OAuthError { code, description }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

/// Which backend a driver failure concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The client table (DynamoDB `Users`).
    ClientStore,
    /// The signing key (KMS).
    Signer,
}

impl Backend {
    /// A short name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::ClientStore => "client_store",
            Backend::Signer => "signer",
        }
    }
}

/// How a backend call failed, as the driver reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendError {
    /// Not reached, timed out or throttled: the client gets a 503 and may retry.
    Unavailable,
    /// Refused (access denied, key disabled or deleted, table missing): the client gets a 500.
    Refused,
}

/// AWS error codes (`__type` / `code`) that mean "try again later" rather than "this will not
/// work".
pub const TRANSIENT_AWS_ERRORS: [&str; 8] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "InternalServerError",
    "KMSInternalException",
    "DependencyTimeoutException",
    "ServiceUnavailable",
];

impl BackendError {
    /// Classifies an error the AWS service answered with, by its code. Transport failures (no
    /// answer, a timeout) are [`BackendError::Unavailable`] without asking.
    pub fn from_aws_code(code: &str) -> BackendError {
        if TRANSIENT_AWS_ERRORS.contains(&code) {
            BackendError::Unavailable
        } else {
            BackendError::Refused
        }
    }
}

/// Something went wrong on the driver's side of a step. The client sees a JSON 5xx without any of
/// these details; the [`Outcome`](crate::Outcome) of the response keeps them for the logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// A backend call failed, as the driver reported.
    Backend {
        /// Which backend.
        backend: Backend,
        /// How it failed.
        error: BackendError,
    },
    /// A client record in the table cannot be used: 500, until an operator fixes the item.
    MalformedRecord {
        /// The attribute at fault.
        attribute: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The signature handed to the last step does not fit the key.
    BadSignature {
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Failure {
    /// The code the client receives.
    pub fn code(&self) -> ErrorCode {
        match self {
            Failure::Backend {
                error: BackendError::Unavailable,
                ..
            } => ErrorCode::TemporarilyUnavailable,
            _ => ErrorCode::ServerError,
        }
    }

    pub(crate) fn client_description(&self) -> &'static str {
        match self.code() {
            ErrorCode::TemporarilyUnavailable => "a backend service is unavailable, retry later",
            _ => "the token service failed to complete the request",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Backend { backend, error } => {
                let what = match error {
                    BackendError::Unavailable => "unavailable",
                    BackendError::Refused => "refused the call",
                };
                write!(f, "{} {what}", backend.as_str())
            }
            Failure::MalformedRecord { attribute, reason } => {
                write!(f, "malformed client record: {attribute} {reason}")
            }
            Failure::BadSignature { reason } => write!(f, "bad signature from signer: {reason}"),
        }
    }
}
