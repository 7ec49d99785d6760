//! The native shell against a real moto_server provisioned by the real init.sh: the HTTP server
//! binary, API Gateway events, tokenctl, concurrency and logs.

mod common;

use std::process::Command;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::Region;
use aws_sdk_kms::config::Credentials;
use common::*;
use token_core::{verify, Expected, Jwks};
use token_lambda::aws::{sdk_loader, DynamoStore, KmsSigner};
use token_lambda::{local, Settings, Shell};

fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| Emulator::provisioned(false))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn jwks(server: &Server) -> Jwks {
    let (status, _, body) = get(&format!("{}/.well-known/jwks.json", server.url)).await;
    assert_eq!(status, 200);
    Jwks::from_json(&body).unwrap()
}

/// Verifies like a resource server: JWKS over HTTP, issuer = the server's URL.
async fn claims(
    server: &Server,
    body: &serde_json::Value,
    audience: &str,
) -> token_core::AccessTokenClaims {
    let token = body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {body}"));
    let expected = Expected {
        issuer: server.url.clone(),
        audience: audience.into(),
        leeway: 5,
    };
    verify(token, &jwks(server).await, now(), &expected).unwrap_or_else(|e| panic!("{e}"))
}

fn tokenctl(emulator: &Emulator, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tokenctl"))
        .args(args)
        .envs(AWS_ENV)
        .env("AWS_ENDPOINT_URL", &emulator.url)
        .output()
        .unwrap()
}

#[tokio::test]
async fn seed_request_verifies_through_kms_and_jwks() {
    let emulator = emulator();
    let server = Server::start(emulator, &[]);
    let (status, body) =
        admin_token(&server.url, "grant_type=client_credentials&scope=public&=").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let c = claims(&server, &body, &server.url).await;
    assert_eq!(
        (c.subject.as_str(), c.scope.as_deref()),
        ("admin", Some("public"))
    );

    let token = body["access_token"].as_str().unwrap();
    let ok = tokenctl(
        emulator,
        &["verify", "--token", token, "--url", &server.url],
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout),
        "JWT verified successfully\n"
    );

    // Flip one character of the payload: KMS must refuse, and nothing is printed on stdout.
    let mut forged = token.to_string();
    let at = token.find('.').unwrap() + 5;
    let flipped = if &forged[at..at + 1] == "A" { "B" } else { "A" };
    forged.replace_range(at..at + 1, flipped);
    let bad = tokenctl(
        emulator,
        &["verify", "--token", &forged, "--url", &server.url],
    );
    assert!(!bad.status.success());
    assert!(bad.stdout.is_empty());
}

#[tokio::test]
async fn demo_clients_behave_as_the_readme_says() {
    let server = Server::start(emulator(), &[]);
    let url = &server.url;
    let grant = "grant_type=client_credentials";

    let (s, b) = token(url, "reporting", "reporting-demo-secret", grant).await;
    assert_eq!(
        (s, &b["expires_in"], &b["scope"]),
        (200, &600.into(), &"reports:export reports:read".into())
    );
    let (s, b) = token(
        url,
        "reporting",
        "reporting-demo-secret",
        "grant_type=client_credentials&scope=reports:admin",
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_scope")));

    for secret in ["billing-old-secret", "billing-new-secret"] {
        let (s, b) = token(url, "billing", secret, grant).await;
        assert_eq!(s, 200, "{secret}: {b}");
        assert_eq!(
            claims(&server, &b, "https://billing.example.com")
                .await
                .audience,
            ["https://billing.example.com"]
        );
    }
    let (s, b) = token(
        url,
        "billing",
        "billing-old-secret",
        "grant_type=client_credentials&resource=https%3A%2F%2Fother.example",
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_target")));

    let (s, b) = token(url, "partner", "partner-demo-secret", grant).await;
    assert_eq!(s, 200);
    let c = claims(&server, &b, url).await;
    assert_eq!(
        (c.extra["tenant"].as_str(), c.extra["tier"].as_i64()),
        (Some("acme"), Some(2))
    );

    let (s, b) = token(url, "retired", "retired-demo-secret", grant).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("unauthorized_client")));
    let (s, b) = token(url, "nobody", "x", grant).await;
    assert_eq!((s, b["error"].as_str()), (401, Some("invalid_client")));

    // client_secret_post
    let (s, _, body) = http(
        &format!("{url}/token"),
        "POST",
        &[FORM],
        "grant_type=client_credentials&client_id=admin&client_secret=admin",
    )
    .await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test]
