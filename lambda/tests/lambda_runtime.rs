//! The packaged `bootstrap` (the provided.al2023 zip) run as Lambda runs it: unzipped, started
//! with `AWS_LAMBDA_RUNTIME_API` pointing at a minimal Runtime API server (next / response /
//! error, as AWS documents them), fed recorded API Gateway REST v1 events, against moto.
//!
//! It needs the zip, so it is ignored by plain `cargo test`; `make test` builds the zip and runs
//! it with `BOOTSTRAP_ZIP` set.

mod common;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use token_core::{verify, Expected, Jwks};
use tokio::sync::{mpsc, Notify};

#[derive(Default)]
struct Queue {
    events: Mutex<VecDeque<(String, String)>>,
    ready: Notify,
}

/// Serves the Runtime API; sends (request id, outcome, body) for each response or error.
async fn runtime_api(
    queue: Arc<Queue>,
    results: mpsc::UnboundedSender<(String, String, String)>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (queue, results) = (queue.clone(), results.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let (queue, results) = (queue.clone(), results.clone());
                        async move {
                            let path = request.uri().path().to_string();
                            let body = request.into_body().collect().await.unwrap().to_bytes();
                            let mut response = hyper::Response::builder().status(202);
                            let mut payload = Bytes::new();
                            if path.ends_with("/invocation/next") {
                                let (id, event) = loop {
                                    if let Some(next) = queue.events.lock().unwrap().pop_front() {
                                        break next;
                                    }
                                    queue.ready.notified().await;
                                };
                                response = hyper::Response::builder()
                                    .status(200)
                                    .header("lambda-runtime-aws-request-id", &id)
                                    .header("lambda-runtime-deadline-ms", "9999999999999")
                                    .header(
                                        "lambda-runtime-invoked-function-arn",
                                        "arn:aws:lambda:eu-west-1:123456789012:function:token",
                                    )
                                    .header(
                                        "lambda-runtime-trace-id",
                                        "Root=1-00000000-000000000000000000000000",
                                    );
                                payload = Bytes::from(event);
                            } else if let Some(rest) =
                                path.strip_prefix("/2018-06-01/runtime/invocation/")
                            {
                                let (id, kind) = rest.split_once('/').unwrap();
                                results
                                    .send((
                                        id.to_string(),
                                        kind.to_string(),
                                        String::from_utf8_lossy(&body).into(),
                                    ))
                                    .unwrap();
                            } else {
                                results
                                    .send((
                                        "init".into(),
                                        path,
                                        String::from_utf8_lossy(&body).into(),
                                    ))
                                    .unwrap();
                            }
                            Ok::<_, Infallible>(response.body(Full::new(payload)).unwrap())
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

#[tokio::test]
#[ignore = "needs the packaged zip: run through `make test`"]
async fn packaged_bootstrap_answers_api_gateway_events() {
    let zip = std::env::var("BOOTSTRAP_ZIP").expect("BOOTSTRAP_ZIP names the provided.al2023 zip");
    let dir = std::env::temp_dir().join(format!("bootstrap-zip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(Command::new("unzip")
        .args(["-q", &zip, "-d"])
        .arg(&dir)
        .status()
        .unwrap()
        .success());
    let listing = Command::new("unzip").args(["-Z1", &zip]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout).trim(),
        "bootstrap",
        "the zip holds bootstrap only"
    );

    let emulator = Emulator::provisioned(false);
    let queue = Arc::new(Queue::default());
    let (tx, mut results) = mpsc::unbounded_channel();
    let api = runtime_api(queue.clone(), tx).await;
    let issuer = "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/dev";
    let mut child = Command::new(dir.join("bootstrap"))
        .envs(AWS_ENV)
        .env("AWS_ENDPOINT_URL", &emulator.url)
        .env("AWS_LAMBDA_RUNTIME_API", &api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "token")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/token")
        .env("TOKEN_ISSUER", issuer)
        .stdout(Stdio::null())
        .spawn()
        .expect("run the packaged bootstrap");

    let events = [
        "rest_v1_jwks.json",
        "rest_v1_token.json",
        "rest_v1_token_bad_secret.json",
        "rest_v1_token_base64.json",
        "rest_v1_metadata.json",
    ];
    for (n, file) in events.iter().enumerate() {
        let event =
            std::fs::read_to_string(repo_root().join("lambda/tests/events").join(file)).unwrap();
        queue
            .events
            .lock()
            .unwrap()
            .push_back((format!("req-{n}"), event));
        queue.ready.notify_waiters();
        queue.ready.notify_one();
    }
    let mut answers = Vec::new();
    while answers.len() < events.len() {
        let (id, kind, body) = tokio::time::timeout(Duration::from_secs(30), results.recv())
            .await
            .expect("an answer")
            .unwrap();
        assert_eq!(kind, "response", "{id}: {body}");
        answers.push(serde_json::from_str::<serde_json::Value>(&body).unwrap());
    }
    let _ = child.kill();
    let _ = child.wait();

    let statuses: Vec<u64> = answers
        .iter()
        .map(|a| a["statusCode"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 401, 200, 200]);
    let metadata: serde_json::Value =
        serde_json::from_str(answers[4]["body"].as_str().unwrap()).unwrap();
    assert_eq!(metadata["issuer"], issuer);
    assert_eq!(metadata["token_endpoint"], format!("{issuer}/token"));
    let jwks = Jwks::from_json(answers[0]["body"].as_str().unwrap()).unwrap();
    let expected = Expected {
        issuer: issuer.into(),
        audience: issuer.into(),
        leeway: 5,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for answer in [&answers[1], &answers[3]] {
        let body: serde_json::Value =
            serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        // lambda_http answers REST v1 events with multiValueHeaders.
        assert_eq!(
            answer["multiValueHeaders"]["cache-control"][0], "no-store",
            "{answer}"
        );
        verify(
            body["access_token"].as_str().unwrap(),
            &jwks,
            now,
            &expected,
        )
        .unwrap();
    }
    let refused: serde_json::Value =
        serde_json::from_str(answers[2]["body"].as_str().unwrap()).unwrap();
    assert_eq!(refused["error"], "invalid_client");
    let _ = std::fs::remove_dir_all(&dir);
}
