# Token endpoint: OAuth 2.0 client credentials on AWS Lambda, DynamoDB and KMS.
#   make up / token-get / token-verify / down     run it locally (no Docker needed)
#   make test                                     everything CI runs
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

VENV := .venv
PYTHON ?= python3
# LocalStack where a Docker engine answers, the local emulator stack otherwise.
STACK ?= $(shell docker info >/dev/null 2>&1 && echo localstack || echo local)
EMULATOR_PORT ?= 4566
TOKEN_BIND ?= 127.0.0.1:9000
BASE_URL ?= http://$(TOKEN_BIND)
AWS_ENV := AWS_ENDPOINT_URL=http://127.0.0.1:$(EMULATOR_PORT) AWS_REGION=eu-west-1 \
	AWS_ACCESS_KEY_ID=key AWS_SECRET_ACCESS_KEY=secret TOKEN_BIND=$(TOKEN_BIND)

RUNTIME ?= provided.al2023
# wasm-bindgen-cli must equal the wasm-bindgen crate exactly.
WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' wasm/Cargo.toml)
WASM_PACK_VERSION := 0.15.1
MOTO_ENV := MOTO_SERVER=$(CURDIR)/$(VENV)/bin/moto_server PATH=$(CURDIR)/$(VENV)/bin:$$PATH

.PHONY: venv build up down logs reset token-get token-verify client-add client-retire test lint \
	wasm-tools wasm node-deps chromium www package

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

build:
	cargo build -p token-lambda --bins

up: up-$(STACK)
down: down-$(STACK)
logs: logs-$(STACK)
reset: down up

up-local: venv build
	EMULATOR_PORT=$(EMULATOR_PORT) TOKEN_BIND=$(TOKEN_BIND) scripts/local-stack.sh up
down-local:
	scripts/local-stack.sh down
logs-local:
	scripts/local-stack.sh logs

up-localstack down-localstack logs-localstack:
	@echo "The LocalStack stack is not built yet; use STACK=local." >&2; exit 1

# The seed's request: Basic admin:admin, scope=public and an empty pair. Prints the token only.
token-get:
	@response=$$(curl -sS -u admin:admin -H 'content-type: application/x-www-form-urlencoded' \
		-d grant_type=client_credentials -d scope=public -d = $(BASE_URL)/token); \
	printf '%s' "$$response" | $(PYTHON) -c 'import json,sys; r=json.load(sys.stdin); \
		print(r["access_token"]) if "access_token" in r else sys.exit("token-get: %s" % r)'

# KMS Verify with the token's kid and alg (the seed's check) and offline through the JWKS.
token-verify: build
	@token=$$($(MAKE) -s token-get) && $(AWS_ENV) target/debug/tokenctl verify --token "$$token" --url $(BASE_URL)

# make client-add CLIENT=name [SCOPES="a b"] [AUDIENCES="https://api"] [TTL=600]
client-add: build
	@$(AWS_ENV) target/debug/tokenctl add-secret "$(CLIENT)" \
		$(if $(SCOPES),--scopes "$(SCOPES)") $(if $(AUDIENCES),--audiences "$(AUDIENCES)") $(if $(TTL),--ttl $(TTL))
# make client-retire CLIENT=name: keep only the newest secret.
client-retire: build
	@$(AWS_ENV) target/debug/tokenctl retire-old "$(CLIENT)"

wasm-tools:
	@wasm-pack --version 2>/dev/null | grep -q ' $(WASM_PACK_VERSION)$$' || cargo install wasm-pack --version $(WASM_PACK_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -q ' $(WASM_BINDGEN_VERSION)$$' || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --locked || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

# The core as WebAssembly: for Node.js (the Lambda handler) and for the browser page.
wasm: wasm-tools
	rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
	cd wasm && wasm-pack --quiet build --release --target nodejs --out-dir node/pkg --no-pack
	cd wasm && wasm-pack --quiet build --release --target web --out-dir www/pkg --no-pack

node-deps: wasm/node/node_modules/.package-lock.json
wasm/node/node_modules/.package-lock.json: wasm/node/package-lock.json
	cd wasm/node && npm ci --no-fund --no-audit

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# The browser page: http://127.0.0.1:8080/
www: wasm
	cd wasm/www && python3 -m http.server 8080 --bind 127.0.0.1

# build/token_function.zip for RUNTIME (provided.al2023 or nodejs20.x / nodejs22.x).
package: package-$(RUNTIME)
package-nodejs20.x package-nodejs22.x: wasm
	rm -rf build/node && mkdir -p build/node/pkg
	cp wasm/node/index.js build/node/
	cp wasm/node/pkg/token_wasm.js wasm/node/pkg/token_wasm_bg.wasm build/node/pkg/
	rm -f build/token_function.zip && cd build/node && zip -qr ../token_function.zip index.js pkg
	@ls -l build/token_function.zip
package-provided.al2023:
	@echo "Packaging bootstrap for provided.al2023 is not built yet; use RUNTIME=nodejs20.x." >&2; exit 1

test: venv wasm node-deps chromium
	$(MOTO_ENV) cargo test --workspace
	cargo build -p token-core --target wasm32-unknown-unknown
	cd wasm && wasm-pack test --node --release
	$(MAKE) package RUNTIME=nodejs20.x
	cd wasm/node && $(MOTO_ENV) npm test

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
