//! The endpoint: routing, and the steps of one token request.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use serde::Serialize;

use crate::client::{authenticate, Item, Record};
use crate::error::{Backend, BackendError, ErrorCode, Failure, OAuthError};
use crate::http::{Outcome, Request, Response};
use crate::key::{Alg, Jwk, KeyInfo, SignatureFormat};
use crate::request::{self, TokenRequest};
use crate::token::{encoded_header, signing_input, AccessTokenClaims};
#[cfg(feature = "verify")]
use crate::verify::Jwks;

/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/token";
/// The path of the JWKS document.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
/// The path of the RFC 8414 metadata document.
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

/// What the endpoint is configured with, apart from its keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The issuer identifier (`iss`), an https URL without a trailing slash. The token endpoint
    /// and JWKS URLs are this plus [`TOKEN_PATH`] and [`JWKS_PATH`].
    pub issuer: String,
    /// The `aud` of tokens whose request names no audience and whose client has no `Audiences`.
    pub default_audience: String,
    /// Token lifetime in seconds when the client's record has no `TokenTtl`.
    pub default_ttl: u64,
    /// The longest `TokenTtl` a record may set.
    pub max_ttl: u64,
    /// Scopes advertised in the metadata document (`scopes_supported`), if any.
    pub scopes_supported: Vec<String>,
}

impl Config {
    /// A configuration with the defaults: the audience is the issuer, tokens live one hour, a
    /// record may ask for up to one day.
    pub fn new(issuer: impl Into<String>) -> Config {
        let issuer = issuer.into().trim_end_matches('/').to_string();
        Config {
            default_audience: issuer.clone(),
            issuer,
            default_ttl: 3600,
            max_ttl: 86_400,
            scopes_supported: Vec::new(),
        }
    }
}

/// Why an [`Endpoint`] cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// `issuer` is empty.
    EmptyIssuer,
    /// `default_audience` is empty.
    EmptyAudience,
    /// `default_ttl` is zero or above `max_ttl`.
    InvalidTtl,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConfigError::EmptyIssuer => "the issuer is empty",
            ConfigError::EmptyAudience => "the default audience is empty",
            ConfigError::InvalidTtl => "the default lifetime must be between 1 and the maximum",
        })
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug)]
struct Inner {
    config: Config,
    key: KeyInfo,
    encoded_header: String,
    #[cfg(feature = "verify")]
    jwks: Jwks,
    jwks_json: String,
    metadata_json: String,
}

/// The token endpoint: configuration and keys, shared by every request. Cheap to clone.
///
/// A driver builds it once (after one `GetPublicKey` per key) and then, per HTTP request:
/// 1. calls [`Endpoint::handle`] with the request, the time and 16 random bytes;
/// 2. answers each [`Step`] until it is [`Step::Respond`]: [`LoadClient`] with the client's
///    items (one DynamoDB `Query` on `Username`), [`Sign`] with a KMS `Sign` result;
/// 3. sends the [`Response`] and logs its [`Outcome`].
///
/// Each step is consumed by the call that answers it, so a step cannot be answered twice.
#[derive(Clone, Debug)]
pub struct Endpoint(Arc<Inner>);

