#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from the test fixtures: every case of the behaviour
table (core/tests/fixtures/cases.json) in the `steps` input format, and every recorded API
Gateway event (lambda/tests/events) for `gateway_event`."""
import base64
import hashlib
import json
import pathlib
import urllib.parse

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"


def write(target, data):
    out = corpus / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)


def client_of(request, body):
    """The client id a request names: Basic credentials first, else the client_id parameter."""
    for name, value in request["headers"]:
        scheme, _, encoded = value.partition(" ")
        if name.lower() == "authorization" and scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            except ValueError:
                return None
            return urllib.parse.unquote_plus(decoded.partition(":")[0])
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return form.get("client_id", [None])[0]


table = json.loads((root / "core/tests/fixtures/cases.json").read_text())
for case in table["cases"]:
    request = case["request"]
    body = (base64.b64decode(request["body_base64"]) if request.get("body_base64")
            else request["body"].encode())
    headers = "\n".join(f"{name}: {value}" for name, value in request["headers"]).encode()
    items = table["clients"].get(client_of(request, body), [])
    for control in (0, 2, 4, 8 | 1):
        sections = [bytes([control]), request["method"].encode(), request["path"].encode(),
                    headers, body, json.dumps(items).encode(), b"\x30\x06\x02\x01\x01\x02\x01\x01"]
        if all(0 not in s for s in sections[1:]):
            write("steps", b"\0".join(sections))

for event in sorted((root / "lambda/tests/events").glob("*.json")):
    write("gateway_event", event.read_bytes())
print(f"seed corpus: {corpus}")
