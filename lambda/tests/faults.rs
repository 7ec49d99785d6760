//! The fault matrix for the native shell. Each row: a fault, what the client sees (a JSON 5xx,
//! never a token) and how long it takes. Emulator faults use a real moto_server; faults moto
//! cannot produce (throttling, a disabled key, a hung or lying backend) use a small fake that
//! speaks the AWS JSON wire protocol to the real SDK.

mod common;

use std::convert::Infallible;
use std::time::{Duration, Instant};

use aws_config::Region;
use aws_sdk_kms::config::Credentials;
use common::*;
use http_body_util::Full;
use hyper::body::Bytes;
use token_core::BackendError;
use token_lambda::aws::{sdk_loader, DynamoStore, KmsSigner};
use token_lambda::{Settings, Shell, Signer};

/// An HTTP server that answers every request with one canned AWS response after a delay.
async fn fake_aws(status: u16, body: &'static str, delay: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_request| async move {
                    tokio::time::sleep(delay).await;
                    Ok::<_, Infallible>(
                        hyper::Response::builder()
                            .status(status)
                            .header("content-type", "application/x-amz-json-1.1")
                            .body(Full::new(Bytes::from_static(body.as_bytes())))
                            .unwrap(),
                    )
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

async fn aws_config(url: &str, settings: &Settings) -> aws_config::SdkConfig {
    sdk_loader(settings)
        .endpoint_url(url)
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("key", "secret", None, None, "test"))
        .load()
        .await
}

fn settings() -> Settings {
    Settings::from_lookup(
        |name| match name {
            "TOKEN_ISSUER" => Some("https://auth.example.com".into()),
            "TOKEN_SDK_TIMEOUT_MS" => Some("1000".into()),
            "TOKEN_SDK_CONNECT_TIMEOUT_MS" => Some("500".into()),
            _ => None,
        },
        None,
    )
    .unwrap()
}

/// Public key from the real emulator, signatures from wherever `sign_url` points.
struct SplitSigner {
    keys: KmsSigner,
    signatures: KmsSigner,
}

impl Signer for SplitSigner {
    async fn public_key(&self, key_id: &str) -> Result<(String, Vec<u8>), BackendError> {
        self.keys.public_key(key_id).await
    }
    async fn sign(
        &self,
        key_id: &str,
        algorithm: &str,
        message: &[u8],
    ) -> Result<Vec<u8>, BackendError> {
        self.signatures.sign(key_id, algorithm, message).await
    }
}

