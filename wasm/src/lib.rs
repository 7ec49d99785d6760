//! JavaScript bindings of `token-core`: the same decisions as the native shell, for the Node.js
//! Lambda handler (`wasm/node/index.js`) and the browser page (`wasm/www`). JavaScript only does
//! I/O: it hands over events, items and signatures and sends what comes back.
//!
//! Shapes are JS-friendly: JSON text for structured data, `Uint8Array` for bytes, plain strings
//! for step kinds. Calling a method in the wrong state throws ("driver misuse"); OAuth errors are
//! never thrown, they are responses.

#![forbid(unsafe_code)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Deserialize;
use token_core::{
    gateway, telemetry, BackendError, Endpoint, Item, KeyInfo, Request, Response, SignatureFormat,
    Step,
};
#[cfg(feature = "verify")]
use token_core::{Expected, Jwks};
use wasm_bindgen::prelude::*;

fn misuse(what: &str) -> JsError {
    JsError::new(&format!("driver misuse: {what}"))
}

/// The shell settings, read from an environment object exactly as the native shell reads its
/// environment (same variables, same defaults).
#[wasm_bindgen]
pub struct Settings(token_core::Settings);

#[wasm_bindgen]
impl Settings {
    /// `env_json`: `JSON.stringify(process.env)`. Under Lambda `TOKEN_ISSUER` is required.
    #[wasm_bindgen(js_name = fromEnv)]
    pub fn from_env(env_json: &str, in_lambda: bool) -> Result<Settings, JsError> {
        let env: std::collections::HashMap<String, String> = serde_json::from_str(env_json)
            .map_err(|e| misuse(&format!("env is not a JSON object: {e}")))?;
        token_core::Settings::for_runtime(|name| env.get(name).cloned(), in_lambda)
            .map(Settings)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// `TOKEN_TABLE`.
    #[wasm_bindgen(getter)]
    pub fn table(&self) -> String {
        self.0.table.clone()
    }

    /// `TOKEN_KEY_ID`.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.0.key_id.clone()
    }

    /// `TOKEN_PREVIOUS_KEY_IDS`.
    #[wasm_bindgen(getter, js_name = previousKeyIds)]
    pub fn previous_key_ids(&self) -> Vec<String> {
        self.0.previous_key_ids.clone()
    }

    /// `TOKEN_SDK_TIMEOUT_MS`.
    #[wasm_bindgen(getter, js_name = sdkTimeoutMs)]
    pub fn sdk_timeout_ms(&self) -> f64 {
        self.0.sdk_timeout.as_millis() as f64
    }

    /// `TOKEN_SDK_CONNECT_TIMEOUT_MS`.
    #[wasm_bindgen(getter, js_name = connectTimeoutMs)]
    pub fn connect_timeout_ms(&self) -> f64 {
        self.0.connect_timeout.as_millis() as f64
    }

    /// `TOKEN_ISSUER` (or its default).
    #[wasm_bindgen(getter)]
    pub fn issuer(&self) -> String {
        self.0.core.issuer.clone()
    }

