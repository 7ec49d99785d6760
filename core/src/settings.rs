//! Every shell's configuration, read from environment variables with the documented defaults.
//! It lives here so that the native and the Node.js shells read the same variables the same way;
//! core itself only uses [`Settings::core`].

use std::time::Duration;

use crate::{Alg, Config};

/// Everything a shell is configured with.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `TOKEN_TABLE`: the client table. Default `Users`.
    pub table: String,
    /// `TOKEN_KEY_ID`: the signing key (alias, key id or ARN). Default `alias/signing-key`.
    pub key_id: String,
    /// `TOKEN_PREVIOUS_KEY_IDS`: comma-separated keys still published in the JWKS.
    pub previous_key_ids: Vec<String>,
    /// `TOKEN_RSA_ALG`: `RS256` (default) or `PS256`/`RS384`/... for RSA keys.
    pub rsa_alg: Alg,
    /// `TOKEN_BIND`: the local server's address. Default `127.0.0.1:9000`.
    pub bind: String,
    /// `TOKEN_SDK_TIMEOUT_MS`: the whole-operation timeout of each AWS call, retries included.
    /// Default 3000 ms, well under API Gateway's 29 s.
    pub sdk_timeout: Duration,
    /// `TOKEN_SDK_CONNECT_TIMEOUT_MS`: the TCP/TLS connect timeout. Default 1000 ms.
    pub connect_timeout: Duration,
    /// `TOKEN_TLS_ROOTS`: `amazon` (default) trusts only Amazon Trust Services' roots for AWS
    /// calls, `system` the operating system's store. Native shell only.
    pub system_tls_roots: bool,
    /// `TOKEN_WORKER_THREADS`: the native shell's runtime threads. Default 1.
    pub worker_threads: usize,
    /// The core configuration: `TOKEN_ISSUER`, `TOKEN_AUDIENCE`, `TOKEN_TTL`, `TOKEN_MAX_TTL`,
    /// `TOKEN_SCOPES_SUPPORTED` (space-separated).
    pub core: Config,
}

/// A setting that cannot be used.
#[derive(Debug)]
pub struct SettingsError(pub String);

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Reads the settings from a lookup function (the environment in production).
    /// `default_issuer` applies when `TOKEN_ISSUER` is unset; `None` makes it required.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
        default_issuer: Option<&str>,
    ) -> Result<Settings, SettingsError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let number = |name: &str, default: u64| -> Result<u64, SettingsError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| {
                    SettingsError(format!("{name} must be a whole number, got {v:?}"))
                }),
            }
        };
        let bind = get("TOKEN_BIND").unwrap_or_else(|| "127.0.0.1:9000".into());
        let issuer = match (get("TOKEN_ISSUER"), default_issuer) {
            (Some(issuer), _) => issuer,
            (None, Some(default)) => default.to_string(),
            (None, None) => return Err(SettingsError("TOKEN_ISSUER is required".into())),
        };
        let mut core = Config::new(issuer);
        if let Some(audience) = get("TOKEN_AUDIENCE") {
            core.default_audience = audience;
        }
        core.default_ttl = number("TOKEN_TTL", core.default_ttl)?;
        core.max_ttl = number("TOKEN_MAX_TTL", core.max_ttl)?;
        core.scopes_supported = get("TOKEN_SCOPES_SUPPORTED")
            .map(|s| s.split_whitespace().map(String::from).collect())
            .unwrap_or_default();
        let system_tls_roots = match get("TOKEN_TLS_ROOTS").as_deref().map(str::trim) {
            None | Some("amazon") => false,
            Some("system") => true,
            Some(other) => {
                return Err(SettingsError(format!(
                    "TOKEN_TLS_ROOTS must be amazon or system, got {other:?}"
                )))
            }
        };
        let worker_threads = match number("TOKEN_WORKER_THREADS", 1)? {
            0 => {
                return Err(SettingsError(
                    "TOKEN_WORKER_THREADS must be at least 1".into(),
                ))
            }
            n => usize::try_from(n)
                .map_err(|_| SettingsError("TOKEN_WORKER_THREADS is too large".into()))?,
        };
        let rsa_alg = match get("TOKEN_RSA_ALG") {
            None => Alg::RS256,
            Some(name) => Alg::from_name(name.trim()).ok_or_else(|| {
                SettingsError(format!("TOKEN_RSA_ALG: unknown algorithm {name:?}"))
            })?,
        };
        Ok(Settings {
            table: get("TOKEN_TABLE").unwrap_or_else(|| "Users".into()),
            key_id: get("TOKEN_KEY_ID").unwrap_or_else(|| "alias/signing-key".into()),
            previous_key_ids: get("TOKEN_PREVIOUS_KEY_IDS")
                .map(|s| {
                    s.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            rsa_alg,
            bind,
            sdk_timeout: Duration::from_millis(number("TOKEN_SDK_TIMEOUT_MS", 3000)?),
            connect_timeout: Duration::from_millis(number("TOKEN_SDK_CONNECT_TIMEOUT_MS", 1000)?),
            system_tls_roots,
            worker_threads,
            core,
        })
    }

    /// Reads the settings from a lookup function. Under Lambda `TOKEN_ISSUER` is required;
    /// elsewhere it defaults to the local server's URL, `http://` + `TOKEN_BIND`.
    pub fn for_runtime(
        get: impl Fn(&str) -> Option<String>,
        in_lambda: bool,
    ) -> Result<Settings, SettingsError> {
        let bind = get("TOKEN_BIND").filter(|b| !b.trim().is_empty());
        let local_issuer = format!("http://{}", bind.as_deref().unwrap_or("127.0.0.1:9000"));
        Settings::from_lookup(get, (!in_lambda).then_some(local_issuer.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(
            |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            Some("http://127.0.0.1:9000"),
        )
    }

    #[test]
    fn native_shell_settings_default_and_parse() {
        let defaults = settings(&[]).unwrap();
        assert!(!defaults.system_tls_roots);
        assert_eq!(defaults.worker_threads, 1);
        let set =
            settings(&[("TOKEN_TLS_ROOTS", "system"), ("TOKEN_WORKER_THREADS", "4")]).unwrap();
        assert!(set.system_tls_roots);
        assert_eq!(set.worker_threads, 4);
        assert!(
            !settings(&[("TOKEN_TLS_ROOTS", "amazon")])
                .unwrap()
                .system_tls_roots
        );
        for bad in [
            ("TOKEN_TLS_ROOTS", "all"),
            ("TOKEN_WORKER_THREADS", "0"),
            ("TOKEN_WORKER_THREADS", "two"),
        ] {
            let error = settings(&[bad]).unwrap_err().to_string();
            assert!(error.contains(bad.0), "{error}");
        }
    }
}
