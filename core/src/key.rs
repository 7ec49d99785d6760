//! Signing keys as KMS describes them, JWS algorithms, JWKs, and signature encodings.

use core::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use p256::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};

/// A JWS algorithm (RFC 7518 §3.1) this endpoint can sign with through KMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
}

impl Alg {
    /// The JOSE name, e.g. `RS256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
        }
    }

    /// Reads a JOSE name.
    pub fn from_name(name: &str) -> Option<Alg> {
        [
            Alg::RS256,
            Alg::RS384,
            Alg::RS512,
            Alg::PS256,
            Alg::PS384,
            Alg::PS512,
            Alg::ES256,
            Alg::ES384,
        ]
        .into_iter()
        .find(|a| a.as_str() == name)
    }

    /// The KMS `SigningAlgorithm` that produces this JWS algorithm's signature over the raw
    /// message (`MessageType = RAW`).
    pub fn kms_name(self) -> &'static str {
        match self {
            Alg::RS256 => "RSASSA_PKCS1_V1_5_SHA_256",
            Alg::RS384 => "RSASSA_PKCS1_V1_5_SHA_384",
            Alg::RS512 => "RSASSA_PKCS1_V1_5_SHA_512",
            Alg::PS256 => "RSASSA_PSS_SHA_256",
            Alg::PS384 => "RSASSA_PSS_SHA_384",
            Alg::PS512 => "RSASSA_PSS_SHA_512",
            Alg::ES256 => "ECDSA_SHA_256",
            Alg::ES384 => "ECDSA_SHA_384",
        }
    }

    fn is_rsa(self) -> bool {
        !matches!(self, Alg::ES256 | Alg::ES384)
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The DER is not an RSA, P-256 or P-384 SubjectPublicKeyInfo.
    UnsupportedKey,
    /// The RSA modulus is shorter than 2048 bits.
    WeakRsaKey {
        /// The modulus length in bits.
        bits: usize,
    },
    /// The requested algorithm does not fit the key.
    AlgorithmMismatch {
        /// The algorithm asked for.
        requested: Alg,
    },
    /// The key id is empty.
    MissingKeyId,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::UnsupportedKey => f.write_str("the public key is not RSA, P-256 or P-384"),
            KeyError::WeakRsaKey { bits } => write!(f, "the RSA key has {bits} bits, 2048 needed"),
            KeyError::AlgorithmMismatch { requested } => {
                write!(f, "{requested} cannot be used with this key")
            }
            KeyError::MissingKeyId => f.write_str("the key id is empty"),
        }
    }
}

impl std::error::Error for KeyError {}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PublicKey {
    Rsa(rsa::PublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl PublicKey {
    fn from_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        if let Ok(key) = rsa::PublicKey::from_public_key_der(der) {
            Ok(PublicKey::Rsa(key))
        } else if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            Ok(PublicKey::P256(key))
        } else if let Ok(key) = p384::ecdsa::VerifyingKey::from_public_key_der(der) {
            Ok(PublicKey::P384(key))
        } else {
            Err(KeyError::UnsupportedKey)
        }
    }

    pub(crate) fn fits(&self, alg: Alg) -> bool {
        match self {
            PublicKey::Rsa(_) => alg.is_rsa(),
            PublicKey::P256(_) => alg == Alg::ES256,
            PublicKey::P384(_) => alg == Alg::ES384,
        }
    }

