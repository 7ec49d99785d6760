//! The access token: a JWS per RFC 9068.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The JOSE header of an access token (RFC 7515 §4.1, RFC 9068 §2.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// `alg`: the signature algorithm.
    pub alg: String,
    /// `kid`: the key id, the KMS key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `typ`: `at+jwt` for access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// The claims of an access token (RFC 9068 §2.2), under readable names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// `iss` (RFC 7519 §4.1.1): the issuer identifier.
    #[serde(rename = "iss")]
    pub issuer: String,
    /// `sub` (RFC 7519 §4.1.2): the client id, as no resource owner is involved.
    #[serde(rename = "sub")]
    pub subject: String,
    /// `aud` (RFC 7519 §4.1.3): a string when there is one audience, else an array.
    #[serde(
        rename = "aud",
        serialize_with = "audience_out",
        deserialize_with = "audience_in"
    )]
    pub audience: Vec<String>,
    /// `exp` (RFC 7519 §4.1.4), seconds since the epoch.
    #[serde(rename = "exp")]
    pub expires_at: u64,
    /// `iat` (RFC 7519 §4.1.6), seconds since the epoch.
    #[serde(rename = "iat")]
    pub issued_at: u64,
    /// `jti` (RFC 7519 §4.1.7): a UUID made from the driver's random bytes.
    #[serde(rename = "jti")]
    pub token_id: String,
    /// `client_id` (RFC 8693 §4.3, required by RFC 9068 §2.2).
    pub client_id: String,
    /// `scope` (RFC 8693 §4.2): space-separated granted scopes, absent when none were granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client's extra claims from its `Claims` attribute.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn audience_out<S: Serializer>(audience: &[String], s: S) -> Result<S::Ok, S::Error> {
    match audience {
        [one] => s.serialize_str(one),
        many => many.serialize(s),
    }
}

fn audience_in<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// `base64url(header) "." base64url(claims)`: the bytes to sign (RFC 7515 §5.1).
pub(crate) fn signing_input(encoded_header: &str, claims: &AccessTokenClaims) -> String {
    let mut json = Vec::with_capacity(512);
    serde_json::to_writer(&mut json, claims).expect("claims serialize to JSON");
    let mut input = String::with_capacity(encoded_header.len() + 1 + json.len() * 4 / 3 + 4);
    input.push_str(encoded_header);
    input.push('.');
    B64URL.encode_string(json, &mut input);
    input
}

/// The header of tokens signed with this key, base64url-encoded.
pub(crate) fn encoded_header(alg: &str, kid: &str) -> String {
    let header = Header {
        alg: alg.to_string(),
        kid: Some(kid.to_string()),
        typ: Some("at+jwt".to_string()),
    };
    B64URL.encode(serde_json::to_vec(&header).expect("header serializes to JSON"))
}
