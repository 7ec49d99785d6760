//! Signing keys, signature encodings, golden bytes and the verifier, with real test signers.

mod common;

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use token_core::*;

use common::*;

fn seed_request() -> Request {
    form_post("grant_type=client_credentials&scope=public&=")
        .header("Authorization", "Basic YWRtaW46YWRtaW4=")
}

fn admin_table() -> BTreeMap<String, Vec<Item>> {
    let item: Item = [("Username", "admin"), ("Password", "admin")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), AttributeValue::S(v.to_string())))
        .collect();
    BTreeMap::from([("admin".to_string(), vec![item])])
}

fn expected() -> Expected {
    Expected {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        leeway: 0,
    }
}

fn issue(signer: &TestSigner, endpoint: &Endpoint) -> String {
    let (response, _) = drive(
        endpoint,
        signer,
        &admin_table(),
        seed_request(),
        NOW,
        [1; 16],
    );
    assert_eq!(response.status, 200, "{}", response.body);
    json(&response)["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// PKCS#1 v1.5 signatures are deterministic, so the whole RS256 exchange has golden bytes. The
/// golden files were written independently of this crate: the JSON by Python's `json.dumps`,
/// the signature by `openssl dgst -sha256 -sign` with the fixture key.
#[test]
fn rs256_golden_token_and_body() {
    let signer = TestSigner::rs256();
    let endpoint = endpoint(&signer);
    let mut step = endpoint.handle(seed_request(), NOW, [1; 16]);
    let Step::LoadClient(load) = step else {
        panic!("expected LoadClient")
    };
    assert_eq!(load.client_id(), "admin");
    step = load.provide(&admin_table()["admin"]);
    let Step::Sign(sign) = step else {
        panic!("expected Sign")
    };
    assert_eq!(sign.key_id(), "key-1");
    assert_eq!(sign.algorithm(), "RSASSA_PKCS1_V1_5_SHA_256");
    assert_eq!(
        std::str::from_utf8(sign.message()).unwrap(),
        include_str!("fixtures/golden_rs256_signing_input.txt").trim_end()
    );
    let signature = signer.sign_kms(sign.message());
    let response = sign.finish(&signature, SignatureFormat::Kms);
    assert_eq!(
        response.body,
        include_str!("fixtures/golden_rs256_body.json").trim_end()
    );
    assert_eq!(
        response.headers,
        vec![
            ("content-type", "application/json;charset=UTF-8".to_string()),
            ("cache-control", "no-store".to_string()),
            ("pragma", "no-cache".to_string()),
        ]
    );
    assert_eq!(
        response.outcome,
        Outcome::Issued {
            client_id: "admin".into()
        }
    );
}

#[test]
fn header_names_alg_kid_and_type() {
    let signer = TestSigner::p256();
    let token = issue(&signer, &endpoint(&signer));
    let header: Header =
        serde_json::from_slice(&B64URL.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header.alg, "ES256");
    assert_eq!(header.kid.as_deref(), Some("key-1"));
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
}

#[test]
fn every_supported_key_round_trips_through_kms_encoding_and_jwks_json() {
    for (signer, alg, kms, sig_len) in [
        (
            TestSigner::rs256(),
            "RS256",
            "RSASSA_PKCS1_V1_5_SHA_256",
            256,
        ),
        (TestSigner::ps256(), "PS256", "RSASSA_PSS_SHA_256", 256),
        (TestSigner::p256(), "ES256", "ECDSA_SHA_256", 64),
        (TestSigner::p384(), "ES384", "ECDSA_SHA_384", 96),
    ] {
        let endpoint = endpoint(&signer);
        assert_eq!(endpoint.signing_key().alg().as_str(), alg);
        assert_eq!(endpoint.signing_key().alg().kms_name(), kms);
        let token = issue(&signer, &endpoint);
        let signature = B64URL.decode(token.rsplit('.').next().unwrap()).unwrap();
        assert_eq!(signature.len(), sig_len, "{alg}: JOSE signature length");
        // A resource server only has the published JWKS document.
        let jwks = Jwks::from_json(endpoint.jwks_json()).unwrap();
        let claims =
            verify(&token, &jwks, NOW + 1, &expected()).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(claims.subject, "admin");
    }
}

#[test]
fn jose_encoded_ecdsa_signatures_are_accepted_as_is() {
    use p256::ecdsa::signature::Signer;
    let signer = TestSigner::p256();
    let TestSigner::P256(key) = &signer else {
        unreachable!()
    };
    let endpoint = endpoint(&signer);
    let Step::LoadClient(load) = endpoint.handle(seed_request(), NOW, [1; 16]) else {
        panic!()
    };
    let Step::Sign(sign) = load.provide(&admin_table()["admin"]) else {
        panic!()
    };
    let raw: p256::ecdsa::Signature = key.sign(sign.message());
    let response = sign.finish(&raw.to_bytes(), SignatureFormat::Jose);
    let token = json(&response)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    verify(&token, endpoint.jwks(), NOW, &expected()).unwrap();
}

fn sign_step(endpoint: &Endpoint) -> Sign {
    let Step::LoadClient(load) = endpoint.handle(seed_request(), NOW, [1; 16]) else {
        panic!()
    };
    let Step::Sign(sign) = load.provide(&admin_table()["admin"]) else {
        panic!()
    };
    sign
}

#[test]
fn signatures_that_do_not_fit_the_key_give_a_500_and_no_token() {
    let rsa = endpoint(&TestSigner::rs256());
    let ec = endpoint(&TestSigner::p256());
    let p384_der = TestSigner::p384().sign_kms(b"x");
    for (endpoint, signature, format) in [
        (&rsa, vec![1u8; 255], SignatureFormat::Kms),
        (&rsa, vec![], SignatureFormat::Kms),
        (&ec, vec![0x30, 0x02, 0x01], SignatureFormat::Kms),
        (&ec, p384_der, SignatureFormat::Kms),
        (&ec, vec![1u8; 63], SignatureFormat::Jose),
    ] {
        let response = sign_step(endpoint).finish(&signature, format);
        assert_eq!(response.status, 500);
        let body = json(&response);
        assert_eq!(body["error"], "server_error");
        assert!(body.get("access_token").is_none());
        assert!(matches!(
            response.outcome,
            Outcome::Failed {
                failure: Failure::BadSignature { .. },
                ..
            }
        ));
    }
}

#[test]
fn backend_failures_become_json_5xx_without_details() {
    let endpoint = endpoint(&TestSigner::p256());
    let load = || match endpoint.handle(seed_request(), NOW, [1; 16]) {
        Step::LoadClient(load) => load,
        _ => panic!(),
    };
    let cases = [
        (
            load().fail(BackendError::Unavailable),
            503,
            "temporarily_unavailable",
            Backend::ClientStore,
        ),
        (
            load().fail(BackendError::Refused),
            500,
            "server_error",
            Backend::ClientStore,
        ),
        (
            sign_step(&endpoint).fail(BackendError::Unavailable),
            503,
            "temporarily_unavailable",
            Backend::Signer,
        ),
        (
            sign_step(&endpoint).fail(BackendError::Refused),
            500,
            "server_error",
            Backend::Signer,
        ),
    ];
    for (response, status, code, backend) in cases {
        assert_eq!(response.status, status);
        let body = json(&response);
        assert_eq!(body["error"], code);
        assert!(
            !response.body.contains(backend.as_str()),
            "no internals in the body"
        );
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.header("retry-after").is_some(), status == 503);
        assert_eq!(
            response.outcome,
            Outcome::Failed {
                failure: Failure::Backend {
                    backend,
                    error: if status == 503 {
                        BackendError::Unavailable
                    } else {
                        BackendError::Refused
                    }
                },
                client_id: Some("admin".into()),
            }
        );
    }
}

#[test]
fn unusable_keys_are_refused_at_start() {
    let rsa = include_bytes!("fixtures/rsa2048.spki.der");
    assert_eq!(
        KeyInfo::from_kms("k", include_bytes!("fixtures/rsa1024.spki.der"), Alg::RS256),
        Err(KeyError::WeakRsaKey { bits: 1024 })
    );
    assert_eq!(
        KeyInfo::from_kms("k", include_bytes!("fixtures/k256.spki.der"), Alg::RS256),
        Err(KeyError::UnsupportedKey)
    );
    assert_eq!(
        KeyInfo::from_kms("k", b"not der", Alg::RS256),
        Err(KeyError::UnsupportedKey)
    );
    assert_eq!(
        KeyInfo::from_kms("k", rsa, Alg::ES256),
        Err(KeyError::AlgorithmMismatch {
            requested: Alg::ES256
        })
    );
    assert_eq!(
        KeyInfo::from_kms("", rsa, Alg::RS256),
        Err(KeyError::MissingKeyId)
    );
    // For EC keys the curve decides and the RSA preference is irrelevant.
    let p384 =
        KeyInfo::from_kms("k", include_bytes!("fixtures/p384.spki.der"), Alg::PS512).unwrap();
    assert_eq!(p384.alg(), Alg::ES384);
}

#[test]
fn kid_is_the_bare_key_id_while_sign_uses_what_kms_returned() {
    let arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let key =
        KeyInfo::from_kms(arn, include_bytes!("fixtures/rsa2048.spki.der"), Alg::RS256).unwrap();
    assert_eq!(key.kid(), "1234abcd-12ab-34cd-56ef-1234567890ab");
    assert_eq!(key.key_id(), arn);
    let endpoint = Endpoint::new(config(), key, vec![]).unwrap();
    assert_eq!(sign_step(&endpoint).key_id(), arn);
}

#[test]
fn jwks_lists_previous_keys_so_old_tokens_keep_verifying() {
    let old_signer = TestSigner::p256();
    let new_signer = TestSigner::rs256();
    let old = Endpoint::new(config(), old_signer.key_info("old-key"), vec![]).unwrap();
    let old_token = issue(&old_signer, &old);
    let new = Endpoint::new(
        config(),
        new_signer.key_info("new-key"),
        vec![
            old_signer.key_info("old-key"),
            new_signer.key_info("new-key"),
        ],
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(new.jwks_json()).unwrap();
    let kids: Vec<&str> = doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids,
        ["new-key", "old-key"],
        "current key first, duplicates dropped"
    );
    assert_eq!(doc["keys"][0]["kty"], "RSA");
    assert_eq!(doc["keys"][0]["e"], "AQAB");
    assert_eq!(doc["keys"][0]["use"], "sig");
    assert_eq!(doc["keys"][1]["crv"], "P-256");
    let jwks = Jwks::from_json(new.jwks_json()).unwrap();
    verify(&old_token, &jwks, NOW, &expected()).unwrap();
    verify(&issue(&new_signer, &new), &jwks, NOW, &expected()).unwrap();
}

#[test]
fn metadata_and_head() {
    let endpoint = endpoint(&TestSigner::p256());
    let Step::Respond(head) = endpoint.handle(Request::new("HEAD", JWKS_PATH), NOW, [0; 16]) else {
        panic!()
    };
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    let mut config = config();
    config.scopes_supported = vec!["read".into()];
    let endpoint = Endpoint::new(config, TestSigner::p256().key_info("k"), vec![]).unwrap();
    let Step::Respond(meta) = endpoint.handle(Request::new("GET", METADATA_PATH), NOW, [0; 16])
    else {
        panic!()
    };
    assert_eq!(json(&meta)["scopes_supported"], serde_json::json!(["read"]));
    assert_eq!(meta.outcome, Outcome::Served);
}

#[test]
fn configuration_is_checked() {
    let key = || TestSigner::p256().key_info("k");
    let mut c = config();
    c.default_ttl = 0;
    assert_eq!(
        Endpoint::new(c, key(), vec![]).err(),
        Some(ConfigError::InvalidTtl)
    );
    let mut c = config();
    c.default_ttl = c.max_ttl + 1;
    assert_eq!(
        Endpoint::new(c, key(), vec![]).err(),
        Some(ConfigError::InvalidTtl)
    );
    assert_eq!(
        Endpoint::new(Config::new(""), key(), vec![]).err(),
        Some(ConfigError::EmptyIssuer)
    );
    assert_eq!(
        Config::new("https://a.example/").issuer,
        "https://a.example"
    );
}

#[test]
fn hash_secret_produces_what_the_endpoint_accepts() {
    let hash = hash_secret("generated-secret", &[9; 16]);
    assert!(hash.starts_with("$pbkdf2-sha256$i=1000,l=32$"), "{hash}");
    assert_ne!(
        hash,
        hash_secret("generated-secret", &[8; 16]),
        "salt matters"
    );
    let item: Item = [("Username", "svc"), ("Password", hash.as_str())]
        .into_iter()
        .map(|(k, v)| (k.to_string(), AttributeValue::S(v.to_string())))
        .collect();
    let clients = BTreeMap::from([("svc".to_string(), vec![item])]);
    let signer = TestSigner::p256();
    let endpoint = endpoint(&signer);
    for (secret, status) in [("generated-secret", 200), ("generated-secreT", 401)] {
        let request = form_post(&format!(
            "grant_type=client_credentials&client_id=svc&client_secret={secret}"
        ));
        let (response, _) = drive(&endpoint, &signer, &clients, request, NOW, [0; 16]);
        assert_eq!(response.status, status);
    }
}

mod verifier {
    use super::*;

    fn parts(token: &str) -> (serde_json::Value, serde_json::Value) {
        let mut it = token.split('.');
        let mut next =
            || serde_json::from_slice(&B64URL.decode(it.next().unwrap()).unwrap()).unwrap();
        (next(), next())
    }

    /// Re-signs modified header and claims with the test key, as an issuer would.
    fn forge(
        signer: &TestSigner,
        header: &serde_json::Value,
        claims: &serde_json::Value,
    ) -> String {
        let input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let TestSigner::P256(key) = signer else {
            unreachable!()
        };
        use p256::ecdsa::signature::Signer;
        let sig: p256::ecdsa::Signature = key.sign(input.as_bytes());
        format!("{input}.{}", B64URL.encode(sig.to_bytes()))
    }

    #[test]
    fn each_check_says_what_it_expected_and_found() {
        let signer = TestSigner::p256();
        let endpoint = endpoint(&signer);
        let jwks = endpoint.jwks();
        let token = issue(&signer, &endpoint);
        let (header, claims) = parts(&token);
        let ok = |t: &str, now| verify(t, jwks, now, &expected());

        assert!(ok(&token, NOW).is_ok());
        assert_eq!(
            ok(&token, NOW + 3600),
            Err(VerifyError::Expired {
                expires_at: NOW + 3600,
                now: NOW + 3600
            })
        );
        assert!(verify(
            &token,
            jwks,
            NOW + 3600,
            &Expected {
                leeway: 5,
                ..expected()
            }
        )
        .is_ok());
        assert_eq!(
            ok(&token, NOW - 10),
            Err(VerifyError::IssuedInFuture {
                issued_at: NOW,
                now: NOW - 10
            })
        );

        let wrong_iss = verify(
            &token,
            jwks,
            NOW,
            &Expected {
                issuer: "https://other".into(),
                ..expected()
            },
        );
        assert_eq!(
            wrong_iss,
            Err(VerifyError::WrongIssuer {
                expected: "https://other".into(),
                found: ISSUER.into()
            })
        );
        let wrong_aud = verify(
            &token,
            jwks,
            NOW,
            &Expected {
                audience: "urn:x".into(),
                ..expected()
            },
        )
        .unwrap_err();
        assert_eq!(
            wrong_aud.to_string(),
            r#"aud: expected "urn:x" among ["https://api.example.com"]"#
        );

        let mut tampered = claims.clone();
        tampered["sub"] = "root".into();
        let (h, _, s) = {
            let mut it = token.split('.');
            (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
        };
        let forged = format!("{h}.{}.{s}", B64URL.encode(tampered.to_string()));
        assert_eq!(ok(&forged, NOW), Err(VerifyError::BadSignature));

        let mut h2 = header.clone();
        h2["kid"] = "nope".into();
        assert_eq!(
            ok(&forge(&signer, &h2, &claims), NOW),
            Err(VerifyError::UnknownKey { kid: "nope".into() })
        );
        let mut h3 = header.clone();
        h3["typ"] = "JWT".into();
        assert_eq!(
            ok(&forge(&signer, &h3, &claims), NOW),
            Err(VerifyError::WrongType {
                found: Some("JWT".into())
            })
        );
        let mut h4 = header.clone();
        h4["alg"] = "none".into();
        assert_eq!(
            ok(&forge(&signer, &h4, &claims), NOW),
            Err(VerifyError::UnsupportedAlgorithm {
                found: "none".into()
            })
        );
        let mut h5 = header.clone();
        h5["alg"] = "HS256".into();
        assert!(matches!(
            ok(&forge(&signer, &h5, &claims), NOW),
            Err(VerifyError::UnsupportedAlgorithm { .. })
        ));
        let mut h6 = header.clone();
        h6["alg"] = "ES384".into();
        assert_eq!(
            ok(&forge(&signer, &h6, &claims), NOW),
            Err(VerifyError::AlgorithmMismatch {
                expected: "ES256".into(),
                found: "ES384".into()
            })
        );
        let mut c2 = claims.clone();
        c2.as_object_mut().unwrap().remove("client_id");
        assert!(matches!(
            ok(&forge(&signer, &header, &c2), NOW),
            Err(VerifyError::Malformed(_))
        ));
        // A correctly re-signed token verifies, so the rejections above are the checks at work.
        assert!(ok(&forge(&signer, &header, &claims), NOW).is_ok());

        for garbage in [
            "",
            "a.b",
            "a.b.c.d",
            "!.!.!",
            &"x".repeat(MAX_TOKEN_BYTES + 1),
        ] {
            assert!(
                matches!(ok(garbage, NOW), Err(VerifyError::Malformed(_))),
                "{garbage:.20}"
            );
        }
        assert_eq!(Jwks::from_json("[]"), Err(VerifyError::BadJwks));
        assert!(Jwks::from_json(r#"{"keys":[{"kty":"oct","k":"AA"}]}"#)
            .unwrap()
            .is_empty());
    }
}

#[test]
fn kms_signature_turns_jose_ecdsa_back_into_der() {
    for signer in [TestSigner::p256(), TestSigner::p384(), TestSigner::rs256()] {
        let alg = signer.key_info("k").alg();
        let key = signer.key_info("k");
        let endpoint = Endpoint::new(config(), key, vec![]).unwrap();
        let sign = sign_step(&endpoint);
        let message = sign.message().to_vec();
        let kms = signer.sign_kms(&message);
        let token = json(&sign.finish(&kms, SignatureFormat::Kms))["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let jose = B64URL.decode(token.rsplit('.').next().unwrap()).unwrap();
        assert_eq!(kms_signature(alg, &jose), Some(kms), "{alg}");
    }
    assert_eq!(kms_signature(Alg::ES256, &[0; 10]), None);
}
