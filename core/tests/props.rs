//! Property tests: whatever arrives, core answers with an RFC error or a token, never a panic.

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use token_core::{verify, AttributeValue, Expected, Item, Request, SignatureFormat, Step};

use common::*;

fn attribute() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        ".{0,12}".prop_map(AttributeValue::S),
        prop_oneof![
            Just("600".to_string()),
            Just("-1".to_string()),
            Just("1e400".to_string()),
            "[0-9.]{0,8}"
        ]
        .prop_map(AttributeValue::N),
        any::<bool>().prop_map(AttributeValue::BOOL),
        any::<bool>().prop_map(AttributeValue::NULL),
        prop::collection::vec("[a-z]{1,5}", 0..4).prop_map(AttributeValue::SS),
        "[A-Za-z0-9+/]{0,8}".prop_map(AttributeValue::B),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4).prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    let name = prop_oneof![
        Just("Username".to_string()),
        Just("Password".to_string()),
        Just("Scopes".to_string()),
        Just("Audiences".to_string()),
        Just("TokenTtl".to_string()),
        Just("Disabled".to_string()),
        Just("Claims".to_string()),
        "[A-Za-z]{1,6}",
    ];
    (
        prop::collection::btree_map(name, attribute(), 0..6),
        prop::option::of(prop_oneof![
            Just("pw".to_string()),
            Just("$pbkdf2-sha256$i=1000$c2FsdA$AAAA".to_string()),
            ".{0,6}"
        ]),
    )
        .prop_map(|(mut item, password)| {
            if let Some(p) = password {
                item.insert("Password".into(), AttributeValue::S(p));
            }
            item
        })
}

fn form_body() -> impl Strategy<Value = Vec<u8>> {
    let pair = prop_oneof![
        Just("grant_type=client_credentials".to_string()),
        Just("client_id=c".to_string()),
        Just("client_secret=pw".to_string()),
        Just("scope=a+b".to_string()),
        "scope=[ -~]{0,10}",
        "resource=[ -~]{0,16}",
        "audience=[ -~]{0,10}",
        "[a-z_]{0,8}=[ -~%]{0,8}",
        Just("=".to_string()),
    ];
    prop_oneof![
        prop::collection::vec(pair, 0..7).prop_map(|p| p.join("&").into_bytes()),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    let method = prop_oneof![
        Just("POST".to_string()),
        Just("GET".to_string()),
        Just("HEAD".to_string()),
        "[A-Z]{0,7}"
    ];
    let path = prop_oneof![
        Just("/token".to_string()),
        Just("/.well-known/jwks.json".to_string()),
        Just("/.well-known/oauth-authorization-server".to_string()),
        ".{0,12}"
    ];
    let header = prop_oneof![
        Just((
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string()
        )),
        Just(("Authorization".to_string(), "Basic Yzpwdw==".to_string())),
        "Basic [A-Za-z0-9+/=:%]{0,16}".prop_map(|v| ("authorization".to_string(), v)),
        ("[A-Za-z-]{1,12}", "[ -~]{0,16}"),
    ];
    (
        method,
        path,
        prop::collection::vec(header, 0..4),
        form_body(),
    )
        .prop_map(|(method, path, headers, body)| Request {
            method,
            path,
            headers,
            body,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_input_gets_an_rfc_error_or_a_token(
        request in request(),
        items in prop::collection::vec(item(), 0..3),
        real_signature in any::<bool>(),
        junk_signature in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let signer = TestSigner::p256();
        let endpoint = endpoint(&signer);
        let clients = BTreeMap::from([("c".to_string(), items)]);
        let mut step = endpoint.handle(request, NOW, [3; 16]);
        let response = loop {
            step = match step {
                Step::LoadClient(load) => {
                    let items = clients.get(load.client_id()).cloned().unwrap_or_default();
                    load.provide(&items)
                }
                Step::Sign(sign) => {
                    let signature = if real_signature { signer.sign_kms(sign.message()) } else { junk_signature.clone() };
                    Step::Respond(sign.finish(&signature, SignatureFormat::Kms))
                }
                Step::Respond(response) => break response,
            };
        };
        prop_assert!([200, 400, 401, 404, 405, 413, 500].contains(&response.status), "status {}", response.status);
        let body: serde_json::Value = if response.body.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(&response.body).expect("JSON body")
        };
        let is_token = body.get("access_token").is_some();
        let is_error = body.get("error").is_some();
        prop_assert!(!(is_token && is_error));
        prop_assert_eq!(response.status >= 400, is_error);
        prop_assert_eq!(response.status >= 500, response.outcome.label() == "failed");
        if is_token && real_signature {
            let expected = Expected { issuer: ISSUER.into(), audience: body_aud(&body), leeway: 0 };
            prop_assert!(verify(body["access_token"].as_str().unwrap(), endpoint.jwks(), NOW, &expected).is_ok());
        }
    }
}

/// The first audience of an issued token, read without verification (the test then verifies).
fn body_aud(body: &serde_json::Value) -> String {
    use base64::Engine;
    let token = body["access_token"].as_str().unwrap();
    let claims = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    match &claims["aud"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a[0].as_str().unwrap().to_string(),
        other => panic!("aud {other}"),
    }
}