fn seed_request() -> token_core::Request {
    token_core::Request::new("POST", "/token")
        .header("authorization", basic("admin", "admin"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=public&=")
}

fn assert_json_5xx(
    response: &token_core::Response,
    status: u16,
    code: &str,
    started: Instant,
    within: Duration,
) {
    let elapsed = started.elapsed();
    assert_eq!(response.status, status, "{}", response.body);
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body["error"], code);
    assert!(body.get("access_token").is_none());
    assert!(elapsed < within, "took {elapsed:?}, bound {within:?}");
}

enum Fault {
    Store(u16, &'static str, Duration),
    Signer(u16, &'static str, Duration),
}

#[tokio::test]
async fn backend_faults_become_bounded_json_5xx_and_the_shell_recovers() {
    let emulator = Emulator::provisioned(false);
    let settings = settings();
    let real = aws_config(&emulator.url, &settings).await;
    let bound = Duration::from_millis(2500);
    let rows: [(&str, Fault, u16, &str); 7] = [
        (
            "DynamoDB throttling",
            Fault::Store(
                400,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}"#,
                Duration::ZERO,
            ),
            503,
            "temporarily_unavailable",
        ),
        (
            "DynamoDB access denied",
            Fault::Store(
                400,
                r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"no"}"#,
                Duration::ZERO,
            ),
            500,
            "server_error",
        ),
        (
            "DynamoDB hangs",
            Fault::Store(200, "{}", Duration::from_secs(30)),
            503,
            "temporarily_unavailable",
        ),
        (
            "DynamoDB answers garbage",
            Fault::Store(200, "not json", Duration::ZERO),
            500,
            "server_error",
        ),
        (
            "KMS key disabled",
            Fault::Signer(
                400,
                r#"{"__type":"DisabledException","message":"key is disabled"}"#,
                Duration::ZERO,
            ),
            500,
            "server_error",
        ),
        (
            "KMS hangs",
            Fault::Signer(200, "{}", Duration::from_secs(30)),
            503,
            "temporarily_unavailable",
        ),
        (
            "KMS Sign of the wrong length",
            Fault::Signer(
                200,
                r#"{"KeyId":"k","Signature":"AAAA","SigningAlgorithm":"RSASSA_PKCS1_V1_5_SHA_256"}"#,
                Duration::ZERO,
            ),
            500,
            "server_error",
        ),
    ];
    for (name, fault, status, code) in rows {
        let (store_url, sign_url) = match fault {
            Fault::Store(s, b, d) => (fake_aws(s, b, d).await, emulator.url.clone()),
            Fault::Signer(s, b, d) => (emulator.url.clone(), fake_aws(s, b, d).await),
        };
        let store_config = aws_config(&store_url, &settings).await;
        let sign_config = aws_config(&sign_url, &settings).await;
        let shell = Shell::new(
            DynamoStore::new(&store_config, "Users"),
            SplitSigner {
                keys: KmsSigner::new(&real),
                signatures: KmsSigner::new(&sign_config),
            },
            settings.clone(),
        );
        shell
            .endpoint()
            .await
            .expect("keys load from the real emulator");
        let started = Instant::now();
        let response = shell.handle(seed_request()).await;
        eprintln!("{name}: {} in {:?}", response.status, started.elapsed());
        assert_json_5xx(&response, status, code, started, bound);
    }
    // The same emulator still issues tokens through a healthy shell.
    let healthy = Shell::new(
        DynamoStore::new(&real, "Users"),
        KmsSigner::new(&real),
        settings.clone(),
    );
    assert_eq!(healthy.handle(seed_request()).await.status, 200);
}

/// A token request to `server` gets a JSON 503 and no token, within the bound.
async fn assert_unavailable_in_time(server: &Server) {
    let started = Instant::now();
    let (status, body) = admin_token(&server.url, "grant_type=client_credentials").await;
    let elapsed = started.elapsed();
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("temporarily_unavailable")),
        "{body}"
    );
    assert!(body.get("access_token").is_none());
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

#[tokio::test]
async fn emulator_stopped_under_a_running_server() {
    let mut emulator = Emulator::provisioned(false);
    let mut server = Server::start(&emulator, &[("TOKEN_SDK_TIMEOUT_MS", "1000")]);
    let (status, _) = admin_token(&server.url, "grant_type=client_credentials").await;
    assert_eq!(status, 200);
    emulator.stop();
    for _ in 0..3 {
        assert_unavailable_in_time(&server).await;
    }
    // Documents come from memory and the process keeps serving.
    let (status, _, _) = get(&format!("{}/.well-known/jwks.json", server.url)).await;
    assert_eq!(status, 200);
    assert!(server.is_running());
    assert!(server
        .logs()
        .contains("\"failure\":\"client_store unavailable\""));
}

#[tokio::test]
async fn emulator_down_at_start_then_up_the_server_recovers_without_restart() {
    // Nothing listens on this port yet.
    let port = free_port();
    let fake = Emulator::at_port(port);
    let server = Server::start(&fake, &[("TOKEN_SDK_TIMEOUT_MS", "1000")]);
    assert_unavailable_in_time(&server).await;
    let (status, _, _) = get(&format!("{}/.well-known/jwks.json", server.url)).await;
    assert_eq!(status, 503, "no keys yet, so no JWKS either");

    let emulator = Emulator::start_on(port, false);
    emulator.init();
    let (status, body) = admin_token(&server.url, "grant_type=client_credentials").await;
    assert_eq!(status, 200, "{body}");
}