#[derive(Serialize)]
struct Metadata<'a> {
    issuer: &'a str,
    token_endpoint: String,
    jwks_uri: String,
    grant_types_supported: [&'a str; 1],
    response_types_supported: [&'a str; 0],
    token_endpoint_auth_methods_supported: [&'a str; 2],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    scopes_supported: &'a [String],
}

impl Endpoint {
    /// Builds the endpoint. `key` signs new tokens; `previous_keys` (keys the alias pointed to
    /// before) only appear in the JWKS so that tokens they signed keep verifying.
    pub fn new(
        config: Config,
        key: KeyInfo,
        previous_keys: Vec<KeyInfo>,
    ) -> Result<Endpoint, ConfigError> {
        if config.issuer.is_empty() {
            return Err(ConfigError::EmptyIssuer);
        }
        if config.default_audience.is_empty() {
            return Err(ConfigError::EmptyAudience);
        }
        if config.default_ttl == 0 || config.default_ttl > config.max_ttl {
            return Err(ConfigError::InvalidTtl);
        }
        let mut keys = vec![key.clone()];
        for previous in previous_keys {
            if !keys.iter().any(|k| k.kid() == previous.kid()) {
                keys.push(previous);
            }
        }
        let jwks_doc: Vec<Jwk> = keys.iter().map(KeyInfo::jwk).collect();
        let jwks_json = serde_json::json!({ "keys": jwks_doc }).to_string();
        let metadata_json = serde_json::to_string(&Metadata {
            issuer: &config.issuer,
            token_endpoint: format!("{}{TOKEN_PATH}", config.issuer),
            jwks_uri: format!("{}{JWKS_PATH}", config.issuer),
            grant_types_supported: ["client_credentials"],
            response_types_supported: [],
            token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
            scopes_supported: &config.scopes_supported,
        })
        .expect("metadata serializes");
        Ok(Endpoint(Arc::new(Inner {
            encoded_header: encoded_header(key.alg().as_str(), key.kid()),
            #[cfg(feature = "verify")]
            jwks: Jwks::from_keys(&keys),
            jwks_json,
            metadata_json,
            key,
            config,
        })))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The key that signs new tokens.
    pub fn signing_key(&self) -> &KeyInfo {
        &self.0.key
    }

    /// The JWKS document served at [`JWKS_PATH`].
    pub fn jwks_json(&self) -> &str {
        &self.0.jwks_json
    }

    /// The keys of the JWKS document, for [`verify`](crate::verify()).
    #[cfg(feature = "verify")]
    pub fn jwks(&self) -> &Jwks {
        &self.0.jwks
    }

    /// The RFC 8414 document served at [`METADATA_PATH`].
    pub fn metadata_json(&self) -> &str {
        &self.0.metadata_json
    }

    /// Starts handling one HTTP request. `now` is the time in seconds since the Unix epoch;
    /// `token_id` is 16 bytes from a cryptographic random source, used for `jti`.
    pub fn handle(&self, request: Request, now: u64, token_id: [u8; 16]) -> Step {
        let path = request.path.split('?').next().unwrap_or("");
        let is_get = matches!(request.method.as_str(), "GET" | "HEAD");
        let document = match path {
            TOKEN_PATH => None,
            JWKS_PATH => Some(self.jwks_json()),
            METADATA_PATH => Some(self.metadata_json()),
            _ => {
                let error = OAuthError::new(ErrorCode::NotFound, "no such endpoint");
                return Step::Respond(Response::refusal(&error, None));
            }
        };
        match document {
            Some(_) if !is_get => Step::Respond(not_allowed("GET, HEAD")),
            Some(body) => {
                let body = if request.method == "HEAD" { "" } else { body };
                Step::Respond(Response::document(body.to_string()))
            }
            None if request.method != "POST" => Step::Respond(not_allowed("POST")),
            None => match request::parse(&request) {
                Ok(request) => Step::LoadClient(LoadClient {
                    endpoint: self.clone(),
                    request,
                    now,
                    token_id,
                }),
                Err(rejected) => {
                    Step::Respond(Response::refusal(&rejected.error, rejected.client_id))
                }
            },
        }
    }
}

fn not_allowed(allow: &str) -> Response {
    let error = OAuthError::new(
        ErrorCode::MethodNotAllowed,
        format!("this endpoint accepts {allow}"),
    );
    let mut response = Response::refusal(&error, None);
    response.headers.push(("allow", allow.to_string()));
    response
}

/// What the driver must do next.
#[must_use = "a step must be answered; only Respond ends the exchange"]
#[derive(Debug)]
pub enum Step {
    /// Query the client table for every item whose `Username` is [`LoadClient::client_id`], then
    /// call [`LoadClient::provide`] (or [`LoadClient::fail`]).
    LoadClient(LoadClient),
    /// Sign [`Sign::message`] with KMS key [`Sign::key_id`] and algorithm [`Sign::algorithm`],
    /// then call [`Sign::finish`] (or [`Sign::fail`]).
    Sign(Sign),
    /// Send this response. The exchange is over.
    Respond(Response),
}

/// The driver must load the client's records.
#[derive(Debug)]
pub struct LoadClient {
    endpoint: Endpoint,
    request: TokenRequest,
    now: u64,
    token_id: [u8; 16],
}

impl LoadClient {
    /// The client id to query (the `Username` partition key).
    pub fn client_id(&self) -> &str {
        &self.request.client_id
    }

    /// Answers with every item stored under the client id (none if it is unknown). Decides
    /// authentication, scope, audience and lifetime.
    pub fn provide(self, items: &[Item]) -> Step {
        let LoadClient {
            endpoint,
            request,
            now,
            token_id,
        } = self;
        let config = &endpoint.0.config;
        let client_id = request.client_id.clone();
        let refuse = |code, description: String| {
            Step::Respond(Response::refusal(
                &OAuthError::new(code, description),
                Some(client_id.clone()),
            ))
        };

        let records: Result<Vec<Record>, Failure> = items
            .iter()
            .map(|item| Record::parse(&request.client_id, item, config.max_ttl))
            .collect();
        let records = match records {
            Ok(records) => records,
            Err(failure) => return Step::Respond(Response::failure(failure, Some(client_id))),
        };
        let Some(record) = authenticate(&records, &request.secret) else {
            return refuse(
                ErrorCode::InvalidClient,
                "client authentication failed".into(),
            );
        };
        if record.disabled {
            return refuse(
                ErrorCode::UnauthorizedClient,
                "the client is disabled".into(),
            );
        }

        let scopes: Vec<String> = match (&record.scopes, request.scopes.is_empty()) {
            (Some(allowed), false) => {
                if let Some(denied) = request.scopes.iter().find(|s| !allowed.contains(*s)) {
                    return refuse(
                        ErrorCode::InvalidScope,
                        format!("scope {denied} is not allowed for this client"),
                    );
                }
                request.scopes.clone()
            }
            // RFC 6749 §3.3: with no scope requested, grant the client's allowed set.
            (Some(allowed), true) => allowed.iter().cloned().collect(),
            (None, _) => request.scopes.clone(),
        };
        let scope = (!scopes.is_empty()).then(|| scopes.join(" "));

        let audience: Vec<String> = match (&record.audiences, request.audiences.is_empty()) {
            (Some(allowed), false) => {
                if let Some(denied) = request.audiences.iter().find(|a| !allowed.contains(*a)) {
                    return refuse(
                        ErrorCode::InvalidTarget,
                        format!("audience {denied} is not allowed for this client"),
                    );
                }
                request.audiences.clone()
            }
            (Some(allowed), true) if !allowed.is_empty() => allowed.clone(),
            (_, false) if request.audiences != [config.default_audience.clone()] => {
                return refuse(
                    ErrorCode::InvalidTarget,
                    format!(
                        "this client may only receive tokens for {}",
                        config.default_audience
                    ),
                );
            }
            _ => vec![config.default_audience.clone()],
        };

        let expires_in = record.ttl.unwrap_or(config.default_ttl);
        let claims = AccessTokenClaims {
            issuer: config.issuer.clone(),
            subject: client_id.clone(),
            audience,
            expires_at: now.saturating_add(expires_in),
            issued_at: now,
            token_id: uuid::Builder::from_random_bytes(token_id)
                .into_uuid()
                .hyphenated()
                .to_string(),
            client_id: client_id.clone(),
            scope: scope.clone(),
            extra: record.claims.clone(),
        };
        // RFC 6749 §5.1: scope is required in the response when it differs from the request.
        let scope_in_response =
            scope.filter(|granted| request.scope_param.as_ref() != Some(granted));
        let message = signing_input(&endpoint.0.encoded_header, &claims);
        Step::Sign(Sign {
            endpoint,
            client_id,
            message,
            expires_in,
            scope_in_response,
        })
    }

    /// Reports that the query failed.
    pub fn fail(self, error: BackendError) -> Response {
        let failure = Failure::Backend {
            backend: Backend::ClientStore,
            error,
        };
        Response::failure(failure, Some(self.request.client_id))
    }
}

/// The driver must have the signing input signed.
#[derive(Debug)]
pub struct Sign {
    endpoint: Endpoint,
    client_id: String,
    message: String,
    expires_in: u64,
    scope_in_response: Option<String>,
}

impl Sign {
    /// The bytes to sign (KMS `Message`, `MessageType = RAW`).
    pub fn message(&self) -> &[u8] {
        self.message.as_bytes()
    }

    /// The KMS `KeyId` to sign with: the key resolved at start, not the alias, so that the `kid`
    /// always names the key that signed.
    pub fn key_id(&self) -> &str {
        self.endpoint.0.key.key_id()
    }

    /// The KMS `SigningAlgorithm`.
    pub fn algorithm(&self) -> &'static str {
        self.endpoint.0.key.alg().kms_name()
    }

    /// The JWS algorithm.
    pub fn alg(&self) -> Alg {
        self.endpoint.0.key.alg()
    }

    /// The authenticated client.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Answers with the signature and returns the token response (or a 500 if the signature does
    /// not fit the key).
    pub fn finish(self, signature: &[u8], format: SignatureFormat) -> Response {
        let jose = match self.endpoint.0.key.jose_signature(signature, format) {
            Ok(jose) => jose,
            Err(reason) => {
                return Response::failure(Failure::BadSignature { reason }, Some(self.client_id))
            }
        };
        // The body is written directly: the token is base64url and dots only, so it needs no
        // JSON escaping, and one allocation of the right size holds everything.
        let scope = self
            .scope_in_response
            .as_deref()
            .map(|scope| serde_json::to_string(scope).expect("a string serializes to JSON"));
        let mut body = String::with_capacity(
            self.message.len() + jose.len() * 4 / 3 + scope.as_ref().map_or(0, String::len) + 96,
        );
        body.push_str(r#"{"access_token":""#);
        body.push_str(&self.message);
        body.push('.');
        B64URL.encode_string(jose, &mut body);
        body.push_str(r#"","token_type":"Bearer","expires_in":"#);
        body.push_str(&self.expires_in.to_string());
        if let Some(scope) = scope {
            body.push_str(r#","scope":"#);
            body.push_str(&scope);
        }
        body.push('}');
        Response::no_store(
            200,
            body,
            Outcome::Issued {
                client_id: self.client_id,
            },
        )
    }

    /// Reports that signing failed.
    pub fn fail(self, error: BackendError) -> Response {
        let failure = Failure::Backend {
            backend: Backend::Signer,
            error,
        };
        Response::failure(failure, Some(self.client_id))
    }
}