    /// The length of a JOSE signature for this key.
    fn signature_len(&self) -> usize {
        match self {
            PublicKey::Rsa(key) => key.size(),
            PublicKey::P256(_) => 64,
            PublicKey::P384(_) => 96,
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

    fn jwk(&self, kid: &str, alg: Alg) -> Jwk {
        let mut jwk = Jwk {
            kty: String::new(),
            kid: kid.to_string(),
            alg: alg.as_str().to_string(),
            key_use: Some("sig".into()),
            n: None,
            e: None,
            crv: None,
            x: None,
            y: None,
        };
        match self {
            PublicKey::Rsa(key) => {
                jwk.kty = "RSA".into();
                jwk.n = Some(B64URL.encode(key.n_bytes()));
                jwk.e = Some(B64URL.encode(key.e_bytes()));
            }
            PublicKey::P256(key) => {
                let point = key.to_sec1_point(false);
                let (x, y) = point.as_bytes()[1..].split_at(32);
                jwk.kty = "EC".into();
                jwk.crv = Some("P-256".into());
                jwk.x = Some(B64URL.encode(x));
                jwk.y = Some(B64URL.encode(y));
            }
            PublicKey::P384(key) => {
                let point = key.to_sec1_point(false);
                let (x, y) = point.as_bytes()[1..].split_at(48);
                jwk.kty = "EC".into();
                jwk.crv = Some("P-384".into());
                jwk.x = Some(B64URL.encode(x));
                jwk.y = Some(B64URL.encode(y));
            }
        }
        jwk
    }

    pub(crate) fn from_jwk(jwk: &Jwk) -> Option<PublicKey> {
        let decode = |v: &Option<String>| v.as_deref().and_then(|s| B64URL.decode(s).ok());
        match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("RSA", _) => {
                let n = decode(&jwk.n)?;
                let e = decode(&jwk.e)?;
                if n.len() > 1024 || e.len() > 8 {
                    return None;
                }
                let n = rsa::BoxedUint::from_be_slice_vartime(&n);
                let e = rsa::BoxedUint::from_be_slice_vartime(&e);
                rsa::PublicKey::new(n, e).ok().map(PublicKey::Rsa)
            }
            ("EC", Some(crv)) => {
                let mut point = vec![4u8];
                point.extend(decode(&jwk.x)?);
                point.extend(decode(&jwk.y)?);
                match crv {
                    "P-256" => p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .ok()
                        .map(PublicKey::P256),
                    "P-384" => p384::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .ok()
                        .map(PublicKey::P384),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// A JSON Web Key (RFC 7517 §4, RFC 7518 §6) for a public signing key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA` or `EC`.
    pub kty: String,
    /// Key id: the KMS key id.
    #[serde(default)]
    pub kid: String,
    /// The one algorithm this key is used with.
    #[serde(default)]
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// Converts a JWS signature into the encoding KMS `Verify` expects: DER for ECDSA, unchanged for
/// RSA. `None` if it is not a signature of the algorithm's shape.
pub fn kms_signature(alg: Alg, jose: &[u8]) -> Option<Vec<u8>> {
    match alg {
        Alg::ES256 => p256::ecdsa::Signature::from_slice(jose)
            .ok()
            .map(|s| s.to_der().as_bytes().to_vec()),
        Alg::ES384 => p384::ecdsa::Signature::from_slice(jose)
            .ok()
            .map(|s| s.to_der().as_bytes().to_vec()),
        _ => Some(jose.to_vec()),
    }
}

/// How a signature handed to [`Sign::finish`](crate::Sign::finish) is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureFormat {
    /// As KMS `Sign` returns it: ECDSA signatures DER-encoded (RFC 3279), RSA as is.
    Kms,
    /// As JWS and WebCrypto use it: ECDSA as fixed-width `r || s`, RSA as is.
    Jose,
}

/// A KMS key as `GetPublicKey` describes it, with the JWS algorithm chosen for it.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyInfo {
    key_id: String,
    kid: String,
    alg: Alg,
    public: PublicKey,
}

impl KeyInfo {
    /// Describes a key from `GetPublicKey`'s `KeyId` (a key id or key ARN) and `PublicKey`
    /// (SubjectPublicKeyInfo DER). The type of key is read from the DER itself, so a missing
    /// `KeySpec` does not matter. RSA keys sign with `rsa_alg` (RS256 unless asked otherwise);
    /// P-256 keys with ES256 and P-384 keys with ES384.
    pub fn from_kms(
        key_id: &str,
        public_key_der: &[u8],
        rsa_alg: Alg,
    ) -> Result<KeyInfo, KeyError> {
        if key_id.is_empty() {
            return Err(KeyError::MissingKeyId);
        }
        let public = PublicKey::from_der(public_key_der)?;
        let alg = match &public {
            PublicKey::Rsa(key) => {
                let bits = key.size() * 8;
                if bits < 2048 {
                    return Err(KeyError::WeakRsaKey { bits });
                }
                if !rsa_alg.is_rsa() {
                    return Err(KeyError::AlgorithmMismatch { requested: rsa_alg });
                }
                rsa_alg
            }
            PublicKey::P256(_) => Alg::ES256,
            PublicKey::P384(_) => Alg::ES384,
        };
        // The `kid` is the bare key id: KMS `Verify` accepts it as `KeyId`, and unlike the ARN
        // it does not publish the account id in every token.
        let kid = match key_id.rsplit_once(":key/") {
            Some((_, id)) => id,
            None => key_id,
        };
        Ok(KeyInfo {
            key_id: key_id.to_string(),
            kid: kid.to_string(),
            alg,
            public,
        })
    }

    /// The key id to pass to KMS `Sign`, as `GetPublicKey` returned it.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The JWS `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWS algorithm.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Jwk {
        self.public.jwk(&self.kid, self.alg)
    }

    pub(crate) fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Turns a signature from the signer into the JWS signature bytes, checking its shape (not
    /// its validity: that would cost an RSA operation per token).
    pub(crate) fn jose_signature(
        &self,
        signature: &[u8],
        format: SignatureFormat,
    ) -> Result<Vec<u8>, &'static str> {
        let jose = match (&self.public, format) {
            (PublicKey::Rsa(_), _) | (_, SignatureFormat::Jose) => signature.to_vec(),
            (PublicKey::P256(_), SignatureFormat::Kms) => {
                p256::ecdsa::Signature::from_der(signature)
                    .map_err(|_| "not a DER ECDSA P-256 signature")?
                    .to_bytes()
                    .to_vec()
            }
            (PublicKey::P384(_), SignatureFormat::Kms) => {
                p384::ecdsa::Signature::from_der(signature)
                    .map_err(|_| "not a DER ECDSA P-384 signature")?
                    .to_bytes()
                    .to_vec()
            }
        };
        if jose.len() != self.public.signature_len() {
            return Err("wrong length for the key");
        }
        Ok(jose)
    }
}
