//! What both fuzz targets share: the endpoints, the driver loop and the checks every response
//! must pass whatever the input.
#![allow(dead_code)]

use std::sync::OnceLock;

use token_core::{
    Alg, BackendError, Config, Endpoint, Item, KeyInfo, Request, Response, SignatureFormat, Step,
};

pub const NOW: u64 = 1_700_000_000;

/// An RSA-2048 (RS256) and a P-384 (ES384) endpoint, built once.
pub fn endpoints() -> &'static [Endpoint; 2] {
    static ENDPOINTS: OnceLock<[Endpoint; 2]> = OnceLock::new();
    ENDPOINTS.get_or_init(|| {
        let rsa = include_bytes!("../../core/tests/fixtures/rsa2048.spki.der");
        let p384 = include_bytes!("../../core/tests/fixtures/p384.spki.der");
        let build = |der: &[u8], kid: &str| {
            let key = KeyInfo::from_kms(kid, der, Alg::RS256).expect("fixture key");
            let mut config = Config::new("https://auth.example.com");
            config.scopes_supported = vec!["public".into()];
            Endpoint::new(config, key, vec![]).expect("fixture config")
        };
        [build(rsa, "rsa-key"), build(p384, "ec-key")]
    })
}

/// How the driver answers the steps.
pub struct Backend<'a> {
    pub items: &'a [Item],
    /// `None`: a signature of the right length for the key.
    pub signature: Option<&'a [u8]>,
    pub format: SignatureFormat,
    pub load_fails: bool,
    pub sign_fails: bool,
}

/// Drives one request to its response, checking each step on the way.
pub fn drive(endpoint: &Endpoint, request: Request, backend: &Backend) -> Response {
    let on_token_path = request.path.split('?').next() == Some("/token");
    let mut step = endpoint.handle(request, NOW, [7; 16]);
    let mut signed = false;
    let mut loaded_client = None;
    loop {
        step = match step {
            Step::LoadClient(load) => {
                assert!(loaded_client.is_none(), "the client was loaded twice");
                assert!(!load.client_id().is_empty(), "asked to load an empty client id");
                loaded_client = Some(load.client_id().to_string());
                if backend.load_fails {
                    Step::Respond(load.fail(BackendError::Unavailable))
                } else {
                    load.provide(backend.items)
                }
            }
            Step::Sign(sign) => {
                assert!(loaded_client.is_some(), "asked to sign before loading the client");
                assert!(!signed, "asked to sign twice");
                signed = true;
                assert_eq!(Some(sign.client_id()), loaded_client.as_deref());
                if backend.sign_fails {
                    Step::Respond(sign.fail(BackendError::Refused))
                } else {
                    let filler;
                    let signature = match backend.signature {
                        Some(s) => s,
                        None => {
                            let len = if sign.alg() == Alg::ES384 { 96 } else { 256 };
                            filler = vec![0x5a; len];
                            &filler[..]
                        }
                    };
                    let format = if backend.signature.is_none() {
                        SignatureFormat::Jose
                    } else {
                        backend.format
                    };
                    Step::Respond(sign.finish(signature, format))
                }
            }
            Step::Respond(response) => {
                check(&response, on_token_path, signed, loaded_client.as_deref());
                return response;
            }
        }
    }
}

/// What holds for every response.
pub fn check(response: &Response, on_token_path: bool, signed: bool, client: Option<&str>) {
    assert!(
        matches!(response.status, 200 | 400 | 401 | 404 | 405 | 413 | 500 | 503),
        "unexpected status {}",
        response.status
    );
    if response.status == 401 {
        assert!(response.header("www-authenticate").is_some(), "401 without WWW-Authenticate");
    }
    if response.status == 503 {
        assert!(response.header("retry-after").is_some(), "503 without Retry-After");
    }
    // HEAD on a document has an empty body; everything else is JSON.
    if response.body.is_empty() {
        assert_eq!(response.status, 200);
        return;
    }
    let body: serde_json::Value =
        serde_json::from_str(&response.body).expect("every body is JSON");
    let token = body.get("access_token");
    if response.status >= 400 {
        assert!(token.is_none(), "an error response carries a token");
        let error = body["error"].as_str().expect("an error response names its error");
        assert!(!error.is_empty());
    }
    if on_token_path && response.status == 200 {
        assert!(signed, "a token was issued without a signature");
        let token = token.and_then(|t| t.as_str()).expect("a 200 token response has a token");
        assert_eq!(response.header("cache-control"), Some("no-store"));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3, "a JWS has three parts");
        use base64::Engine;
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .expect("claims are base64url");
        let claims: serde_json::Value =
            serde_json::from_slice(&claims).expect("claims are JSON");
        assert_eq!(claims["sub"].as_str(), client, "the token names another client");
        assert_eq!(claims["iat"].as_u64(), Some(NOW));
        assert!(claims["exp"].as_u64().unwrap() > NOW);
    }
}
