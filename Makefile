# Token endpoint: OAuth 2.0 client credentials on AWS Lambda, DynamoDB and KMS.
#   make up / token-get / token-verify / down     run it locally (no Docker needed)
#   make test                                     everything CI runs
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

VENV := .venv
PYTHON ?= python3
# The local stack if it is running, else LocalStack where a Docker engine answers, else local.
STACK ?= $(shell { [ -f .run/bootstrap.pid ] && kill -0 $$(cat .run/bootstrap.pid); } 2>/dev/null && echo local || \
	{ docker info >/dev/null 2>&1 && echo localstack || echo local; })
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
	wasm-tools wasm node-deps chromium www package compose-config list-runtimes get-init-state \
	check-init-state update-lambda template-lint bench fuzz

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

# The seed's LocalStack environment (needs Docker >= 26). The zip is built on the host when it
# has cargo, else in the builder container.
COMPOSE := docker compose
LOCALSTACK := http://localhost:4566
in-builder = $(COMPOSE) run --rm builder "apt-get update -qq && apt-get install -y -qq python3-venv zip >/dev/null && $(1)"
package-for-localstack:
	@if command -v cargo >/dev/null; then $(MAKE) package; else $(call in-builder,make package RUNTIME=$(RUNTIME) ARCH=$(ARCH)); fi
up-localstack: package-for-localstack
	RUNTIME=$(RUNTIME) ARCH=$(ARCH) $(COMPOSE) up -d localstack
	@for i in $$(seq 1 120); do $(MAKE) -s check-init-state >/dev/null 2>&1 && break; sleep 2; done
	@$(MAKE) -s check-init-state
	@echo "token endpoint: $$($(MAKE) -s localstack-url)/token"
down-localstack:
	$(COMPOSE) down -v
logs-localstack:
	$(COMPOSE) logs localstack
list-runtimes:
	@$(COMPOSE) run --rm curl -s http://localstack:4566/_aws/lambda/runtimes | tr -d '[]" ' | tr ',' '\n' | sort
get-init-state:
	@$(COMPOSE) run --rm curl -s http://localstack:4566/_localstack/init
check-init-state:
	@state=$$($(MAKE) -s get-init-state); echo "$$state" | grep -q '"READY": *true' && \
		! echo "$$state" | grep -q '"state": *"\(RUNNING\|ERROR\|UNKNOWN\)"' && echo READY || { echo "$$state"; exit 1; }
update-lambda: package-for-localstack
	$(COMPOSE) run --rm aws-cli --endpoint-url=http://localstack:4566 lambda update-function-code \
		--function-name token --zip-file fileb:///build/token_function.zip
localstack-api-id:
	@$(COMPOSE) run --rm aws-cli --endpoint-url=http://localstack:4566 apigateway get-rest-apis \
		--query "items[?name=='TokenAPI'].id | [0]" --output text | tr -d '\r'
localstack-url:
	@echo "$(LOCALSTACK)/restapis/$$($(MAKE) -s localstack-api-id)/dev/_user_request_"

# The seed's request: Basic admin:admin, scope=public and an empty pair. Prints the token only.
token-get: token-get-$(STACK)
token-verify: token-verify-$(STACK)
TOKEN_REQUEST := -s -u admin:admin -H 'content-type: application/x-www-form-urlencoded' \
	-d grant_type=client_credentials -d scope=public -d =
access-token = sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' | grep . || { echo "token-get: no token" >&2; exit 1; }
token-get-local:
	@curl $(TOKEN_REQUEST) $(BASE_URL)/token | $(access-token)
token-get-localstack:
	@url="$$($(MAKE) -s localstack-url | sed 's#$(LOCALSTACK)#http://localstack:4566#')"; \
	$(COMPOSE) run --rm curl $(TOKEN_REQUEST) "$$url/token" | $(access-token)

# KMS Verify with the token's kid and alg (the seed's check) and offline through the JWKS.
token-verify-local: build
	@token=$$($(MAKE) -s token-get) && $(AWS_ENV) target/debug/tokenctl verify --token "$$token" --url $(BASE_URL)
token-verify-localstack:
	@token=$$($(MAKE) -s token-get) && url="$$($(MAKE) -s localstack-url | sed 's#$(LOCALSTACK)#http://localstack:4566#')" && \
	$(COMPOSE) run --rm verifier "cargo run -q -p token-lambda --bin tokenctl -- verify --token $$token --url $$url"

