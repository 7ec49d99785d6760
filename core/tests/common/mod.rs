//! Helpers shared by the integration tests: a driver loop over in-memory records and a signer.
#![allow(dead_code)]

use std::collections::BTreeMap;

use p256::ecdsa::signature::Signer;
use p256::pkcs8::{DecodePrivateKey, EncodePublicKey};
use token_core::{Alg, Config, Endpoint, Item, KeyInfo, Request, Response, SignatureFormat, Step};

pub const NOW: u64 = 1_700_000_000;
pub const ISSUER: &str = "https://auth.example.com";
pub const AUDIENCE: &str = "https://api.example.com";

/// A signer standing in for KMS: it signs and returns signatures in KMS's encoding.
pub enum TestSigner {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Rs256(rsa::pkcs1v15::SigningKey<sha2::Sha256>),
    Ps256(rsa::pss::SigningKey<sha2::Sha256>),
}

pub fn rsa_private() -> rsa::PrivateKey {
    rsa::PrivateKey::from_pkcs8_der(include_bytes!("../fixtures/rsa2048.pk8.der")).unwrap()
}

impl TestSigner {
    pub fn p256() -> TestSigner {
        TestSigner::P256(p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap())
    }
    pub fn p384() -> TestSigner {
        TestSigner::P384(
            p384::ecdsa::SigningKey::from_pkcs8_der(include_bytes!("../fixtures/p384.pk8.der"))
                .unwrap(),
        )
    }
    pub fn rs256() -> TestSigner {
        TestSigner::Rs256(rsa::pkcs1v15::SigningKey::new(rsa_private()))
    }
    pub fn ps256() -> TestSigner {
        TestSigner::Ps256(rsa::pss::SigningKey::new(rsa_private()))
    }

    pub fn public_der(&self) -> Vec<u8> {
        match self {
            TestSigner::P256(k) => k.verifying_key().to_public_key_der().unwrap().into_vec(),
            TestSigner::P384(k) => k.verifying_key().to_public_key_der().unwrap().into_vec(),
            TestSigner::Rs256(_) | TestSigner::Ps256(_) => {
                include_bytes!("../fixtures/rsa2048.spki.der").to_vec()
            }
        }
    }

    pub fn rsa_alg(&self) -> Alg {
        match self {
            TestSigner::Ps256(_) => Alg::PS256,
            _ => Alg::RS256,
        }
    }

    pub fn key_info(&self, key_id: &str) -> KeyInfo {
        KeyInfo::from_kms(key_id, &self.public_der(), self.rsa_alg()).unwrap()
    }

    /// Signs like KMS: ECDSA in DER.
    pub fn sign_kms(&self, message: &[u8]) -> Vec<u8> {
        match self {
            TestSigner::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign(message);
                s.to_der().as_bytes().to_vec()
            }
            TestSigner::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign(message);
                s.to_der().as_bytes().to_vec()
            }
            TestSigner::Rs256(k) => {
                let s: rsa::pkcs1v15::Signature = k.sign(message);
                Box::<[u8]>::from(s).into_vec()
            }
            TestSigner::Ps256(k) => {
                let s: rsa::pss::Signature = k.sign(message);
                Box::<[u8]>::from(s).into_vec()
            }
        }
    }
}

pub fn config() -> Config {
    let mut config = Config::new(ISSUER);
    config.default_audience = AUDIENCE.to_string();
    config
}

pub fn endpoint(signer: &TestSigner) -> Endpoint {
    Endpoint::new(config(), signer.key_info("key-1"), vec![]).unwrap()
}

/// Drives one request through every step, recording the calls the driver was asked to make.
pub fn drive(
    endpoint: &Endpoint,
    signer: &TestSigner,
    clients: &BTreeMap<String, Vec<Item>>,
    request: Request,
    now: u64,
    token_id: [u8; 16],
) -> (Response, Vec<String>) {
    let mut calls = Vec::new();
    let mut step = endpoint.handle(request, now, token_id);
    let response = loop {
        step = match step {
            Step::LoadClient(load) => {
                calls.push(format!("load:{}", load.client_id()));
                let items = clients.get(load.client_id()).cloned().unwrap_or_default();
                load.provide(&items)
            }
            Step::Sign(sign) => {
                calls.push("sign".to_string());
                let signature = signer.sign_kms(sign.message());
                Step::Respond(sign.finish(&signature, SignatureFormat::Kms))
            }
            Step::Respond(response) => break response,
        };
    };
    (response, calls)
}

pub fn form_post(body: &str) -> Request {
    Request::new("POST", "/token")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
}

pub fn json(response: &Response) -> serde_json::Value {
    serde_json::from_str(&response.body).expect("every response body is JSON")
}
