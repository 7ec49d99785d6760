//! The native shell of the token endpoint: it drives `token-core` with DynamoDB and KMS and does
//! nothing else. Every OAuth decision is core's; this crate only performs I/O, logs what core
//! reports, and keeps SDK clients and key metadata for the life of the process.

#![forbid(unsafe_code)]

pub mod aws;
pub mod cpu;
pub mod local;

use std::future::Future;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use token_core::{
    telemetry, Backend, BackendError, Endpoint, Item, KeyInfo, Request, Response, SignatureFormat,
    Step,
};
use tokio::sync::OnceCell;

pub use token_core::Settings;

/// The client table, as far as the endpoint needs it.
pub trait ClientStore: Send + Sync {
    /// Every item whose `Username` is `client_id`: one DynamoDB `Query`.
    fn query(
        &self,
        client_id: &str,
    ) -> impl Future<Output = Result<Vec<Item>, BackendError>> + Send;
}

/// The signing key, as far as the endpoint needs it.
pub trait Signer: Send + Sync {
    /// `GetPublicKey`: the key id KMS reports and the SubjectPublicKeyInfo DER.
    fn public_key(
        &self,
        key_id: &str,
    ) -> impl Future<Output = Result<(String, Vec<u8>), BackendError>> + Send;
    /// `Sign` with `MessageType = RAW`: the signature as KMS returns it.
    fn sign(
        &self,
        key_id: &str,
        algorithm: &str,
        message: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, BackendError>> + Send;
}

/// The shell's state for the life of the process.
pub struct Shell<S, K> {
    store: S,
    signer: K,
    settings: Settings,
    endpoint: OnceCell<Endpoint>,
}

/// Milliseconds since the Unix epoch.
fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl<S: ClientStore, K: Signer> Shell<S, K> {
    /// A shell over these backends. Call [`Shell::endpoint`] once at start to fetch the keys
    /// before the first request.
    pub fn new(store: S, signer: K, settings: Settings) -> Self {
        Shell {
            store,
            signer,
            settings,
            endpoint: OnceCell::new(),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The endpoint, built on first use from one `GetPublicKey` per key. If KMS fails, the next
    /// request tries again.
    pub async fn endpoint(&self) -> Result<&Endpoint, BackendError> {
        self.endpoint
            .get_or_try_init(|| async {
                let (key_id, der) = self.signer.public_key(&self.settings.key_id).await?;
                let key = self.key_info(&key_id, &der)?;
                let mut previous = Vec::new();
                for id in &self.settings.previous_key_ids {
                    let (key_id, der) = self.signer.public_key(id).await?;
                    previous.push(self.key_info(&key_id, &der)?);
                }
                Endpoint::new(self.settings.core.clone(), key, previous).map_err(|e| {
                    tracing::error!(error = %e, "invalid configuration");
                    BackendError::Refused
                })
            })
            .await
    }

    fn key_info(&self, key_id: &str, der: &[u8]) -> Result<KeyInfo, BackendError> {
        KeyInfo::from_kms(key_id, der, self.settings.rsa_alg).map_err(|e| {
            tracing::error!(key_id, error = %e, "unusable signing key");
            BackendError::Refused
        })
    }

    /// Handles one request: drives core's steps, then writes the request log line and the EMF
    /// metrics line to stdout.
    pub async fn handle(&self, request: Request) -> Response {
        let started = Instant::now();
        let (response, own_cpu_us) = self.drive(request).await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let now_ms = unix_ms();
        println!(
            "{}",
            telemetry::request_log_line(&response, latency_ms, own_cpu_us, now_ms)
        );
        println!("{}", telemetry::emf_line(&response, latency_ms, now_ms));
        response
    }

    /// Drives one request to its response. Also returns the CPU time (µs) the request cost
    /// outside its AWS calls, where the thread clock is available.
    async fn drive(&self, request: Request) -> (Response, Option<f64>) {
        let endpoint = match self.endpoint().await {
            Ok(endpoint) => endpoint,
            Err(error) => return (Response::backend_failed(Backend::Signer, error), None),
        };
        let mut own = cpu::Meter::started();
        let mut token_id = [0u8; 16];
        if getrandom::fill(&mut token_id).is_err() {
            let response = Response::backend_failed(Backend::Signer, BackendError::Unavailable);
            return (response, None);
        }
        let now = unix_ms() / 1000;
        let mut step = endpoint.handle(request, now, token_id);
        loop {
            step = match step {
                Step::LoadClient(load) => {
                    own.pause();
                    let items = self.store.query(load.client_id()).await;
                    own.resume();
                    match items {
                        Ok(items) => load.provide(&items),
                        Err(error) => Step::Respond(load.fail(error)),
                    }
                }
                Step::Sign(sign) => {
                    let call = self
                        .signer
                        .sign(sign.key_id(), sign.algorithm(), sign.message());
                    own.pause();
                    let signed = call.await;
                    own.resume();
                    Step::Respond(match signed {
                        Ok(signature) => sign.finish(&signature, SignatureFormat::Kms),
                        Err(error) => sign.fail(error),
                    })
                }
                Step::Respond(response) => {
                    own.pause();
                    return (response, own.total_us());
                }
            }
        }
    }
}
