//! The fault matrix for the native shell. The rows in `fixtures/fault-matrix.json` (shared with
//! the Node.js shell's tests) are injected by scripts/fault-proxy.py between the real SDK and a
//! real moto_server: throttling, resets, answers past the timeout, refused and deleted keys,
//! malformed items, signatures of the wrong length. The emulator itself going away is tested
//! below by stopping it, and by starting the server before it.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Every row of the shared fault matrix against one running `bootstrap` process: the fault
/// gets a JSON error within the bound and no token; cleared, the same process issues again.
#[tokio::test]
async fn fault_matrix_through_the_running_binary() {
    let matrix: Value = serde_json::from_str(include_str!("fixtures/fault-matrix.json")).unwrap();
    let emulator = Emulator::provisioned(false);
    let proxy = FaultProxy::start(&emulator);
    let timeout = matrix["sdk_timeout_ms"].as_u64().unwrap().to_string();
    let mut server = Server::start(&proxy.as_emulator(), &[("TOKEN_SDK_TIMEOUT_MS", &timeout)]);
    let bound = Duration::from_millis(matrix["bound_ms"].as_u64().unwrap());
    let (status, _) = admin_token(&server.url, "grant_type=client_credentials").await;
    assert_eq!(status, 200, "healthy before any fault");

    for row in matrix["rows"].as_array().unwrap() {
        let name = row["name"].as_str().unwrap();
        let expected = (
            row["status"].as_u64().unwrap() as u16,
            row["error"].as_str(),
        );
        proxy.set(&row["fault"]).await;
        let started = Instant::now();
        let (status, body) = admin_token(&server.url, "grant_type=client_credentials").await;
        let elapsed = started.elapsed();
        eprintln!("{name}: {status} {} in {elapsed:?}", body["error"]);
        assert_eq!((status, body["error"].as_str()), expected, "{name}: {body}");
        assert!(body.get("access_token").is_none(), "{name}");
        assert!(elapsed < bound, "{name}: took {elapsed:?}");

        proxy.clear().await;
        let (status, body) = admin_token(&server.url, "grant_type=client_credentials").await;
        assert_eq!(status, 200, "{name}: not serving after the fault: {body}");
        assert!(server.is_running());
    }
    let logs = server.logs();
    assert!(!logs.contains("eyJ"), "a token reached the logs");
    assert!(
        !logs.contains("YWRtaW46YWRtaW4"),
        "credentials reached the logs"
    );
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
