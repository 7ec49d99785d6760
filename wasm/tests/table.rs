//! The core's behaviour table, driven through the JavaScript-facing bindings (run with
//! `wasm-pack test --node`): the same cases and checks as the native driver.
#![cfg(target_arch = "wasm32")]

#[path = "../../core/tests/conformance/mod.rs"]
mod conformance;

use conformance::{Answer, CaseRequest, Driver, Table};
use p256::ecdsa::signature::Signer;
use p256::pkcs8::EncodePublicKey;
use serde_json::Value;
use token_wasm::{verify_token, Settings, TokenEndpoint};
use wasm_bindgen_test::wasm_bindgen_test;

struct Bindings {
    key: p256::ecdsa::SigningKey,
    endpoint: TokenEndpoint,
}

impl Driver for Bindings {
    fn run(&mut self, table: &Table, request: &CaseRequest) -> Answer {
        let headers = serde_json::to_string(&request.headers).unwrap();
        let mut exchange = self
            .endpoint
            .handle(
                &request.method,
                &request.path,
                &headers,
                &request.body(),
                table.now as f64,
                &[table.token_id_byte; 16],
            )
            .unwrap();
        let mut calls = Vec::new();
        loop {
            match exchange.kind().as_str() {
                "load_client" => {
                    let id = exchange.client_id().unwrap();
                    calls.push(format!("load:{id}"));
                    let items = table.clients.get(&id).cloned().unwrap_or_default();
                    exchange
                        .provide(&serde_json::to_string(&items).unwrap())
                        .unwrap();
                }
                "sign" => {
                    calls.push("sign".to_string());
                    assert_eq!(exchange.algorithm().as_deref(), Some("ECDSA_SHA_256"));
                    let signature: p256::ecdsa::Signature =
                        self.key.sign(&exchange.message().unwrap());
                    exchange
                        .finish(signature.to_der().as_bytes(), "kms")
                        .unwrap();
                }
                _ => break,
            }
        }
        let response: Value = serde_json::from_str(&exchange.response().unwrap()).unwrap();
        assert_eq!(exchange.log_lines(1.0, 0.0).len(), 2);
        Answer {
            status: response["status"].as_u64().unwrap() as u16,
            headers: serde_json::from_value(response["headers"].clone()).unwrap(),
            body: response["body"].as_str().unwrap().to_string(),
            calls,
            outcome: response["outcome"].as_str().unwrap().to_string(),
        }
    }

    fn verify(&mut self, table: &Table, token: &str, audience: &str) -> Result<Value, String> {
        let result: Value = serde_json::from_str(&verify_token(
            token,
            &self.endpoint.jwks(),
            table.now as f64,
            &table.issuer,
            audience,
            0.0,
        ))
        .unwrap();
        match result["ok"].as_bool() {
            Some(true) => Ok(result["claims"].clone()),
            _ => Err(result["error"].to_string()),
        }
    }
}

#[wasm_bindgen_test]
fn behaviour_table_through_the_bindings() {
    let table = conformance::load();
    let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    let der = key.verifying_key().to_public_key_der().unwrap();
    use base64::Engine;
    let keys = serde_json::json!([{
        "keyId": "key-1",
        "publicKey": base64::engine::general_purpose::STANDARD.encode(der.as_bytes()),
    }]);
    let env = serde_json::json!({ "TOKEN_ISSUER": table.issuer, "TOKEN_AUDIENCE": table.default_audience });
    let settings = Settings::from_env(&env.to_string(), true).unwrap();
    let endpoint = TokenEndpoint::new(&settings, &keys.to_string()).unwrap();
    assert_eq!(conformance::run_all(&mut Bindings { key, endpoint }), 73);
}

#[wasm_bindgen_test]
fn settings_follow_the_native_rules() {
    assert!(
        Settings::from_env("{}", true).is_err(),
        "TOKEN_ISSUER is required under Lambda"
    );
    let local = Settings::from_env(r#"{"TOKEN_BIND":"127.0.0.1:9100"}"#, false).unwrap();
    assert_eq!(local.issuer(), "http://127.0.0.1:9100");
    assert_eq!(
        (local.table(), local.key_id()),
        ("Users".to_string(), "alias/signing-key".to_string())
    );
    assert_eq!(local.sdk_timeout_ms(), 3000.0);
    assert_eq!(
        token_wasm::classify_aws_error(Some("ThrottlingException".into())),
        "unavailable"
    );
    assert_eq!(
        token_wasm::classify_aws_error(Some("DisabledException".into())),
        "refused"
    );
    assert_eq!(token_wasm::classify_aws_error(None), "unavailable");
}
