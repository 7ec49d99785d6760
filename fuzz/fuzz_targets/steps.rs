//! The whole step loop from arbitrary input: request, stored items, signature and backend
//! failures. Input: sections separated by NUL bytes (see `fuzz/seed-corpus.py`):
//! `control, method, path, headers ("name: value" lines), body, items (DynamoDB JSON array),
//! signature`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use token_core::{Item, Request, SignatureFormat};

mod common;

fuzz_target!(|data: &[u8]| {
    let mut sections = data.split(|b| *b == 0);
    let mut next = || sections.next().unwrap_or_default();
    let control = next().first().copied().unwrap_or(0);
    let method = String::from_utf8_lossy(next()).into_owned();
    let path = String::from_utf8_lossy(next()).into_owned();
    let headers = String::from_utf8_lossy(next()).into_owned();
    let body = next().to_vec();
    let items: Vec<Item> = serde_json::from_slice(next()).unwrap_or_default();
    let signature = next();

    let mut request = Request::new(method, path).body(body);
    for line in headers.lines() {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        request = request.header(name, value.trim_start());
    }
    let backend = common::Backend {
        items: &items,
        signature: (control & 8 != 0).then_some(signature),
        format: if control & 1 != 0 { SignatureFormat::Jose } else { SignatureFormat::Kms },
        load_fails: control & 2 != 0,
        sign_fails: control & 4 != 0,
    };
    let endpoint = &common::endpoints()[usize::from(control & 16 != 0)];
    common::drive(endpoint, request, &backend);
});
