//! Verifying access tokens offline against a JWKS, as a resource server would.

use core::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use serde::Deserialize;

use crate::key::{Alg, Curve, Jwk, KeyInfo, Material};
use crate::token::{AccessTokenClaims, Header};

/// The longest token [`verify`] reads, in bytes.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Public keys by `kid`, from a JWKS document or from [`KeyInfo`]s.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Jwks {
    keys: Vec<(String, Option<Alg>, PublicKey)>,
}

impl Jwks {
    /// Reads a JWKS document (RFC 7517 §5). Keys of other types, or that do not parse, are
    /// skipped, as RFC 7517 §5 asks.
    pub fn from_json(json: &str) -> Result<Jwks, VerifyError> {
        #[derive(Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        let doc: Doc = serde_json::from_str(json).map_err(|_| VerifyError::BadJwks)?;
        let keys = doc
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter(|jwk| jwk.key_use.as_deref().is_none_or(|u| u == "sig"))
            .filter_map(|jwk| {
                let key = PublicKey::from_jwk(&jwk)?;
                let alg = match jwk.alg.as_str() {
                    "" => None,
                    name => Some(Alg::from_name(name)?),
                };
                Some((jwk.kid, alg, key))
            })
            .collect();
        Ok(Jwks { keys })
    }

    /// The keys of an endpoint (a key whose numbers do not make a valid key is left out).
    pub fn from_keys(keys: &[KeyInfo]) -> Jwks {
        Jwks {
            keys: keys
                .iter()
                .filter_map(|k| {
                    let key = PublicKey::from_material(k.material())?;
                    Some((k.kid().to_string(), Some(k.alg()), key))
                })
                .collect(),
        }
    }

    /// How many usable keys it holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// What a resource server expects of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The issuer identifier, exactly.
    pub issuer: String,
    /// One audience the token must name.
    pub audience: String,
    /// Clock skew tolerated, in seconds.
    pub leeway: u64,
}

/// Why a token was not accepted. Mismatches say what was expected and what came.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The JWKS document is not JSON with a `keys` array.
    BadJwks,
    /// The token is not three base64url parts with JSON header and claims.
    Malformed(&'static str),
    /// `typ` is not `at+jwt` (RFC 9068 §4).
    WrongType {
        /// The `typ` found.
        found: Option<String>,
    },
    /// `alg` is unknown or `none`.
    UnsupportedAlgorithm {
        /// The `alg` found.
        found: String,
    },
    /// No key in the JWKS has this `kid`.
    UnknownKey {
        /// The `kid` found (empty if none).
        kid: String,
    },
    /// The header's `alg` is not the key's.
    AlgorithmMismatch {
        /// The key's algorithm.
        expected: String,
        /// The header's.
        found: String,
    },
    /// The signature does not verify.
    BadSignature,
    /// `exp` has passed.
    Expired {
        /// The token's `exp`.
        expires_at: u64,
        /// The verifier's time.
        now: u64,
    },
    /// `iat` is in the future.
    IssuedInFuture {
        /// The token's `iat`.
        issued_at: u64,
        /// The verifier's time.
        now: u64,
    },
    /// `iss` differs.
    WrongIssuer {
        /// Expected issuer.
        expected: String,
        /// The token's.
        found: String,
    },
    /// `aud` does not contain the expected audience.
    WrongAudience {
        /// Expected audience.
        expected: String,
        /// The token's.
        found: Vec<String>,
    },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::BadJwks => f.write_str("the JWKS is not a JSON object with a keys array"),
            VerifyError::Malformed(what) => write!(f, "malformed token: {what}"),
            VerifyError::WrongType { found } => {
                write!(f, "typ: expected at+jwt, found {found:?}")
            }
            VerifyError::UnsupportedAlgorithm { found } => write!(f, "unsupported alg {found:?}"),
            VerifyError::UnknownKey { kid } => write!(f, "no key with kid {kid:?} in the JWKS"),
            VerifyError::AlgorithmMismatch { expected, found } => {
                write!(f, "alg: the key uses {expected}, the token says {found}")
            }
            VerifyError::BadSignature => f.write_str("the signature does not verify"),
            VerifyError::Expired { expires_at, now } => {
                write!(f, "expired: exp {expires_at} is not after now {now}")
            }
            VerifyError::IssuedInFuture { issued_at, now } => {
                write!(f, "iat {issued_at} is in the future (now {now})")
            }
            VerifyError::WrongIssuer { expected, found } => {
                write!(f, "iss: expected {expected:?}, found {found:?}")
            }
            VerifyError::WrongAudience { expected, found } => {
                write!(f, "aud: expected {expected:?} among {found:?}")
            }
        }
    }
}

