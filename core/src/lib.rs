//! The OAuth 2.0 client-credentials token endpoint (RFC 6749 §4.4) as a sans-io state machine.
//!
//! This crate makes every decision of the endpoint and performs no I/O: it reads no clock and no
//! random source, opens no connection and knows nothing of AWS. Time (`now`) and the token id's
//! random bytes are inputs, so a run is a pure function of its inputs. The native Lambda, the
//! Node.js/wasm Lambda and the browser page drive this same code and therefore behave alike.
//!
//! # The driver loop
//!
//! An [`Endpoint`] is built once from a [`Config`] and the signing key ([`KeyInfo::from_kms`],
//! from KMS `GetPublicKey`). Each HTTP request then goes through at most three steps; each
//! [`Step`] is consumed by the call that answers it:
//!
//! 1. [`Endpoint::handle`] takes the request → [`Step::Respond`] (an error, the JWKS, the
//!    metadata) or [`Step::LoadClient`].
//! 2. [`LoadClient::provide`] takes the client's `Users` items → [`Step::Respond`] or
//!    [`Step::Sign`].
//! 3. [`Sign::finish`] takes the signature → the final [`Response`].
//!
//! A failed backend call is reported with `fail` on the step instead, which yields a JSON 5xx.
//!
//! ```
//! use token_core::{AttributeValue, Config, Endpoint, Item, KeyInfo, Alg, Request, SignatureFormat, Step};
//! use p256::ecdsa::{signature::Signer, Signature, SigningKey};
//! use p256::pkcs8::EncodePublicKey;
//!
//! // Stand-ins for KMS and DynamoDB.
//! let kms_key = SigningKey::from_slice(&[7; 32]).unwrap();
//! let public_der = kms_key.verifying_key().to_public_key_der().unwrap();
//! let table = |client_id: &str| -> Vec<Item> {
//!     let item = [("Username", "admin"), ("Password", "admin")]
//!         .map(|(k, v)| (k.to_string(), AttributeValue::S(v.to_string())));
//!     if client_id == "admin" { vec![item.into_iter().collect()] } else { vec![] }
//! };
//!
//! let key = KeyInfo::from_kms("1234abcd-12ab-34cd-56ef-1234567890ab", public_der.as_bytes(), Alg::RS256).unwrap();
//! let endpoint = Endpoint::new(Config::new("https://auth.example.com"), key, vec![]).unwrap();
//!
//! let request = Request::new("POST", "/token")
//!     .header("Authorization", "Basic YWRtaW46YWRtaW4=") // admin:admin
//!     .header("Content-Type", "application/x-www-form-urlencoded")
//!     .body("grant_type=client_credentials&scope=public&=");
//!
//! let mut step = endpoint.handle(request, 1_700_000_000, [42; 16]);
//! let response = loop {
//!     step = match step {
//!         Step::LoadClient(load) => {
//!             let items = table(load.client_id());
//!             load.provide(&items)
//!         }
//!         Step::Sign(sign) => {
//!             let signature: Signature = kms_key.sign(sign.message());
//!             Step::Respond(sign.finish(signature.to_der().as_bytes(), SignatureFormat::Kms))
//!         }
//!         Step::Respond(response) => break response,
//!     };
//! };
//! assert_eq!(response.status, 200);
//! assert_eq!(response.outcome.label(), "issued");
//!
//! let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
//! let expected = token_core::Expected {
//!     issuer: "https://auth.example.com".into(),
//!     audience: "https://auth.example.com".into(),
//!     leeway: 0,
//! };
//! let claims = token_core::verify(body["access_token"].as_str().unwrap(), endpoint.jwks(), 1_700_000_001, &expected).unwrap();
//! assert_eq!(claims.client_id, "admin");
//! assert_eq!(claims.scope.as_deref(), Some("public"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod endpoint;
mod error;
pub mod gateway;
mod http;
mod key;
mod request;
mod settings;
pub mod telemetry;
mod token;
#[cfg(feature = "verify")]
mod verify;

pub use client::{
    hash_secret, AttributeValue, Item, MAX_PBKDF2_ROUNDS, PBKDF2_ROUNDS, RESERVED_CLAIMS,
};
pub use endpoint::{
    Config, ConfigError, Endpoint, LoadClient, Sign, Step, JWKS_PATH, METADATA_PATH, TOKEN_PATH,
};
pub use error::{Backend, BackendError, ErrorCode, Failure, OAuthError, TRANSIENT_AWS_ERRORS};
pub use http::{Outcome, Request, Response};
#[cfg(feature = "verify")]
pub use key::kms_signature;
pub use key::{Alg, Jwk, KeyError, KeyInfo, SignatureFormat};
pub use request::{MAX_AUDIENCES, MAX_BODY_BYTES, MAX_CLIENT_ID_BYTES, MAX_SECRET_BYTES};
pub use settings::{Settings, SettingsError};
pub use token::{AccessTokenClaims, Header};
#[cfg(feature = "verify")]
pub use verify::{verify, Expected, Jwks, VerifyError, MAX_TOKEN_BYTES};