    /// `TOKEN_AUDIENCE` (or its default).
    #[wasm_bindgen(getter)]
    pub fn audience(&self) -> String {
        self.0.core.default_audience.clone()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyJson {
    key_id: String,
    /// SubjectPublicKeyInfo DER, base64.
    public_key: String,
}

/// Classifies an AWS error: `"unavailable"` or `"refused"`. `code` is the error's name; pass
/// `undefined` for transport failures (no answer, timeout).
#[wasm_bindgen(js_name = classifyAwsError)]
pub fn classify_aws_error(code: Option<String>) -> String {
    match code.map(|c| BackendError::from_aws_code(&c)) {
        Some(BackendError::Refused) => "refused",
        _ => "unavailable",
    }
    .into()
}

/// The answer for a request that arrives while the signing key could not be loaded.
#[wasm_bindgen(js_name = signerUnavailable)]
pub fn signer_unavailable(kind: &str) -> Result<Exchange, JsError> {
    let error = backend_error(kind)?;
    Ok(Exchange::done(Response::backend_failed(
        token_core::Backend::Signer,
        error,
    )))
}

fn backend_error(kind: &str) -> Result<BackendError, JsError> {
    match kind {
        "unavailable" => Ok(BackendError::Unavailable),
        "refused" => Ok(BackendError::Refused),
        other => Err(misuse(&format!("unknown failure kind {other:?}"))),
    }
}

/// The endpoint, built once from the settings and the keys' `GetPublicKey` results.
#[wasm_bindgen]
pub struct TokenEndpoint(Endpoint);

#[wasm_bindgen]
impl TokenEndpoint {
    /// `keys_json`: `[{"keyId": ..., "publicKey": base64 DER}, ...]`, the signing key first,
    /// then the previous keys.
    #[wasm_bindgen(constructor)]
    pub fn new(settings: &Settings, keys_json: &str) -> Result<TokenEndpoint, JsError> {
        let keys: Vec<KeyJson> =
            serde_json::from_str(keys_json).map_err(|e| misuse(&format!("keys: {e}")))?;
        let mut infos = Vec::new();
        for key in keys {
            let der = B64
                .decode(&key.public_key)
                .map_err(|_| misuse("publicKey is not base64"))?;
            infos.push(
                KeyInfo::from_kms(&key.key_id, &der, settings.0.rsa_alg)
                    .map_err(|e| JsError::new(&format!("key {}: {e}", key.key_id)))?,
            );
        }
        if infos.is_empty() {
            return Err(misuse("no signing key"));
        }
        let current = infos.remove(0);
        Endpoint::new(settings.0.core.clone(), current, infos)
            .map(TokenEndpoint)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Starts on an API Gateway proxy event (`JSON.stringify(event)`).
    #[wasm_bindgen(js_name = handleEvent)]
    pub fn handle_event(
        &self,
        event_json: &str,
        now: f64,
        token_id: &[u8],
    ) -> Result<Exchange, JsError> {
        match gateway::request_from_event(event_json) {
            Ok(request) => self.start(request, now, token_id),
            Err(response) => Ok(Exchange::done(response)),
        }
    }

    /// Starts on a plain request: `headers_json` is `[[name, value], ...]`.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        headers_json: &str,
        body: &[u8],
        now: f64,
        token_id: &[u8],
    ) -> Result<Exchange, JsError> {
        let headers: Vec<(String, String)> =
            serde_json::from_str(headers_json).map_err(|e| misuse(&format!("headers: {e}")))?;
        let request = Request {
            method: method.into(),
            path: path.into(),
            headers,
            body: body.to_vec(),
        };
        self.start(request, now, token_id)
    }

    fn start(&self, request: Request, now: f64, token_id: &[u8]) -> Result<Exchange, JsError> {
        let token_id: [u8; 16] = token_id
            .try_into()
            .map_err(|_| misuse("the token id must be 16 random bytes"))?;
        if !(now.is_finite() && now >= 0.0) {
            return Err(misuse("now must be seconds since the Unix epoch"));
        }
        Ok(Exchange::from_step(
            self.0.handle(request, now as u64, token_id),
        ))
    }

    /// The JWKS document.
    pub fn jwks(&self) -> String {
        self.0.jwks_json().to_string()
    }

    /// The RFC 8414 metadata document.
    pub fn metadata(&self) -> String {
        self.0.metadata_json().to_string()
    }

    /// The JWS `kid` of new tokens.
    #[wasm_bindgen(getter)]
    pub fn kid(&self) -> String {
        self.0.signing_key().kid().to_string()
    }
}

/// One request in progress. `kind` says what the driver must do: `load_client` (then
/// `provide`), `sign` (then `finish`), or `respond` (then send `response` / `proxyResponse`).
#[wasm_bindgen]
pub struct Exchange {
    step: Option<Step>,
    response: Option<Response>,
}

impl Exchange {
    fn from_step(step: Step) -> Exchange {
        match step {
            Step::Respond(response) => Exchange::done(response),
            step => Exchange {
                step: Some(step),
                response: None,
            },
        }
    }

    fn done(response: Response) -> Exchange {
        Exchange {
            step: None,
            response: Some(response),
        }
    }

    /// Applies `f` to the current step; `Err` hands the step back unanswered (the wrong call for
    /// this state), which is reported as driver misuse.
    fn advance(
        &mut self,
        misuse_message: &str,
        f: impl FnOnce(Step) -> Result<Step, Box<Step>>,
    ) -> Result<(), JsError> {
        let step = self
            .step
            .take()
            .ok_or_else(|| misuse("the exchange is over"))?;
        match f(step) {
            Ok(next) => {
                *self = Exchange::from_step(next);
                Ok(())
            }
            Err(step) => {
                self.step = Some(*step);
                Err(misuse(misuse_message))
            }
        }
    }
}

#[wasm_bindgen]
impl Exchange {
    /// `load_client`, `sign` or `respond`.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        match &self.step {
            Some(Step::LoadClient(_)) => "load_client",
            Some(Step::Sign(_)) => "sign",
            _ => "respond",
        }
        .into()
    }

    /// For `load_client`: the `Username` to query.
    #[wasm_bindgen(getter, js_name = clientId)]
    pub fn client_id(&self) -> Option<String> {
        match &self.step {
            Some(Step::LoadClient(load)) => Some(load.client_id().to_string()),
            Some(Step::Sign(sign)) => Some(sign.client_id().to_string()),
            _ => None,
        }
    }

    /// For `sign`: the bytes to sign (KMS `Message`, `MessageType: RAW`).
    #[wasm_bindgen(getter)]
    pub fn message(&self) -> Option<Vec<u8>> {
        match &self.step {
            Some(Step::Sign(sign)) => Some(sign.message().to_vec()),
            _ => None,
        }
    }

