//! Runs the shared behaviour table (`fixtures/cases.json`) through the driver loop.

mod common;

use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;
use serde_json::Value;
use token_core::{verify, Expected, Item, Request};

use common::*;

#[derive(Deserialize)]
struct Table {
    now: u64,
    token_id_byte: u8,
    issuer: String,
    default_audience: String,
    clients: BTreeMap<String, Vec<Item>>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    request: CaseRequest,
    expect: Expectation,
}

#[derive(Deserialize)]
struct CaseRequest {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    body_base64: Option<String>,
}

#[derive(Deserialize)]
struct Expectation {
    status: u16,
    error: Option<String>,
    steps: Option<Vec<String>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: serde_json::Map<String, Value>,
    #[serde(default)]
    claims: serde_json::Map<String, Value>,
    audience: Option<String>,
}

/// `null` means absent; `"$present"` means present with any value.
fn check_members(
    case: &str,
    what: &str,
    actual: &Value,
    expected: &serde_json::Map<String, Value>,
) {
    for (name, want) in expected {
        let got = actual.get(name);
        match want {
            Value::Null => assert!(
                got.is_none(),
                "{case}: {what}.{name} should be absent, got {got:?}"
            ),
            Value::String(s) if s == "$present" => {
                assert!(got.is_some(), "{case}: {what}.{name} should be present")
            }
            want => assert_eq!(got, Some(want), "{case}: {what}.{name}"),
        }
    }
}

#[test]
fn behaviour_table() {
    let table: Table =
        serde_json::from_str(include_str!("fixtures/cases.json")).expect("cases.json parses");
    assert_eq!(table.issuer, ISSUER);
    assert_eq!(table.default_audience, AUDIENCE);
    let signer = TestSigner::p256();
    let endpoint = endpoint(&signer);
    for case in &table.cases {
        let body = match &case.request.body_base64 {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
            None => case.request.body.clone().into_bytes(),
        };
        let request = Request {
            method: case.request.method.clone(),
            path: case.request.path.clone(),
            headers: case.request.headers.clone(),
            body,
        };
        let (response, calls) = drive(
            &endpoint,
            &signer,
            &table.clients,
            request,
            table.now,
            [table.token_id_byte; 16],
        );
        let name = &case.name;
        let want = &case.expect;
        let body = json(&response);
        assert_eq!(response.status, want.status, "{name}: status; body {body}");
        if let Some(steps) = &want.steps {
            assert_eq!(&calls, steps, "{name}: driver calls");
        }
        for (header, value) in &want.headers {
            assert_eq!(
                response.header(header),
                Some(value.as_str()),
                "{name}: header {header}"
            );
        }
        match &want.error {
            Some(code) => {
                assert_eq!(body["error"], code.as_str(), "{name}: error code");
                assert_eq!(
                    response.outcome.error_code().map(|c| c.as_str()),
                    Some(code.as_str())
                );
                let description = body["error_description"].as_str().unwrap_or_default();
                assert!(
                    !description.is_empty()
                        && description
                            .bytes()
                            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
                    "{name}: error_description must be RFC 6749 text: {description:?}"
                );
                assert!(
                    body.get("access_token").is_none(),
                    "{name}: no token with an error"
                );
                assert_eq!(response.header("cache-control"), Some("no-store"), "{name}");
            }
            None => assert!(
                body.get("error").is_none(),
                "{name}: unexpected error {body}"
            ),
        }
        check_members(name, "body", &body, &want.body);
        if let Some(token) = body.get("access_token").and_then(Value::as_str) {
            let expected = Expected {
                issuer: table.issuer.clone(),
                audience: want
                    .audience
                    .clone()
                    .unwrap_or_else(|| table.default_audience.clone()),
                leeway: 0,
            };
            let claims = verify(token, endpoint.jwks(), table.now, &expected)
                .unwrap_or_else(|e| panic!("{name}: issued token does not verify: {e}"));
            assert_eq!(response.outcome.label(), "issued", "{name}");
            assert_eq!(body["token_type"], "Bearer", "{name}");
            assert_eq!(
                body["expires_in"],
                claims.expires_at - claims.issued_at,
                "{name}"
            );
            check_members(
                name,
                "claims",
                &serde_json::to_value(&claims).unwrap(),
                &want.claims,
            );
        } else {
            assert!(want.claims.is_empty(), "{name}: expected a token");
        }
    }
}
