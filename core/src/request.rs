//! Reading a token request: form body and client authentication (RFC 6749 §2.3.1, §3.2, §4.4.2).

use base64::engine::{general_purpose::GeneralPurposeConfig, DecodePaddingMode, GeneralPurpose};
use base64::Engine;

use crate::error::{ErrorCode, OAuthError};
use crate::http::Request;

/// The largest body accepted, in bytes. A real request is well under 1 KiB.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// The longest client id accepted, in bytes (DynamoDB allows 2048 for a partition key).
pub const MAX_CLIENT_ID_BYTES: usize = 256;
/// The longest client secret accepted, in bytes (DynamoDB allows 1024 for a sort key).
pub const MAX_SECRET_BYTES: usize = 1024;
/// The most audiences one request may ask for.
pub const MAX_AUDIENCES: usize = 16;

const BASIC: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A well-formed client-credentials request, not yet authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TokenRequest {
    pub client_id: String,
    pub secret: String,
    /// The `scope` parameter as sent, if any.
    pub scope_param: Option<String>,
    /// The scope tokens, de-duplicated, in request order.
    pub scopes: Vec<String>,
    /// The requested audiences (`resource` values or the `audience` value).
    pub audiences: Vec<String>,
}

/// A parse failure that may already know the client id (for the log line).
pub(crate) struct Rejected {
    pub error: OAuthError,
    pub client_id: Option<String>,
}

impl From<OAuthError> for Rejected {
    fn from(error: OAuthError) -> Self {
        Rejected {
            error,
            client_id: None,
        }
    }
}

fn invalid(code: ErrorCode, description: impl Into<String>) -> OAuthError {
    OAuthError::new(code, description)
}

#[derive(Default)]
struct Params {
    grant_type: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    audience: Option<String>,
    resources: Vec<String>,
}

impl Params {
    fn parse(body: &[u8]) -> Result<Params, OAuthError> {
        if core::str::from_utf8(body).is_err() {
            return Err(invalid(ErrorCode::InvalidRequest, "the body is not UTF-8"));
        }
        let mut params = Params::default();
        for (name, value) in form_urlencoded::parse(body) {
            // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
            if value.is_empty() {
                continue;
            }
            let slot = match name.as_ref() {
                "grant_type" => &mut params.grant_type,
                "scope" => &mut params.scope,
                "client_id" => &mut params.client_id,
                "client_secret" => &mut params.client_secret,
                "audience" => &mut params.audience,
                "resource" => {
                    // RFC 8707 §2: resource may be repeated, one audience each.
                    params.resources.push(value.into_owned());
                    continue;
                }
                _ => continue,
            };
            if slot.is_some() {
                return Err(invalid(
                    ErrorCode::InvalidRequest,
                    format!("the {name} parameter is repeated"),
                ));
            }
            *slot = Some(value.into_owned());
        }
        Ok(params)
    }
}

fn percent_decode_form(part: &str) -> Option<String> {
    let plus_as_space = part.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Reads `Authorization: Basic`, if present. `Ok(None)`: no Authorization header.
fn basic_credentials(request: &Request) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = request.single_header("authorization")? else {
        return Ok(None);
    };
    let bad = |what: &str| invalid(ErrorCode::InvalidClient, what.to_string());
    let (scheme, encoded) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad("only the Basic authentication scheme is supported"));
    }
    if encoded.len() > 4 * (MAX_CLIENT_ID_BYTES + MAX_SECRET_BYTES) {
        return Err(bad("the Basic credentials are too long"));
    }
    let decoded = BASIC
        .decode(encoded.trim())
        .map_err(|_| bad("the Basic credentials are not valid base64"))?;
    let text =
        String::from_utf8(decoded).map_err(|_| bad("the Basic credentials are not UTF-8"))?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(|| bad("the Basic credentials lack a ':' separator"))?;
    // RFC 6749 §2.3.1: both halves are form-urlencoded before Basic encoding.
    let id = percent_decode_form(id).ok_or_else(|| bad("the client id is not valid UTF-8"))?;
    let secret =
        percent_decode_form(secret).ok_or_else(|| bad("the client secret is not valid UTF-8"))?;
    Ok(Some((id, secret)))
}

