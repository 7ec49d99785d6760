//! Counts the AWS calls the shell makes, as the emulator recorded them on the wire.

mod common;

use common::*;

fn count(ops: &[String], target: &str) -> usize {
    ops.iter().filter(|op| op.as_str() == target).count()
}

const QUERY: &str = "DynamoDB_20120810.Query";
const SIGN: &str = "TrentService.Sign";
const GET_PUBLIC_KEY: &str = "TrentService.GetPublicKey";

#[tokio::test]
async fn one_query_and_one_sign_per_token_and_one_get_public_key_per_process() {
    let emulator = Emulator::provisioned(true);
    emulator.start_recording().await;
    let server = Server::start(&emulator, &[]);
    // Wait until start-up (GetPublicKey) is over: the JWKS answers only then.
    let (status, _, _) = get(&format!("{}/.well-known/jwks.json", server.url)).await;
    assert_eq!(status, 200);

    let tokens = 7;
    for _ in 0..tokens {
        let (status, body) =
            admin_token(&server.url, "grant_type=client_credentials&scope=public&=").await;
        assert_eq!(status, 200, "{body}");
    }
    let ops = emulator.recorded_operations().await;
    assert_eq!(count(&ops, GET_PUBLIC_KEY), 1, "{ops:?}");
    assert_eq!(count(&ops, QUERY), tokens, "{ops:?}");
    assert_eq!(count(&ops, SIGN), tokens, "{ops:?}");
    assert_eq!(ops.len(), 1 + 2 * tokens, "nothing else: {ops:?}");

    // A wrong secret costs the Query only; a request refused before authentication costs nothing;
    // documents are served from memory.
    emulator.start_recording().await;
    token(
        &server.url,
        "admin",
        "wrong",
        "grant_type=client_credentials",
    )
    .await;
    token(&server.url, "admin", "admin", "grant_type=password").await;
    get(&format!("{}/.well-known/jwks.json", server.url)).await;
    get(&format!(
        "{}/.well-known/oauth-authorization-server",
        server.url
    ))
    .await;
    assert_eq!(emulator.recorded_operations().await, [QUERY]);
}
