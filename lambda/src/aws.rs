//! The real backends: DynamoDB for client records, KMS for the signing key.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue as DynamoValue;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use token_core::{AttributeValue, BackendError, Item};

use crate::{ClientStore, Settings, Signer};

/// Loads the AWS configuration once per process, with the operation timeouts that keep every
/// failure inside a bounded time. `AWS_ENDPOINT_URL` points it at an emulator.
pub async fn sdk_config(settings: &Settings) -> aws_config::SdkConfig {
    sdk_loader(settings).load().await
}

/// The configuration loader behind [`sdk_config`], for callers that set more (tests name an
/// endpoint and credentials explicitly).
pub fn sdk_loader(settings: &Settings) -> aws_config::ConfigLoader {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(settings.connect_timeout)
        .operation_timeout(settings.sdk_timeout)
        .operation_attempt_timeout(settings.sdk_timeout / 2)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .http_client(https_client(settings.system_tls_roots))
}

/// The PEM certificates of Amazon Trust Services' roots.
pub const AMAZON_TRUST_SERVICES_PEM: &str = include_str!("amazon-trust-services.pem");

/// The SDK's HTTPS client (rustls with aws-lc, as the SDK's default). It trusts only Amazon
/// Trust Services, which issues the certificate of every AWS endpoint the function calls:
/// narrower than the system store, and ~6 ms less start-up (parsing the system's ~150 roots was
/// a third of a cold start here). `system_roots` (`TOKEN_TLS_ROOTS=system`) trusts the system
/// store instead, e.g. for an emulator served over HTTPS with a local certificate authority.
pub fn https_client(system_roots: bool) -> aws_sdk_kms::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    let trust = if system_roots {
        TrustStore::default()
    } else {
        TrustStore::empty().with_pem_certificate(AMAZON_TRUST_SERVICES_PEM)
    };
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context from a trust store builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

/// Sorts an SDK error into core's two kinds and logs its code (never its request).
pub fn classify<E: ProvideErrorMetadata + std::error::Error, R>(
    operation: &str,
    error: &SdkError<E, R>,
) -> BackendError {
    let (kind, code) = match error {
        SdkError::TimeoutError(_) => (BackendError::Unavailable, "timeout".to_string()),
        SdkError::DispatchFailure(_) => (BackendError::Unavailable, "dispatch failure".to_string()),
        SdkError::ResponseError(_) => {
            (BackendError::Unavailable, "unreadable response".to_string())
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown").to_string();
            (BackendError::from_aws_code(&code), code)
        }
        _ => (BackendError::Refused, "request construction".to_string()),
    };
    tracing::warn!(operation, code, kind = ?kind, "backend call failed");
    kind
}

/// Converts one SDK attribute value to core's DynamoDB-JSON shape.
pub fn attribute(value: &DynamoValue) -> AttributeValue {
    match value {
        DynamoValue::S(s) => AttributeValue::S(s.clone()),
        DynamoValue::N(n) => AttributeValue::N(n.clone()),
        DynamoValue::B(b) => AttributeValue::B(B64.encode(b.as_ref())),
        DynamoValue::Ss(v) => AttributeValue::SS(v.clone()),
        DynamoValue::Ns(v) => AttributeValue::NS(v.clone()),
        DynamoValue::Bs(v) => {
            AttributeValue::BS(v.iter().map(|b| B64.encode(b.as_ref())).collect())
        }
        DynamoValue::M(m) => {
            AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), attribute(v))).collect())
        }
        DynamoValue::L(l) => AttributeValue::L(l.iter().map(attribute).collect()),
        DynamoValue::Bool(b) => AttributeValue::BOOL(*b),
        DynamoValue::Null(b) => AttributeValue::NULL(*b),
        // A type this SDK version does not know: binary, which core refuses in every attribute.
        _ => AttributeValue::B(String::new()),
    }
}

/// The `Users` table.
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoStore {
    /// A store over this client and table.
    pub fn new(config: &aws_config::SdkConfig, table: &str) -> Self {
        DynamoStore {
            client: aws_sdk_dynamodb::Client::new(config),
            table: table.to_string(),
        }
    }
}

impl ClientStore for DynamoStore {
    async fn query(&self, client_id: &str) -> Result<Vec<Item>, BackendError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("Username = :id")
            .expression_attribute_values(":id", DynamoValue::S(client_id.to_string()))
            .send()
            .await
            .map_err(|e| classify("dynamodb:Query", &e))?;
        Ok(output
            .items()
            .iter()
            .map(|item| {
                item.iter()
                    .map(|(k, v)| (k.clone(), attribute(v)))
                    .collect()
            })
            .collect())
    }
}

/// The KMS signing key.
pub struct KmsSigner {
    client: aws_sdk_kms::Client,
}

impl KmsSigner {
    /// A signer over this configuration.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        KmsSigner {
            client: aws_sdk_kms::Client::new(config),
        }
    }
}

impl Signer for KmsSigner {
    async fn public_key(&self, key_id: &str) -> Result<(String, Vec<u8>), BackendError> {
        let output = self
            .client
            .get_public_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| classify("kms:GetPublicKey", &e))?;
        match (output.key_id(), output.public_key()) {
            (Some(id), Some(der)) => Ok((id.to_string(), der.as_ref().to_vec())),
            _ => Err(BackendError::Refused),
        }
    }

    async fn sign(
        &self,
        key_id: &str,
        algorithm: &str,
        message: &[u8],
    ) -> Result<Vec<u8>, BackendError> {
        let output = self
            .client
            .sign()
            .key_id(key_id)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::from(algorithm))
            .send()
            .await
            .map_err(|e| classify("kms:Sign", &e))?;
        output
            .signature()
            .map(|s| s.as_ref().to_vec())
            .ok_or(BackendError::Refused)
    }
}
