//! Runs the shared behaviour table (`fixtures/cases.json`) through the native driver loop.

mod common;
mod conformance;

use std::collections::BTreeMap;

use conformance::{Answer, CaseRequest, Driver, Table};
use token_core::{verify, Endpoint, Expected, Item, Request};

use common::*;

struct Native {
    signer: TestSigner,
    endpoint: Endpoint,
}

impl Driver for Native {
    fn run(&mut self, table: &Table, request: &CaseRequest) -> Answer {
        let clients: BTreeMap<String, Vec<Item>> = table
            .clients
            .iter()
            .map(|(id, items)| {
                let items = items
                    .iter()
                    .map(|i| serde_json::from_value(i.clone()).unwrap())
                    .collect();
                (id.clone(), items)
            })
            .collect();
        let request = Request {
            method: request.method.clone(),
            path: request.path.clone(),
            headers: request.headers.clone(),
            body: request.body(),
        };
        let (response, calls) = drive(
            &self.endpoint,
            &self.signer,
            &clients,
            request,
            table.now,
            [table.token_id_byte; 16],
        );
        Answer {
            status: response.status,
            headers: response
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            body: response.body,
            calls,
            outcome: response.outcome.label().to_string(),
        }
    }

    fn verify(
        &mut self,
        table: &Table,
        token: &str,
        audience: &str,
    ) -> Result<serde_json::Value, String> {
        let expected = Expected {
            issuer: table.issuer.clone(),
            audience: audience.into(),
            leeway: 0,
        };
        verify(token, self.endpoint.jwks(), table.now, &expected)
            .map(|claims| serde_json::to_value(claims).unwrap())
            .map_err(|e| e.to_string())
    }
}

#[test]
fn behaviour_table() {
    let table = conformance::load();
    assert_eq!(
        (table.issuer.as_str(), table.default_audience.as_str()),
        (ISSUER, AUDIENCE)
    );
    let signer = TestSigner::p256();
    let endpoint = endpoint(&signer);
    let ran = conformance::run_all(&mut Native { signer, endpoint });
    assert_eq!(ran, 73);
}