# make client-add CLIENT=name [SCOPES="a b"] [AUDIENCES="https://api"] [TTL=600]
client-add: build
	@$(AWS_ENV) target/debug/tokenctl add-secret "$(CLIENT)" \
		$(if $(SCOPES),--scopes "$(SCOPES)") $(if $(AUDIENCES),--audiences "$(AUDIENCES)") $(if $(TTL),--ttl $(TTL))
# make client-retire CLIENT=name: keep only the newest secret.
client-retire: build
	@$(AWS_ENV) target/debug/tokenctl retire-old "$(CLIENT)"

wasm-tools:
	@wasm-pack --version 2>/dev/null | grep -q ' $(WASM_PACK_VERSION)$$' || \
		cargo install wasm-pack --version $(WASM_PACK_VERSION) --locked || \
		cargo install wasm-pack --version $(WASM_PACK_VERSION)
	@wasm-bindgen --version 2>/dev/null | grep -q ' $(WASM_BINDGEN_VERSION)$$' || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --locked || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

# The core as WebAssembly: for Node.js (the Lambda handler, which only issues tokens: no
# verifier) and for the browser page (which also verifies them).
# Size first for the .wasm: undo the release profile's speed setting for core.
WASM_CARGO_FLAGS := --config 'profile.release.package.token-core.opt-level="z"'
wasm: wasm-tools
	rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
	cd wasm && wasm-pack --quiet build --release --target nodejs --out-dir node/pkg --no-pack -- $(WASM_CARGO_FLAGS) --no-default-features
	cd wasm && wasm-pack --quiet build --release --target web --out-dir www/pkg --no-pack -- $(WASM_CARGO_FLAGS)

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
# bootstrap for provided.al2023, linked by cargo-lambda's zig against an old glibc (AL2023 has
# 2.34). ARCH=arm64 for Graviton (and Apple Silicon hosts running LocalStack).
ARCH ?= x86_64
package-provided.al2023: venv
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH cargo lambda build --release --bin bootstrap \
		$(if $(filter arm64,$(ARCH)),--arm64) --output-format zip --lambda-dir target/lambda
	mkdir -p build && cp target/lambda/bootstrap/bootstrap.zip build/token_function.zip
	@ls -l build/token_function.zip

# The compose file, validated offline (no Docker engine needed).
compose-config:
	@if docker compose version >/dev/null 2>&1; then docker compose config -q; else \
		command -v docker-compose >/dev/null || { apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null; }; \
		docker-compose config -q; fi
	@echo "docker-compose.yaml is valid"

test: venv wasm node-deps chromium
	$(MOTO_ENV) cargo test --workspace
	cargo build -p token-core --target wasm32-unknown-unknown
	cargo test -p token-core --no-default-features --lib
	cd wasm && wasm-pack test --node --release
	$(MAKE) package RUNTIME=provided.al2023
	BOOTSTRAP_ZIP=$(CURDIR)/build/token_function.zip $(MOTO_ENV) \
		cargo test -p token-lambda --test lambda_runtime -- --ignored
	$(MAKE) package RUNTIME=nodejs20.x
	cd wasm/node && $(MOTO_ENV) npm test
	$(MAKE) compose-config
	$(MAKE) template-lint

# The SAM template, validated offline (SAM transform and resource schemas).
template-lint: venv
	$(VENV)/bin/cfn-lint deploy/template.yaml
	@echo "deploy/template.yaml is valid"

# Benchmarks on the local stack -> BENCHMARKS.md (see scripts/bench.py). Not part of make test.
OHA_VERSION := 1.16.0
bench: venv wasm node-deps
	@oha --version 2>/dev/null | grep -q ' $(OHA_VERSION)$$' || cargo install oha --version $(OHA_VERSION) --locked
	$(MAKE) package RUNTIME=provided.al2023
	mkdir -p build/bench && cp build/token_function.zip build/bench/bootstrap.zip
	$(MAKE) package RUNTIME=nodejs20.x
	cp build/token_function.zip build/bench/node.zip
	python3 scripts/bench.py

# cargo fuzz, FUZZ_RUNS (10 million) executions per target -> fuzz/last-run.json, which
# make bench reports. Needs the nightly toolchain.
CARGO_FUZZ_VERSION := 0.13.2
fuzz:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@cargo fuzz --version 2>/dev/null | grep -q '$(CARGO_FUZZ_VERSION)' || cargo install cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked
	fuzz/run.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
