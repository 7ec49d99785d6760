//! Client records as the `Users` table stores them, and checking a presented secret against them.

use std::collections::{BTreeMap, BTreeSet};

use pbkdf2::password_hash::phc::PasswordHash;
use pbkdf2::password_hash::{CustomizedPasswordHasher, PasswordVerifier};
use pbkdf2::{Params, Pbkdf2};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use crate::error::Failure;

/// One DynamoDB attribute value, in the shape of DynamoDB's JSON wire format
/// (`{"S": "admin"}`, `{"SS": ["a", "b"]}`, `{"N": "600"}`), which is also what the AWS SDK for
/// JavaScript v3 returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs, clippy::upper_case_acronyms)]
pub enum AttributeValue {
    S(String),
    N(String),
    /// Binary, base64 text as on the wire.
    B(String),
    SS(Vec<String>),
    NS(Vec<String>),
    BS(Vec<String>),
    M(BTreeMap<String, AttributeValue>),
    L(Vec<AttributeValue>),
    NULL(bool),
    BOOL(bool),
}

/// One item of the `Users` table.
pub type Item = BTreeMap<String, AttributeValue>;

/// Claims an item's `Claims` map may not set: the ones this endpoint sets itself, and the other
/// claims RFC 7519 §4.1 and RFC 9068 §2.2 register with a meaning the endpoint must not be made
/// to assert.
pub const RESERVED_CLAIMS: [&str; 13] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "client_id",
    "scope",
    "auth_time",
    "acr",
    "amr",
    "cnf",
];

/// The most expensive PBKDF2 hash accepted, so that a mistyped item cannot stall every request.
pub const MAX_PBKDF2_ROUNDS: u32 = 100_000;

/// The PBKDF2 rounds [`hash_secret`] uses: the minimum the PHC implementations accept. Secrets
/// are generated with 256 bits of entropy, so stretching adds no protection against guessing
/// and only adds latency.
pub const PBKDF2_ROUNDS: u32 = 1_000;

#[derive(Clone, Debug)]
enum Stored {
    Plain(String),
    Hashed(Box<PasswordHash>),
}

/// A parsed, valid client record.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    secret: Stored,
    pub scopes: Option<BTreeSet<String>>,
    pub audiences: Option<Vec<String>>,
    pub ttl: Option<u64>,
    pub disabled: bool,
    pub claims: Map<String, Value>,
}

fn malformed(attribute: &str, reason: &'static str) -> Failure {
    Failure::MalformedRecord {
        attribute: attribute.to_string(),
        reason,
    }
}

fn string_set(name: &str, value: &AttributeValue) -> Result<Vec<String>, Failure> {
    match value {
        AttributeValue::SS(items) => Ok(items.clone()),
        AttributeValue::L(items) => items
            .iter()
            .map(|item| match item {
                AttributeValue::S(s) => Ok(s.clone()),
                _ => Err(malformed(name, "must hold only strings")),
            })
            .collect(),
        _ => Err(malformed(name, "must be a string set")),
    }
}

fn to_json(name: &str, value: &AttributeValue) -> Result<Value, Failure> {
    Ok(match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => Value::Number(
            n.parse::<serde_json::Number>()
                .map_err(|_| malformed(name, "holds a number JSON cannot carry"))?,
        ),
        AttributeValue::BOOL(b) => Value::Bool(*b),
        AttributeValue::NULL(_) => Value::Null,
        AttributeValue::SS(items) => items.iter().cloned().map(Value::String).collect(),
        AttributeValue::NS(items) => items
            .iter()
            .map(|n| to_json(name, &AttributeValue::N(n.clone())))
            .collect::<Result<_, _>>()?,
        AttributeValue::L(items) => items
            .iter()
            .map(|v| to_json(name, v))
            .collect::<Result<_, _>>()?,
        AttributeValue::M(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), to_json(name, v)?)))
                .collect::<Result<_, Failure>>()?,
        ),
        AttributeValue::B(_) | AttributeValue::BS(_) => {
            return Err(malformed(
                name,
                "holds binary data, which a claim cannot carry",
            ))
        }
    })
}