fn is_form(content_type: &str) -> bool {
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// RFC 6749 §3.3: scope tokens are 1*( %x21 / %x23-5B / %x5D-7E ), separated by spaces.
fn scope_tokens(scope: &str) -> Result<Vec<String>, OAuthError> {
    let mut tokens: Vec<String> = Vec::new();
    for token in scope.split(' ').filter(|t| !t.is_empty()) {
        let valid = token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            return Err(invalid(
                ErrorCode::InvalidScope,
                "a scope token contains a character outside RFC 6749 section 3.3",
            ));
        }
        if !tokens.iter().any(|t| t == token) {
            tokens.push(token.to_string());
        }
    }
    Ok(tokens)
}

/// RFC 8707 §2: an absolute URI without a fragment.
fn is_absolute_uri(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok
        && !rest.is_empty()
        && !value.contains('#')
        && value.bytes().all(|b| b.is_ascii_graphic())
}

fn audiences(params: &mut Params) -> Result<Vec<String>, OAuthError> {
    let target = |d: &str| invalid(ErrorCode::InvalidTarget, d.to_string());
    if params.audience.is_some() && !params.resources.is_empty() {
        return Err(invalid(
            ErrorCode::InvalidRequest,
            "send either resource or audience, not both",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    if let Some(audience) = params.audience.take() {
        if audience.len() > 1024 || !audience.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(target("the audience parameter is malformed"));
        }
        out.push(audience);
    }
    for resource in params.resources.drain(..) {
        if resource.len() > 1024 || !is_absolute_uri(&resource) {
            return Err(target(
                "a resource parameter is not an absolute URI without a fragment",
            ));
        }
        if !out.contains(&resource) {
            out.push(resource);
        }
    }
    if out.len() > MAX_AUDIENCES {
        return Err(target("too many resource parameters"));
    }
    Ok(out)
}

/// Parses a POST to the token endpoint. Everything that can be decided without the client's
/// records is decided here.
pub(crate) fn parse(request: &Request) -> Result<TokenRequest, Rejected> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(invalid(
            ErrorCode::RequestTooLarge,
            format!("the body exceeds {MAX_BODY_BYTES} bytes"),
        )
        .into());
    }
    match request.single_header("content-type")? {
        Some(ct) if is_form(ct) => {}
        _ => {
            return Err(invalid(
                ErrorCode::InvalidRequest,
                "the body must be application/x-www-form-urlencoded",
            )
            .into())
        }
    }
    let mut params = Params::parse(&request.body)?;
    match params.grant_type.as_deref() {
        None => {
            return Err(invalid(ErrorCode::InvalidRequest, "grant_type is missing").into());
        }
        Some("client_credentials") => {}
        Some(_) => {
            return Err(invalid(
                ErrorCode::UnsupportedGrantType,
                "only grant_type=client_credentials is supported",
            )
            .into());
        }
    }

    let basic = basic_credentials(request)?;
    let (client_id, secret) = match (basic, params.client_secret.take()) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                ErrorCode::InvalidRequest,
                "use one client authentication method: Basic or client_secret, not both",
            )
            .into());
        }
        (Some((id, secret)), None) => {
            if params
                .client_id
                .as_ref()
                .is_some_and(|body_id| *body_id != id)
            {
                return Err(invalid(
                    ErrorCode::InvalidRequest,
                    "client_id in the body differs from the Basic credentials",
                )
                .into());
            }
            (id, secret)
        }
        (None, Some(secret)) => match params.client_id.take() {
            Some(id) => (id, secret),
            None => {
                return Err(invalid(
                    ErrorCode::InvalidRequest,
                    "client_secret was sent without client_id",
                )
                .into())
            }
        },
        (None, None) => {
            return Err(invalid(
                ErrorCode::InvalidClient,
                "client authentication is required (Basic or client_secret_post)",
            )
            .into())
        }
    };
    if client_id.is_empty() || secret.is_empty() {
        return Err(invalid(ErrorCode::InvalidClient, "the client id or secret is empty").into());
    }
    if client_id.len() > MAX_CLIENT_ID_BYTES || secret.len() > MAX_SECRET_BYTES {
        return Err(invalid(
            ErrorCode::InvalidClient,
            "the client id or secret is too long",
        )
        .into());
    }

    let with_id = |error: OAuthError| Rejected {
        error,
        client_id: Some(client_id.clone()),
    };
    let scopes = match &params.scope {
        Some(scope) => scope_tokens(scope).map_err(with_id)?,
        None => Vec::new(),
    };
    let audiences = audiences(&mut params).map_err(with_id)?;
    Ok(TokenRequest {
        client_id,
        secret,
        scope_param: params.scope,
        scopes,
        audiences,
    })
}
