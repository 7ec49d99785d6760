//! `tokenctl`: operator commands next to the endpoint.
//!
//! ```text
//! tokenctl verify [--token JWT] [--url BASE] [--audience AUD]
//!     Verifies a token twice: the seed's way (KMS Verify with KeyId = kid and the algorithm
//!     named by alg) and offline like a resource server (metadata + JWKS from BASE, then
//!     signature, typ, exp, iss, aud). Reads the token from stdin without --token. Prints
//!     "JWT verified successfully" only if both pass.
//! tokenctl add-secret CLIENT_ID [--scopes "a b"] [--audiences "u v"] [--ttl SECONDS]
//!     Creates a client, or adds a secret to an existing one (rotation): a random 256-bit
//!     secret, stored as a PBKDF2 hash. Prints the secret once.
//! tokenctl retire-old CLIENT_ID
//!     Deletes every item of the client but the newest (by CreatedAt): ends a rotation.
//! ```
//! AWS settings come from the environment (`AWS_ENDPOINT_URL` for an emulator); the table is
//! `TOKEN_TABLE` (default `Users`).

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use token_core::{hash_secret, kms_signature, verify, Alg, Expected, Header, Jwks};
use token_lambda::aws::sdk_config;
use token_lambda::Settings;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    positional: Vec<String>,
    options: HashMap<String, String>,
}

fn parse_args() -> Result<Args, Error> {
    let mut positional = Vec::new();
    let mut options = HashMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.strip_prefix("--") {
            Some(name) => {
                let value = args.next().ok_or(format!("--{name} needs a value"))?;
                options.insert(name.to_string(), value);
            }
            None => positional.push(arg),
        }
    }
    Ok(Args {
        positional,
        options,
    })
}

async fn http_get(url: &str) -> Result<String, Error> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let response = client.get(url.parse()?).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        return Err(format!("GET {url}: {status}").into());
    }
    Ok(String::from_utf8(body.to_vec())?)
}

async fn verify_command(args: &Args, settings: &Settings) -> Result<(), Error> {
    let token = match args.options.get("token") {
        Some(token) => token.trim().to_string(),
        None => std::io::read_to_string(std::io::stdin())?
            .trim()
            .to_string(),
    };
    let base = args
        .options
        .get("url")
        .cloned()
        .unwrap_or_else(|| format!("http://{}", settings.bind));

    // 1. The seed's check: KMS Verify with the kid and alg from the header.
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err("the token is not a JWS".into());
    };
    let header: Header = serde_json::from_slice(&B64URL.decode(header_b64)?)?;
    let kid = header.kid.ok_or("the header has no kid")?;
    let alg = Alg::from_name(&header.alg).ok_or(format!("unsupported alg {}", header.alg))?;
    let signature =
        kms_signature(alg, &B64URL.decode(signature_b64)?).ok_or("malformed signature")?;
    let aws = sdk_config(settings).await;
    let kms = aws_sdk_kms::Client::new(&aws);
    let verified = kms
        .verify()
        .key_id(&kid)
        .message(Blob::new(format!("{header_b64}.{claims_b64}")))
        .message_type(MessageType::Raw)
        .signing_algorithm(SigningAlgorithmSpec::from(alg.kms_name()))
        .signature(Blob::new(signature))
        .send()
        .await
        .map_err(|e| {
            format!(
                "KMS Verify failed: {}",
                aws_sdk_kms::error::DisplayErrorContext(e)
            )
        })?;
    if !verified.signature_valid() {
        return Err("KMS says the signature is not valid".into());
    }

    // 2. A resource server's check: discovery, JWKS, then core's verifier.
    let metadata: serde_json::Value = serde_json::from_str(
        &http_get(&format!("{base}/.well-known/oauth-authorization-server")).await?,
    )?;
    let issuer = metadata["issuer"]
        .as_str()
        .ok_or("metadata without issuer")?
        .to_string();
    let jwks_uri = metadata["jwks_uri"]
        .as_str()
        .ok_or("metadata without jwks_uri")?;
    // Fetch the JWKS through the base we were given (a container may reach the endpoint under
    // another host name than the issuer's).
    let jwks_url = match jwks_uri.strip_prefix(issuer.as_str()) {
        Some(path) => format!("{base}{path}"),
        None => jwks_uri.to_string(),
    };
    let jwks = Jwks::from_json(&http_get(&jwks_url).await?)?;
    let expected = Expected {
        audience: args
            .options
            .get("audience")
            .cloned()
            .unwrap_or_else(|| issuer.clone()),
        issuer,
        leeway: 60,
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims = verify(&token, &jwks, now, &expected)
        .map_err(|e| format!("JWKS verification failed: {e}"))?;
    eprintln!(
        "kid {kid}, alg {alg}, client {}, scope {}, expires in {} s",
        claims.client_id,
        claims.scope.as_deref().unwrap_or("-"),
        claims.expires_at.saturating_sub(now)
    );
    println!("JWT verified successfully");
    Ok(())
}

fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    Ok(bytes)
}

fn set(value: &str) -> Option<AttributeValue> {
    let items: Vec<String> = value.split_whitespace().map(String::from).collect();
    (!items.is_empty()).then_some(AttributeValue::Ss(items))
}

async fn add_secret(args: &Args, settings: &Settings) -> Result<(), Error> {
    let [client_id] = args.positional[1..].as_ref() else {
        return Err(
            "usage: tokenctl add-secret CLIENT_ID [--scopes ..] [--audiences ..] [--ttl N]".into(),
        );
    };
    let secret = B64URL.encode(random::<32>()?);
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
    let mut item = HashMap::from([
        ("Username".to_string(), AttributeValue::S(client_id.clone())),
        (
            "Password".to_string(),
            AttributeValue::S(hash_secret(&secret, &random::<16>()?)),
        ),
        ("CreatedAt".to_string(), AttributeValue::N(now.to_string())),
    ]);
    if let Some(scopes) = args.options.get("scopes").and_then(|s| set(s)) {
        item.insert("Scopes".into(), scopes);
    }
    if let Some(audiences) = args.options.get("audiences").and_then(|s| set(s)) {
        item.insert("Audiences".into(), audiences);
    }
    if let Some(ttl) = args.options.get("ttl") {
        let ttl: u64 = ttl.parse().map_err(|_| "--ttl takes whole seconds")?;
        item.insert("TokenTtl".into(), AttributeValue::N(ttl.to_string()));
    }
    let aws = sdk_config(settings).await;
    aws_sdk_dynamodb::Client::new(&aws)
        .put_item()
        .table_name(&settings.table)
        .set_item(Some(item))
        .send()
        .await
        .map_err(|e| {
            format!(
                "PutItem failed: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;
    eprintln!("stored a new secret for {client_id}; it is shown once:");
    println!("{secret}");
    Ok(())
}

async fn retire_old(args: &Args, settings: &Settings) -> Result<(), Error> {
    let [client_id] = args.positional[1..].as_ref() else {
        return Err("usage: tokenctl retire-old CLIENT_ID".into());
    };
    let aws = sdk_config(settings).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&aws);
    let items = dynamo
        .query()
        .table_name(&settings.table)
        .key_condition_expression("Username = :id")
        .expression_attribute_values(":id", AttributeValue::S(client_id.clone()))
        .send()
        .await
        .map_err(|e| {
            format!(
                "Query failed: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?
        .items
        .unwrap_or_default();
    let created = |item: &HashMap<String, AttributeValue>| -> u128 {
        match item.get("CreatedAt") {
            Some(AttributeValue::N(n)) => n.parse().unwrap_or(0),
            _ => 0,
        }
    };
    let newest = items
        .iter()
        .map(created)
        .max()
        .ok_or(format!("no client {client_id}"))?;
    let mut retired = 0;
    for item in items.iter().filter(|i| created(i) < newest) {
        dynamo
            .delete_item()
            .table_name(&settings.table)
            .key("Username", item["Username"].clone())
            .key("Password", item["Password"].clone())
            .send()
            .await
            .map_err(|e| {
                format!(
                    "DeleteItem failed: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })?;
        retired += 1;
    }
    println!(
        "retired {retired} secret(s) of {client_id}; {} left",
        items.len() - retired
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let run = async {
        let args = parse_args()?;
        let settings = Settings::for_runtime(|name| std::env::var(name).ok(), false)?;
        match args.positional.first().map(String::as_str) {
            Some("verify") => verify_command(&args, &settings).await,
            Some("add-secret") => add_secret(&args, &settings).await,
            Some("retire-old") => retire_old(&args, &settings).await,
            _ => Err("usage: tokenctl verify|add-secret|retire-old (see the source's doc)".into()),
        }
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tokenctl: {error}");
            ExitCode::FAILURE
        }
    }
}
