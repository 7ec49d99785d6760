//! Signing keys as KMS describes them, JWS algorithms, JWKs, and signature encodings.

use core::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
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

    pub(crate) fn is_rsa(self) -> bool {
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

/// An elliptic curve KMS signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Curve {
    /// The length of a coordinate or scalar, in bytes.
    pub(crate) fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }
}

/// The public numbers of a key, read from its DER without any arithmetic: all that signing
/// needs (the JWKS, the signature length). Verifying builds a checked key from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Material {
    /// Modulus and public exponent, big-endian, without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The affine coordinates of the public point, each `field_len` bytes.
    Ec {
        curve: Curve,
        x: Vec<u8>,
        y: Vec<u8>,
    },
}

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const SECP256R1: &str = "1.2.840.10045.3.1.7";
const SECP384R1: &str = "1.3.132.0.34";

/// The two INTEGERs of `SEQUENCE { INTEGER, INTEGER }` (an RSA public key, an ECDSA signature),
/// big-endian without leading zeros, and nothing after them.
pub(crate) fn der_integer_pair(der: &[u8]) -> Option<(&[u8], &[u8])> {
    use der::asn1::UintRef;
    use der::Reader;
    let mut reader = der::SliceReader::new(der).ok()?;
    let (a, b) = reader
        .sequence(|r| Ok::<_, der::Error>((r.decode::<UintRef>()?, r.decode::<UintRef>()?)))
        .ok()?;
    reader.finish().ok()?;
    Some((a.as_bytes(), b.as_bytes()))
}

