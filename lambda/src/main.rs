//! `bootstrap`: the token endpoint. Under AWS Lambda (`AWS_LAMBDA_RUNTIME_API` set) it serves API
//! Gateway and function-URL events; anywhere else it serves the same handler over HTTP on
//! `TOKEN_BIND` (default `127.0.0.1:9000`).

use std::sync::Arc;

use token_lambda::aws::{sdk_config, DynamoStore, KmsSigner};
use token_lambda::{local, Settings, Shell};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One thread does all the work by default (`TOKEN_WORKER_THREADS` asks for more): Lambda hands
/// a process one request at a time, and the local server spends its time waiting on AWS, so a
/// second thread only adds wakeups between threads. Measured on the local server under load
/// (2 CPUs, 2,000 tokens at concurrency 64): one thread issued 184 tokens/s at 910 µs of
/// process CPU per token, two threads 168 tokens/s at 1,195 µs.
fn main() -> Result<(), Error> {
    let in_lambda = std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some();
    let settings = Settings::for_runtime(|name| std::env::var(name).ok(), in_lambda)?;
    let runtime = if settings.worker_threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(settings.worker_threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(run(settings, in_lambda))
}

async fn run(settings: Settings, in_lambda: bool) -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TOKEN_LOG")
                .unwrap_or_else(|_| "info,aws_config=warn,aws_smithy_runtime=warn".into()),
        )
        .init();

    let aws = sdk_config(&settings).await;
    let shell = Arc::new(Shell::new(
        DynamoStore::new(&aws, &settings.table),
        KmsSigner::new(&aws),
        settings,
    ));
    // Fetch the keys now so the first request does not pay for it; on failure requests answer
    // 503 and retry.
    match shell.endpoint().await {
        Ok(endpoint) => tracing::info!(
            kid = endpoint.signing_key().kid(),
            alg = endpoint.signing_key().alg().as_str(),
            issuer = endpoint.config().issuer,
            "signing key loaded"
        ),
        Err(error) => tracing::error!(?error, "signing key not loaded yet; will retry per request"),
    }

    if in_lambda {
        lambda_http::run(lambda_http::service_fn(move |event| {
            let shell = shell.clone();
            async move { Ok::<_, std::convert::Infallible>(local::handle_event(&shell, event).await) }
        }))
        .await
    } else {
        let listener = tokio::net::TcpListener::bind(&shell.settings().bind).await?;
        tracing::info!(address = %listener.local_addr()?, "listening");
        tokio::select! {
            served = local::serve(shell, listener) => served?,
            _ = tokio::signal::ctrl_c() => tracing::info!("interrupted"),
        }
        Ok(())
    }
}
