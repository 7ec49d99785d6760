//! The two ways requests reach the shell: API Gateway events through `lambda_http`, and a plain
//! HTTP/1.1 server for running without Lambda. Both convert to core's `Request` and back, and
//! nothing else.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;
use token_core::gateway::path_without_stage;
use token_core::{Request, Response, MAX_BODY_BYTES};
use tokio::net::TcpListener;

use crate::{ClientStore, Shell, Signer};

fn header_pairs(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect()
}

/// Handles one API Gateway (REST v1 or HTTP API v2) or function-URL event.
pub async fn handle_event<S: ClientStore, K: Signer>(
    shell: &Shell<S, K>,
    event: lambda_http::Request,
) -> lambda_http::Response<lambda_http::Body> {
    let stage = match event.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.stage.clone(),
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.stage.clone(),
        _ => None,
    };
    let request = Request {
        method: event.method().to_string(),
        path: path_without_stage(event.raw_http_path(), stage.as_deref()),
        headers: header_pairs(event.headers()),
        body: event.body().to_vec(),
    };
    let response = shell.handle(request).await;
    let mut builder = lambda_http::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(*name, value);
    }
    builder
        .body(lambda_http::Body::Text(response.body))
        .expect("core's status and headers are valid HTTP")
}

async fn handle_http<S: ClientStore, K: Signer>(
    shell: &Shell<S, K>,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES + 1).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        // Too large: hand core a body just over the limit so that it answers 413 itself.
        Err(_) => vec![0; MAX_BODY_BYTES + 1],
    };
    let request = Request {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        headers: header_pairs(&parts.headers),
        body,
    };
    to_hyper(shell.handle(request).await)
}

fn to_hyper(response: Response) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(*name, value);
    }
    builder
        .body(Full::new(Bytes::from(response.body)))
        .expect("core's status and headers are valid HTTP")
}

/// Serves HTTP/1.1 on `listener` until the task is dropped.
pub async fn serve<S, K>(shell: Arc<Shell<S, K>>, listener: TcpListener) -> std::io::Result<()>
where
    S: ClientStore + 'static,
    K: Signer + 'static,
{
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait and keep serving.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let shell = shell.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let shell = shell.clone();
                async move { Ok::<_, Infallible>(handle_http(&shell, request).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }
}
