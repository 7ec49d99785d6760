//! Core-only costs: one full issuance through all steps with a precomputed signature, and one
//! verification. No I/O is involved; KMS and DynamoDB time is not part of these figures.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::Signer;
use token_core::*;

fn item(password: &str) -> Item {
    [("Username", "admin"), ("Password", password)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), AttributeValue::S(v.to_string())))
        .collect()
}

fn run(endpoint: &Endpoint, items: &[Item], signature: &[u8], secret: &str) -> Response {
    let request = Request::new("POST", "/token")
        .header("Authorization", format!("Basic {secret}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=public&=");
    let mut step = endpoint.handle(request, 1_700_000_000, [7; 16]);
    loop {
        step = match step {
            Step::LoadClient(load) => load.provide(items),
            Step::Sign(sign) => Step::Respond(sign.finish(signature, SignatureFormat::Kms)),
            Step::Respond(response) => return response,
        }
    }
}

fn benches(c: &mut Criterion) {
    let private =
        rsa::PrivateKey::from_pkcs8_der(include_bytes!("../tests/fixtures/rsa2048.pk8.der"))
            .unwrap();
    let key = KeyInfo::from_kms(
        "bench-key",
        include_bytes!("../tests/fixtures/rsa2048.spki.der"),
        Alg::RS256,
    )
    .unwrap();
    let endpoint = Endpoint::new(Config::new("https://auth.example.com"), key, vec![]).unwrap();
    let signature = vec![0x5a; 256];
    let plain = [item("admin")];
    let hashed = [item(&hash_secret("admin", &[1; 16]))];
    // "admin:admin"
    let basic = "YWRtaW46YWRtaW4=";
    assert_eq!(run(&endpoint, &plain, &signature, basic).status, 200);
    assert_eq!(run(&endpoint, &hashed, &signature, basic).status, 200);

    c.bench_function("issue/plain-secret", |b| {
        b.iter(|| run(black_box(&endpoint), black_box(&plain), &signature, basic))
    });
    c.bench_function("issue/pbkdf2-secret", |b| {
        b.iter(|| run(black_box(&endpoint), black_box(&hashed), &signature, basic))
    });

    // A real RS256 token for the verifier.
    let signer = SigningKey::<sha2::Sha256>::new(private);
    let request = Request::new("POST", "/token")
        .header("Authorization", format!("Basic {basic}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials");
    let Step::LoadClient(load) = endpoint.handle(request, 1_700_000_000, [7; 16]) else {
        panic!()
    };
    let Step::Sign(sign) = load.provide(&plain) else {
        panic!()
    };
    let sig: rsa::pkcs1v15::Signature = signer.sign(sign.message());
    let response = sign.finish(&Box::<[u8]>::from(sig), SignatureFormat::Kms);
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    let token = body["access_token"].as_str().unwrap().to_string();
    let expected = Expected {
        issuer: "https://auth.example.com".into(),
        audience: "https://auth.example.com".into(),
        leeway: 0,
    };
    assert!(verify(&token, endpoint.jwks(), 1_700_000_001, &expected).is_ok());
    c.bench_function("verify/rs256", |b| {
        b.iter(|| verify(black_box(&token), endpoint.jwks(), 1_700_000_001, &expected))
    });
}

criterion_group!(core_benches, benches);
criterion_main!(core_benches);