impl std::error::Error for VerifyError {}

/// Verifies an access token: signature against the JWKS, `typ`, `exp`, `iat`, `iss` and `aud`.
/// `now` is the verifier's time in seconds since the Unix epoch.
pub fn verify(
    token: &str,
    jwks: &Jwks,
    now: u64,
    expected: &Expected,
) -> Result<AccessTokenClaims, VerifyError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VerifyError::Malformed("too long"));
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed("not three dot-separated parts"));
    };
    let decode = |part: &str, what| {
        B64URL
            .decode(part)
            .map_err(|_| VerifyError::Malformed(what))
    };
    let header: Header = serde_json::from_slice(&decode(header_b64, "header is not base64url")?)
        .map_err(|_| VerifyError::Malformed("header is not a JSON object with alg"))?;
    let typ_ok = header.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
    });
    if !typ_ok {
        return Err(VerifyError::WrongType { found: header.typ });
    }
    let alg = Alg::from_name(&header.alg).ok_or_else(|| VerifyError::UnsupportedAlgorithm {
        found: header.alg.clone(),
    })?;
    let kid = header.kid.unwrap_or_default();
    let (_, key_alg, key) = jwks
        .keys
        .iter()
        .find(|(k, _, _)| *k == kid)
        .ok_or_else(|| VerifyError::UnknownKey { kid: kid.clone() })?;
    match key_alg {
        Some(key_alg) if *key_alg != alg => {
            return Err(VerifyError::AlgorithmMismatch {
                expected: key_alg.to_string(),
                found: alg.to_string(),
            })
        }
        None if !key.fits(alg) => {
            return Err(VerifyError::AlgorithmMismatch {
                expected: "an algorithm for this key type".into(),
                found: alg.to_string(),
            })
        }
        _ => {}
    }
    let signature = decode(signature_b64, "signature is not base64url")?;
    let signed = &token[..header_b64.len() + 1 + claims_b64.len()];
    if !key.verify(alg, signed.as_bytes(), &signature) {
        return Err(VerifyError::BadSignature);
    }
    let claims: AccessTokenClaims =
        serde_json::from_slice(&decode(claims_b64, "claims are not base64url")?)
            .map_err(|_| VerifyError::Malformed("claims lack a required RFC 9068 claim"))?;
    if claims.expires_at.saturating_add(expected.leeway) <= now {
        return Err(VerifyError::Expired {
            expires_at: claims.expires_at,
            now,
        });
    }
    if claims.issued_at > now.saturating_add(expected.leeway) {
        return Err(VerifyError::IssuedInFuture {
            issued_at: claims.issued_at,
            now,
        });
    }
    if claims.issuer != expected.issuer {
        return Err(VerifyError::WrongIssuer {
            expected: expected.issuer.clone(),
            found: claims.issuer,
        });
    }
    if !claims.audience.contains(&expected.audience) {
        return Err(VerifyError::WrongAudience {
            expected: expected.audience.clone(),
            found: claims.audience,
        });
    }
    Ok(claims)
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PublicKey {
    Rsa(rsa::PublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// A checked key from the numbers of a [`KeyInfo`]: the RSA key must be well-formed and the
    /// EC point on its curve.
    pub(crate) fn from_material(material: &Material) -> Option<PublicKey> {
        match material {
            Material::Rsa { n, e } => {
                let n = rsa::BoxedUint::from_be_slice_vartime(n);
                let e = rsa::BoxedUint::from_be_slice_vartime(e);
                rsa::PublicKey::new(n, e).ok().map(PublicKey::Rsa)
            }
            Material::Ec { curve, x, y } => {
                let point = [&[4u8][..], x, y].concat();
                match curve {
                    Curve::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .ok()
                        .map(PublicKey::P256),
                    Curve::P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .ok()
                        .map(PublicKey::P384),
                }
            }
        }
    }

    pub(crate) fn fits(&self, alg: Alg) -> bool {
        match self {
            PublicKey::Rsa(_) => alg.is_rsa(),
            PublicKey::P256(_) => alg == Alg::ES256,
            PublicKey::P384(_) => alg == Alg::ES384,
        }
    }

    /// Checks a JOSE signature.
    pub(crate) fn verify(&self, alg: Alg, message: &[u8], signature: &[u8]) -> bool {
        use rsa::signature::Verifier;
        use sha2::{Sha256, Sha384, Sha512};
        fn check<K: Verifier<S>, S: for<'a> TryFrom<&'a [u8]>>(
            key: &K,
            message: &[u8],
            signature: &[u8],
        ) -> bool {
            S::try_from(signature).is_ok_and(|s| key.verify(message, &s).is_ok())
        }
        use rsa::{pkcs1v15, pss};
        match (self, alg) {
            (PublicKey::Rsa(k), Alg::RS256) => {
                check::<pkcs1v15::VerifyingKey<Sha256>, pkcs1v15::Signature>(
                    &pkcs1v15::VerifyingKey::new(k.clone()),
                    message,
                    signature,
                )
            }
            (PublicKey::Rsa(k), Alg::RS384) => {
                check::<pkcs1v15::VerifyingKey<Sha384>, pkcs1v15::Signature>(
                    &pkcs1v15::VerifyingKey::new(k.clone()),
                    message,
                    signature,
                )
            }
            (PublicKey::Rsa(k), Alg::RS512) => {
                check::<pkcs1v15::VerifyingKey<Sha512>, pkcs1v15::Signature>(
                    &pkcs1v15::VerifyingKey::new(k.clone()),
                    message,
                    signature,
                )
            }
            (PublicKey::Rsa(k), Alg::PS256) => check::<pss::VerifyingKey<Sha256>, pss::Signature>(
                &pss::VerifyingKey::new(k.clone()),
                message,
                signature,
            ),
            (PublicKey::Rsa(k), Alg::PS384) => check::<pss::VerifyingKey<Sha384>, pss::Signature>(
                &pss::VerifyingKey::new(k.clone()),
                message,
                signature,
            ),
            (PublicKey::Rsa(k), Alg::PS512) => check::<pss::VerifyingKey<Sha512>, pss::Signature>(
                &pss::VerifyingKey::new(k.clone()),
                message,
                signature,
            ),
            (PublicKey::P256(k), Alg::ES256) => {
                check::<_, p256::ecdsa::Signature>(k, message, signature)
            }
            (PublicKey::P384(k), Alg::ES384) => {
                check::<_, p384::ecdsa::Signature>(k, message, signature)
            }
            _ => false,
        }
    }

    pub(crate) fn from_jwk(jwk: &Jwk) -> Option<PublicKey> {
        let decode = |v: &Option<String>| v.as_deref().and_then(|s| B64URL.decode(s).ok());
        let material = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("RSA", _) => {
                let (n, e) = (decode(&jwk.n)?, decode(&jwk.e)?);
                if n.len() > 1024 || e.len() > 8 {
                    return None;
                }
                Material::Rsa { n, e }
            }
            ("EC", Some(crv)) => {
                let curve = match crv {
                    "P-256" => Curve::P256,
                    "P-384" => Curve::P384,
                    _ => return None,
                };
                let (x, y) = (decode(&jwk.x)?, decode(&jwk.y)?);
                if x.len() != curve.field_len() || y.len() != curve.field_len() {
                    return None;
                }
                Material::Ec { curve, x, y }
            }
            _ => return None,
        };
        PublicKey::from_material(&material)
    }
}