impl Material {
    /// Reads a SubjectPublicKeyInfo (what KMS `GetPublicKey` returns).
    fn from_spki(der: &[u8]) -> Result<Material, KeyError> {
        use spki::der::asn1::ObjectIdentifier;
        let spki =
            spki::SubjectPublicKeyInfoRef::try_from(der).map_err(|_| KeyError::UnsupportedKey)?;
        let key = spki
            .subject_public_key
            .as_bytes()
            .ok_or(KeyError::UnsupportedKey)?;
        match spki.algorithm.oid.to_string().as_str() {
            RSA_ENCRYPTION => {
                let (n, e) = der_integer_pair(key).ok_or(KeyError::UnsupportedKey)?;
                if n.is_empty() || e.is_empty() || e.len() > 8 {
                    return Err(KeyError::UnsupportedKey);
                }
                Ok(Material::Rsa {
                    n: n.to_vec(),
                    e: e.to_vec(),
                })
            }
            EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .ok_or(KeyError::UnsupportedKey)?
                    .decode_as::<ObjectIdentifier>()
                    .map_err(|_| KeyError::UnsupportedKey)?;
                let curve = match curve.to_string().as_str() {
                    SECP256R1 => Curve::P256,
                    SECP384R1 => Curve::P384,
                    _ => return Err(KeyError::UnsupportedKey),
                };
                // KMS returns uncompressed points: 0x04 || x || y.
                let len = curve.field_len();
                match key.split_first() {
                    Some((4, xy)) if xy.len() == 2 * len => Ok(Material::Ec {
                        curve,
                        x: xy[..len].to_vec(),
                        y: xy[len..].to_vec(),
                    }),
                    _ => Err(KeyError::UnsupportedKey),
                }
            }
            _ => Err(KeyError::UnsupportedKey),
        }
    }

    /// The length of a JOSE signature for this key.
    fn signature_len(&self) -> usize {
        match self {
            Material::Rsa { n, .. } => n.len(),
            Material::Ec { curve, .. } => 2 * curve.field_len(),
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
            Material::Rsa { n, e } => {
                jwk.kty = "RSA".into();
                jwk.n = Some(B64URL.encode(n));
                jwk.e = Some(B64URL.encode(e));
            }
            Material::Ec { curve, x, y } => {
                jwk.kty = "EC".into();
                jwk.crv = Some(curve.name().into());
                jwk.x = Some(B64URL.encode(x));
                jwk.y = Some(B64URL.encode(y));
            }
        }
        jwk
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
#[cfg(feature = "verify")]
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
    material: Material,
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
        let material = Material::from_spki(public_key_der)?;
        let alg = match &material {
            Material::Rsa { n, .. } => {
                let bits = n.len() * 8 - n[0].leading_zeros() as usize;
                if bits < 2048 {
                    return Err(KeyError::WeakRsaKey { bits });
                }
                if !rsa_alg.is_rsa() {
                    return Err(KeyError::AlgorithmMismatch { requested: rsa_alg });
                }
                rsa_alg
            }
            Material::Ec {
                curve: Curve::P256, ..
            } => Alg::ES256,
            Material::Ec {
                curve: Curve::P384, ..
            } => Alg::ES384,
        };
        // Where the verifier is built in, the numbers must also make a valid key (the point on
        // its curve); signing alone needs only the numbers.
        #[cfg(feature = "verify")]
        if crate::verify::PublicKey::from_material(&material).is_none() {
            return Err(KeyError::UnsupportedKey);
        }
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
            material,
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
        self.material.jwk(&self.kid, self.alg)
    }

    #[cfg(feature = "verify")]
    pub(crate) fn material(&self) -> &Material {
        &self.material
    }

    /// Turns a signature from the signer into the JWS signature bytes, checking its shape (not
    /// its validity: that would cost an RSA operation per token).
    pub(crate) fn jose_signature(
        &self,
        signature: &[u8],
        format: SignatureFormat,
    ) -> Result<Vec<u8>, &'static str> {
        let jose = match (&self.material, format) {
            (Material::Rsa { .. }, _) | (_, SignatureFormat::Jose) => signature.to_vec(),
            // ECDSA-Sig-Value (RFC 3279): two INTEGERs, each left-padded to the field length.
            (Material::Ec { curve, .. }, SignatureFormat::Kms) => {
                let malformed = match curve {
                    Curve::P256 => "not a DER ECDSA P-256 signature",
                    Curve::P384 => "not a DER ECDSA P-384 signature",
                };
                let len = curve.field_len();
                let (r, s) = der_integer_pair(signature).ok_or(malformed)?;
                let zero = |v: &[u8]| v.iter().all(|b| *b == 0);
                if zero(r) || zero(s) || r.len() > len || s.len() > len {
                    return Err(malformed);
                }
                let mut jose = vec![0; 2 * len];
                jose[len - r.len()..len].copy_from_slice(r);
                jose[2 * len - s.len()..].copy_from_slice(s);
                jose
            }
        };
        if jose.len() != self.material.signature_len() {
            return Err("wrong length for the key");
        }
        Ok(jose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p384() -> KeyInfo {
        let der = include_bytes!("../tests/fixtures/p384.spki.der");
        KeyInfo::from_kms("k", der, Alg::RS256).unwrap()
    }

    /// DER `SEQUENCE { INTEGER r, INTEGER s }` from minimal big-endian magnitudes.
    fn der_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
        let int = |v: &[u8]| {
            let mut out = vec![2u8];
            let pad = v[0] & 0x80 != 0;
            out.push((v.len() + usize::from(pad)) as u8);
            if pad {
                out.push(0);
            }
            out.extend_from_slice(v);
            out
        };
        let body = [int(r), int(s)].concat();
        [vec![0x30, body.len() as u8], body].concat()
    }

    #[test]
    fn kms_ecdsa_signatures_are_left_padded_to_the_field_length() {
        let key = p384();
        let short_r = [0x11u8; 20];
        let high_s = [0xeeu8; 48]; // needs a sign byte in DER
        let jose = key
            .jose_signature(&der_signature(&short_r, &high_s), SignatureFormat::Kms)
            .unwrap();
        assert_eq!(jose.len(), 96);
        assert_eq!(&jose[..28], &[0u8; 28]);
        assert_eq!(&jose[28..48], &short_r);
        assert_eq!(&jose[48..], &high_s);
    }

    #[test]
    fn kms_ecdsa_signatures_that_cannot_be_ecdsa_are_refused() {
        let key = p384();
        let refused = |der: Vec<u8>| key.jose_signature(&der, SignatureFormat::Kms).is_err();
        assert!(refused(der_signature(&[0], &[1])), "r = 0");
        assert!(refused(der_signature(&[1], &[0])), "s = 0");
        assert!(
            refused(der_signature(&[1; 49], &[1])),
            "r longer than the field"
        );
        let mut trailing = der_signature(&[1], &[1]);
        trailing.push(0);
        assert!(refused(trailing), "bytes after the sequence");
        assert!(refused(vec![0x30, 0x00]), "an empty sequence");
    }

    #[test]
    fn rsa_key_size_is_counted_in_bits_of_the_modulus() {
        let der = include_bytes!("../tests/fixtures/rsa1024.spki.der");
        assert_eq!(
            KeyInfo::from_kms("k", der, Alg::RS256),
            Err(KeyError::WeakRsaKey { bits: 1024 })
        );
        let der = include_bytes!("../tests/fixtures/k256.spki.der");
        assert_eq!(
            KeyInfo::from_kms("k", der, Alg::RS256),
            Err(KeyError::UnsupportedKey),
            "secp256k1 is not a curve KMS signs JWTs with here"
        );
    }
}