async fn rfc_errors_over_http_are_json_with_the_right_headers() {
    let server = Server::start(emulator(), &[]);
    let url = format!("{}/token", server.url);
    let admin = basic("admin", "admin");
    let big = format!("grant_type=client_credentials&pad={}", "x".repeat(9000));
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "POST",
            vec![FORM],
            "grant_type=client_credentials",
            401,
            "invalid_client",
        ),
        (
            "POST",
            vec![FORM, ("authorization", &admin)],
            "grant_type=password",
            400,
            "unsupported_grant_type",
        ),
        (
            "POST",
            vec![FORM, ("authorization", &admin)],
            "scope=x",
            400,
            "invalid_request",
        ),
        (
            "POST",
            vec![
                ("content-type", "application/json"),
                ("authorization", &admin),
            ],
            "{}",
            400,
            "invalid_request",
        ),
        (
            "POST",
            vec![FORM, ("authorization", &admin)],
            &big,
            413,
            "request_too_large",
        ),
        (
            "POST",
            vec![FORM, ("authorization", "Basic !!")],
            "grant_type=client_credentials",
            401,
            "invalid_client",
        ),
        ("GET", vec![], "", 405, "method_not_allowed"),
    ];
    for (method, headers, body, status, error) in cases {
        let (s, h, b) = http(&url, method, &headers, body).await;
        let json: serde_json::Value = serde_json::from_str(&b).unwrap();
        assert_eq!(
            (s, json["error"].as_str()),
            (status, Some(error)),
            "{method} {body:.40}"
        );
        assert_eq!(h["cache-control"], "no-store");
        assert!(h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        assert_eq!(h.contains_key("www-authenticate"), status == 401);
    }
    let (s, _, b) = get(&format!("{}/nope", server.url)).await;
    assert_eq!(
        (
            s,
            serde_json::from_str::<serde_json::Value>(&b).unwrap()["error"].as_str()
        ),
        (404, Some("not_found"))
    );
}

#[tokio::test]
async fn documents_name_the_kms_key() {
    let emulator = emulator();
    let server = Server::start(
        emulator,
        &[("TOKEN_SCOPES_SUPPORTED", "public reports:read")],
    );
    let key_id = emulator.aws(&[
        "kms",
        "describe-key",
        "--key-id",
        "alias/signing-key",
        "--query",
        "KeyMetadata.KeyId",
    ]);
    let (_, h, body) = get(&format!("{}/.well-known/jwks.json", server.url)).await;
    assert!(h["cache-control"].to_str().unwrap().contains("max-age"));
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["keys"][0]["kid"], key_id.as_str());
    assert_eq!(
        (
            doc["keys"][0]["kty"].as_str(),
            doc["keys"][0]["alg"].as_str()
        ),
        (Some("RSA"), Some("RS256"))
    );
    let (_, _, body) = get(&format!(
        "{}/.well-known/oauth-authorization-server",
        server.url
    ))
    .await;
    let meta: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(meta["issuer"], server.url.as_str());
    assert_eq!(meta["token_endpoint"], format!("{}/token", server.url));
    assert_eq!(
        meta["jwks_uri"],
        format!("{}/.well-known/jwks.json", server.url)
    );
    assert_eq!(
        meta["scopes_supported"],
        serde_json::json!(["public", "reports:read"])
    );
    assert_eq!(
        meta["grant_types_supported"],
        serde_json::json!(["client_credentials"])
    );
}

#[tokio::test]
async fn malformed_items_give_a_json_500_and_no_token() {
    let emulator = emulator();
    let server = Server::start(emulator, &[]);
    emulator.aws(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Users",
        "--item",
        r#"{"Username":{"S":"broken"},"Password":{"S":"pw"},"TokenTtl":{"S":"600"}}"#,
    ]);
    let (s, b) = token(&server.url, "broken", "pw", "grant_type=client_credentials").await;
    assert_eq!((s, b["error"].as_str()), (500, Some("server_error")));
    assert!(b.get("access_token").is_none());
    assert!(
        server.logs().contains("malformed client record: TokenTtl"),
        "the log says why"
    );
}