impl Record {
    /// Validates one item. Unknown attributes are ignored.
    pub fn parse(client_id: &str, item: &Item, max_ttl: u64) -> Result<Record, Failure> {
        if let Some(username) = item.get("Username") {
            if *username != AttributeValue::S(client_id.to_string()) {
                return Err(malformed("Username", "does not match the requested client"));
            }
        }
        let secret = match item.get("Password") {
            Some(AttributeValue::S(s)) if s.starts_with('$') => {
                let hash: PasswordHash = s
                    .parse()
                    .map_err(|_| malformed("Password", "is not a valid PHC string"))?;
                if hash.algorithm.as_str() != "pbkdf2-sha256" {
                    return Err(malformed(
                        "Password",
                        "uses a hash other than pbkdf2-sha256",
                    ));
                }
                let rounds = Params::try_from(&hash)
                    .map_err(|_| malformed("Password", "has invalid PBKDF2 parameters"))?
                    .rounds();
                if rounds > MAX_PBKDF2_ROUNDS {
                    return Err(malformed(
                        "Password",
                        "uses more PBKDF2 rounds than allowed",
                    ));
                }
                Stored::Hashed(Box::new(hash))
            }
            Some(AttributeValue::S(s)) if !s.is_empty() => Stored::Plain(s.clone()),
            _ => return Err(malformed("Password", "must be a non-empty string")),
        };
        let scopes = item
            .get("Scopes")
            .map(|v| string_set("Scopes", v).map(|s| s.into_iter().collect()))
            .transpose()?;
        let audiences = item
            .get("Audiences")
            .map(|v| string_set("Audiences", v))
            .transpose()?;
        let ttl = match item.get("TokenTtl") {
            None => None,
            Some(AttributeValue::N(n)) => match n.parse::<u64>() {
                Ok(ttl) if (1..=max_ttl).contains(&ttl) => Some(ttl),
                _ => {
                    return Err(malformed(
                        "TokenTtl",
                        "must be a whole number of seconds within the configured maximum",
                    ))
                }
            },
            Some(_) => return Err(malformed("TokenTtl", "must be a number")),
        };
        let disabled = match item.get("Disabled") {
            None => false,
            Some(AttributeValue::BOOL(b)) => *b,
            Some(_) => return Err(malformed("Disabled", "must be a boolean")),
        };
        let claims = match item.get("Claims") {
            None => Map::new(),
            Some(AttributeValue::M(map)) => {
                if map.keys().any(|k| RESERVED_CLAIMS.contains(&k.as_str())) {
                    return Err(malformed("Claims", "sets a claim the endpoint reserves"));
                }
                match to_json("Claims", &AttributeValue::M(map.clone()))? {
                    Value::Object(map) => map,
                    _ => unreachable!("a map converts to an object"),
                }
            }
            Some(_) => return Err(malformed("Claims", "must be a map")),
        };
        Ok(Record {
            secret,
            scopes,
            audiences,
            ttl,
            disabled,
            claims,
        })
    }

    fn matches(&self, presented: &str) -> Choice {
        match &self.secret {
            // Compare digests so that the comparison takes the same time whatever the lengths.
            Stored::Plain(stored) => Sha256::digest(stored.as_bytes())
                .as_slice()
                .ct_eq(Sha256::digest(presented.as_bytes()).as_slice()),
            // The PHC verifier compares its output in constant time.
            Stored::Hashed(hash) => {
                let ok = Pbkdf2::default()
                    .verify_password(presented.as_bytes(), hash)
                    .is_ok();
                Choice::from(u8::from(ok))
            }
        }
    }
}

/// Checks `presented` against every record (no early exit) and returns the first that matches.
pub(crate) fn authenticate<'r>(records: &'r [Record], presented: &str) -> Option<&'r Record> {
    let mut found: Option<&Record> = None;
    for record in records {
        let matched = bool::from(record.matches(presented));
        if matched && found.is_none() {
            found = Some(record);
        }
    }
    found
}

/// Hashes a client secret for the `Password` attribute: PBKDF2-HMAC-SHA256 in PHC format,
/// [`PBKDF2_ROUNDS`] rounds, 32-byte output. The caller supplies 16 random salt bytes.
pub fn hash_secret(secret: &str, salt: &[u8; 16]) -> String {
    let params = Params::new(PBKDF2_ROUNDS).expect("PBKDF2_ROUNDS is within the allowed range");
    Pbkdf2::default()
        .hash_password_customized(secret.as_bytes(), salt, None, None, params)
        .expect("a 16-byte salt and default output length are valid")
        .to_string()
}