    /// For `sign`: the KMS `KeyId`.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> Option<String> {
        match &self.step {
            Some(Step::Sign(sign)) => Some(sign.key_id().to_string()),
            _ => None,
        }
    }

    /// For `sign`: the KMS `SigningAlgorithm`.
    #[wasm_bindgen(getter)]
    pub fn algorithm(&self) -> Option<String> {
        match &self.step {
            Some(Step::Sign(sign)) => Some(sign.algorithm().to_string()),
            _ => None,
        }
    }

    /// For `sign`: the JWS algorithm (for WebCrypto in the browser).
    #[wasm_bindgen(getter)]
    pub fn alg(&self) -> Option<String> {
        match &self.step {
            Some(Step::Sign(sign)) => Some(sign.alg().as_str().to_string()),
            _ => None,
        }
    }

    /// Answers `load_client` with the query's items as DynamoDB JSON (`JSON.stringify(Items)`).
    /// Items that are not DynamoDB JSON make the store's answer unusable: a 500.
    pub fn provide(&mut self, items_json: &str) -> Result<(), JsError> {
        self.advance("provide() answers load_client only", |step| match step {
            Step::LoadClient(load) => Ok(match serde_json::from_str::<Vec<Item>>(items_json) {
                Ok(items) => load.provide(&items),
                Err(_) => Step::Respond(load.fail(BackendError::Refused)),
            }),
            other => Err(Box::new(other)),
        })
    }

    /// Answers `sign`. `format`: `"kms"` (ECDSA DER, as KMS returns it) or `"jose"` (`r || s`,
    /// as WebCrypto returns it).
    pub fn finish(&mut self, signature: &[u8], format: &str) -> Result<(), JsError> {
        let format = match format {
            "kms" => SignatureFormat::Kms,
            "jose" => SignatureFormat::Jose,
            other => return Err(misuse(&format!("unknown signature format {other:?}"))),
        };
        self.advance("finish() answers sign only", |step| match step {
            Step::Sign(sign) => Ok(Step::Respond(sign.finish(signature, format))),
            other => Err(Box::new(other)),
        })
    }

    /// Reports that the backend call of the current step failed: `"unavailable"` or `"refused"`.
    pub fn fail(&mut self, kind: &str) -> Result<(), JsError> {
        let error = backend_error(kind)?;
        self.advance("fail() answers load_client or sign", |step| match step {
            Step::LoadClient(load) => Ok(Step::Respond(load.fail(error))),
            Step::Sign(sign) => Ok(Step::Respond(sign.fail(error))),
            Step::Respond(r) => Ok(Step::Respond(r)),
        })
    }

    /// For `respond`: `{"status", "headers": {name: value}, "body", "outcome"}` as JSON.
    #[wasm_bindgen(getter)]
    pub fn response(&self) -> Option<String> {
        self.response.as_ref().map(|r| {
            let headers: serde_json::Map<String, serde_json::Value> = r
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone().into()))
                .collect();
            serde_json::json!({
                "status": r.status,
                "headers": headers,
                "body": r.body,
                "outcome": r.outcome.label(),
            })
            .to_string()
        })
    }

    /// For `respond`: the API Gateway proxy response as JSON.
    #[wasm_bindgen(js_name = proxyResponse)]
    pub fn proxy_response(&self) -> Option<String> {
        self.response.as_ref().map(gateway::response_to_proxy)
    }

    /// For `respond`: the request log line and the EMF metrics line, as the native shell writes
    /// them.
    #[wasm_bindgen(js_name = logLines)]
    pub fn log_lines(&self, latency_ms: f64, timestamp_ms: f64) -> Vec<String> {
        match &self.response {
            Some(r) => vec![
                telemetry::request_log_line(r, latency_ms, None, timestamp_ms as u64),
                telemetry::emf_line(r, latency_ms, timestamp_ms as u64),
            ],
            None => Vec::new(),
        }
    }
}

/// Verifies an access token against a JWKS document. Returns JSON:
/// `{"ok": true, "claims": {...}}` or `{"ok": false, "error": "..."}`.
#[cfg(feature = "verify")]
#[wasm_bindgen(js_name = verifyToken)]
pub fn verify_token(
    token: &str,
    jwks_json: &str,
    now: f64,
    issuer: &str,
    audience: &str,
    leeway: f64,
) -> String {
    let result = Jwks::from_json(jwks_json).and_then(|jwks| {
        let expected = Expected {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway: leeway.max(0.0) as u64,
        };
        token_core::verify(token, &jwks, now.max(0.0) as u64, &expected)
    });
    match result {
        Ok(claims) => serde_json::json!({ "ok": true, "claims": claims }),
        Err(error) => serde_json::json!({ "ok": false, "error": error.to_string() }),
    }
    .to_string()
}