#[tokio::test]
async fn tokenctl_creates_rotates_and_retires_secrets() {
    let emulator = emulator();
    let server = Server::start(emulator, &[]);
    let add = |extra: &[&str]| {
        let mut args = vec!["add-secret", "rotator"];
        args.extend_from_slice(extra);
        let out = tokenctl(emulator, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let first = add(&["--scopes", "jobs:run", "--ttl", "300"]);
    assert!(first.len() >= 43, "256-bit secret, base64url");
    let stored = emulator.aws(&[
        "dynamodb",
        "query",
        "--table-name",
        "Users",
        "--key-condition-expression",
        "Username = :u",
        "--expression-attribute-values",
        r#"{":u":{"S":"rotator"}}"#,
        "--query",
        "Items[0].Password.S",
    ]);
    assert!(
        stored.starts_with("$pbkdf2-sha256$") && !stored.contains(&first),
        "only the hash is stored"
    );
    let (s, b) = token(
        &server.url,
        "rotator",
        &first,
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(
        (s, &b["expires_in"], &b["scope"]),
        (200, &300.into(), &"jobs:run".into())
    );

    std::thread::sleep(std::time::Duration::from_millis(5));
    let second = add(&[]);
    for secret in [&first, &second] {
        assert_eq!(
            token(
                &server.url,
                "rotator",
                secret,
                "grant_type=client_credentials"
            )
            .await
            .0,
            200
        );
    }
    let out = tokenctl(emulator, &["retire-old", "rotator"]);
    assert!(out.status.success());
    assert_eq!(
        token(
            &server.url,
            "rotator",
            &first,
            "grant_type=client_credentials"
        )
        .await
        .0,
        401
    );
    assert_eq!(
        token(
            &server.url,
            "rotator",
            &second,
            "grant_type=client_credentials"
        )
        .await
        .0,
        200
    );
}

async fn in_process_shell(emulator: &Emulator) -> Shell<DynamoStore, KmsSigner> {
    let settings = Settings::from_lookup(
        |name| {
            (name == "TOKEN_ISSUER")
                .then(|| "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/dev".into())
        },
        None,
    )
    .unwrap();
    let aws = sdk_loader(&settings)
        .endpoint_url(&emulator.url)
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("key", "secret", None, None, "test"))
        .load()
        .await;
    Shell::new(
        DynamoStore::new(&aws, &settings.table),
        KmsSigner::new(&aws),
        settings,
    )
}

#[tokio::test]
async fn api_gateway_events_rest_v1_and_http_v2() {
    let shell = in_process_shell(emulator()).await;
    let cases = [
        ("rest_v1_token.json", 200, None),
        ("rest_v1_token_base64.json", 200, None),
        ("rest_v1_token_bad_secret.json", 401, Some("invalid_client")),
        ("rest_v1_jwks.json", 200, None),
        ("http_v2_token.json", 200, None),
        ("http_v2_default_stage_post_auth.json", 200, None),
        ("http_v2_get_token.json", 405, Some("method_not_allowed")),
    ];
    for (file, status, error) in cases {
        let text =
            std::fs::read_to_string(repo_root().join("lambda/tests/events").join(file)).unwrap();
        let event = lambda_http::request::from_str(&text).unwrap();
        let response = local::handle_event(&shell, event).await;
        assert_eq!(response.status().as_u16(), status, "{file}");
        let lambda_http::Body::Text(body) = response.body() else {
            panic!("{file}: JSON text body, not base64")
        };
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"].as_str(), error, "{file}");
        if let Some(token) = json["access_token"].as_str() {
            let expected = Expected {
                issuer: shell.settings().core.issuer.clone(),
                audience: shell.settings().core.issuer.clone(),
                leeway: 5,
            };
            let endpoint = shell.endpoint().await.unwrap();
            verify(token, endpoint.jwks(), now(), &expected).unwrap();
        }
    }
}

#[tokio::test]
async fn many_parallel_requests_all_get_distinct_valid_tokens() {
    // moto answers one call at a time, slowly (RSA in Python): allow for its queue.
    let server = Server::start(emulator(), &[("TOKEN_SDK_TIMEOUT_MS", "10000")]);
    let in_flight = std::sync::Arc::new(tokio::sync::Semaphore::new(32));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let url = server.url.clone();
            let in_flight = in_flight.clone();
            tokio::spawn(async move {
                let _permit = in_flight.acquire().await.unwrap();
                admin_token(&url, "grant_type=client_credentials&scope=public&=").await
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 200, "{body}");
        let c = claims(&server, &body, &server.url).await;
        assert!(ids.insert(c.token_id), "jti is unique");
    }
    assert_eq!(ids.len(), 200);
}

#[tokio::test]
async fn logs_have_one_line_and_one_metric_per_request_and_no_secrets() {
    let server = Server::start(emulator(), &[]);
    let (_, ok) = token(
        &server.url,
        "partner",
        "partner-demo-secret",
        "grant_type=client_credentials",
    )
    .await;
    let issued = ok["access_token"].as_str().unwrap().to_string();
    token(
        &server.url,
        "partner",
        "a-wrong-secret-value",
        "grant_type=client_credentials",
    )
    .await;
    http(
        &format!("{}/token", server.url),
        "POST",
        &[FORM],
        "grant_type=client_credentials&client_id=admin&client_secret=post-secret-value",
    )
    .await;
    let logs = server.logs();
    for secret in [
        "partner-demo-secret",
        "a-wrong-secret-value",
        "post-secret-value",
        &issued,
        issued.split('.').nth(2).unwrap(),
    ] {
        assert!(!logs.contains(secret), "a secret or token reached the log");
    }
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let requests: Vec<_> = lines.iter().filter(|l| l["message"] == "request").collect();
    let metrics: Vec<_> = lines.iter().filter(|l| l.get("_aws").is_some()).collect();
    assert_eq!((requests.len(), metrics.len()), (3, 3));
    assert_eq!(requests[0]["outcome"], "issued");
    assert_eq!(requests[1]["error"], "invalid_client");
    assert_eq!(metrics[1]["ClientAuthFailures"], 1);
    assert_eq!(metrics[0]["TokensIssued"], 1);
    assert!(requests[0]["latency_ms"].as_f64().unwrap() > 0.0);
    // The endpoint's own CPU, outside the AWS calls: measured, and well under the latency.
    let cpu_us = requests[0]["cpu_us"].as_f64().unwrap();
    assert!(cpu_us > 0.0, "{}", requests[0]);
    assert!(cpu_us / 1000.0 < requests[0]["latency_ms"].as_f64().unwrap());
}

#[tokio::test]
async fn previous_keys_stay_in_the_jwks_and_old_tokens_keep_verifying() {
    let emulator = emulator();
    let old_key = emulator.aws(&[
        "kms",
        "create-key",
        "--key-usage",
        "SIGN_VERIFY",
        "--key-spec",
        "ECC_NIST_P256",
        "--query",
        "KeyMetadata.KeyId",
    ]);
    // A token signed while the "old" key was current...
    let old_server = Server::start(emulator, &[("TOKEN_KEY_ID", &old_key)]);
    let (status, old) = admin_token(&old_server.url, "grant_type=client_credentials").await;
    assert_eq!(status, 200, "{old}");
    // ...still verifies once the alias key signs and the old one is only listed.
    let server = Server::start(emulator, &[("TOKEN_PREVIOUS_KEY_IDS", &old_key)]);
    let (_, _, body) = get(&format!("{}/.well-known/jwks.json", server.url)).await;
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let keys: Vec<(&str, &str)> = doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kid"].as_str().unwrap(), k["alg"].as_str().unwrap()))
        .collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[1], (old_key.as_str(), "ES256"));
    let expected = Expected {
        issuer: old_server.url.clone(),
        audience: old_server.url.clone(),
        leeway: 5,
    };
    let jwks = Jwks::from_json(&body).unwrap();
    verify(
        old["access_token"].as_str().unwrap(),
        &jwks,
        now(),
        &expected,
    )
    .unwrap();
}
