//! The behaviour table runner, shared by every driver of token-core: the native loop here, and
//! the wasm bindings (`wasm/tests`, which include this file by path). A driver turns one case's
//! request into an HTTP answer; the checks are the same for all.
#![allow(dead_code)]

use std::collections::BTreeMap;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

/// The fixture file.
pub const CASES_JSON: &str = include_str!("../fixtures/cases.json");

#[derive(Deserialize)]
pub struct Table {
    pub now: u64,
    pub token_id_byte: u8,
    pub issuer: String,
    pub default_audience: String,
    /// DynamoDB JSON items by Username.
    pub clients: BTreeMap<String, Vec<Value>>,
    pub cases: Vec<Case>,
}

#[derive(Deserialize)]
pub struct Case {
    pub name: String,
    pub request: CaseRequest,
    pub expect: Expectation,
}

#[derive(Deserialize)]
pub struct CaseRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    body: String,
    body_base64: Option<String>,
}

impl CaseRequest {
    pub fn body(&self) -> Vec<u8> {
        match &self.body_base64 {
            Some(b64) => STANDARD.decode(b64).unwrap(),
            None => self.body.clone().into_bytes(),
        }
    }
}

#[derive(Deserialize)]
pub struct Expectation {
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

/// What a driver reports for one case.
pub struct Answer {
    pub status: u16,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// `load:<client id>` and `sign`, in the order the driver was asked.
    pub calls: Vec<String>,
    /// The outcome label core reported (`issued`, `refused`, ...).
    pub outcome: String,
}

pub trait Driver {
    /// Runs one request at `now` with `token_id`, answering LoadClient from `clients`.
    fn run(&mut self, table: &Table, request: &CaseRequest) -> Answer;
    /// Verifies a token issued in this table's run: Ok(claims as JSON) or the verifier's error.
    fn verify(&mut self, table: &Table, token: &str, audience: &str) -> Result<Value, String>;
}

pub fn load() -> Table {
    serde_json::from_str(CASES_JSON).expect("cases.json parses")
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

/// Runs every case through `driver` and checks it. Returns the number of cases run.
pub fn run_all(driver: &mut dyn Driver) -> usize {
    let table = load();
    for case in &table.cases {
        let name = &case.name;
        let want = &case.expect;
        let answer = driver.run(&table, &case.request);
        let body: Value = serde_json::from_str(&answer.body).expect("every response body is JSON");
        assert_eq!(answer.status, want.status, "{name}: status; body {body}");
        if let Some(steps) = &want.steps {
            assert_eq!(&answer.calls, steps, "{name}: driver calls");
        }
        for (header, value) in &want.headers {
            assert_eq!(
                answer.headers.get(header),
                Some(value),
                "{name}: header {header}"
            );
        }
        match &want.error {
            Some(code) => {
                assert_eq!(body["error"], code.as_str(), "{name}: error code");
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
                assert_eq!(
                    answer.headers.get("cache-control").map(String::as_str),
                    Some("no-store"),
                    "{name}"
                );
            }
            None => assert!(
                body.get("error").is_none(),
                "{name}: unexpected error {body}"
            ),
        }
        check_members(name, "body", &body, &want.body);
        if let Some(token) = body.get("access_token").and_then(Value::as_str) {
            let audience = want.audience.as_deref().unwrap_or(&table.default_audience);
            let claims = driver
                .verify(&table, token, audience)
                .unwrap_or_else(|e| panic!("{name}: issued token does not verify: {e}"));
            assert_eq!(answer.outcome, "issued", "{name}");
            assert_eq!(body["token_type"], "Bearer", "{name}");
            assert_eq!(
                body["expires_in"].as_u64(),
                Some(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap()),
                "{name}"
            );
            let header: Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(token.split('.').next().unwrap())
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(header["typ"], "at+jwt", "{name}");
            check_members(name, "claims", &claims, &want.claims);
        } else {
            assert!(want.claims.is_empty(), "{name}: expected a token");
        }
    }
    table.cases.len()
}
