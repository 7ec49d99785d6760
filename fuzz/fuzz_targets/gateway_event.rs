//! The request path as Lambda sees it: an arbitrary API Gateway proxy event (REST v1 or HTTP
//! v2) through core's event parser, the endpoint with the seed's admin client, and back out as
//! a proxy response.
#![no_main]

use libfuzzer_sys::fuzz_target;
use token_core::{gateway, AttributeValue, Item, SignatureFormat};

mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = std::str::from_utf8(data) else {
        return;
    };
    let admin: Item = [("Username", "admin"), ("Password", "admin")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), AttributeValue::S(v.to_string())))
        .collect();
    let response = match gateway::request_from_event(event) {
        Ok(request) => {
            let backend = common::Backend {
                items: std::slice::from_ref(&admin),
                signature: None,
                format: SignatureFormat::Kms,
                load_fails: false,
                sign_fails: false,
            };
            common::drive(&common::endpoints()[0], request, &backend)
        }
        Err(response) => {
            assert_eq!(response.status, 400, "an unreadable event is a 400");
            response
        }
    };
    let proxy: serde_json::Value =
        serde_json::from_str(&gateway::response_to_proxy(&response)).expect("proxy JSON");
    assert_eq!(proxy["statusCode"].as_u64(), Some(u64::from(response.status)));
});
