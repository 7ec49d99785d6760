#!/usr/bin/env bash
# The local stack: moto_server (DynamoDB + KMS wire protocols) on 127.0.0.1:4566, provisioned by
# init-scripts/init.sh, and the `bootstrap` binary serving HTTP on 127.0.0.1:9000.
#   local-stack.sh up | down | logs | status
# Expects the Makefile to have built target/debug/bootstrap and the .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN=.run
VENV=.venv
PORT="${EMULATOR_PORT:-4566}"
BIND="${TOKEN_BIND:-127.0.0.1:9000}"
BIN="${BOOTSTRAP:-target/debug/bootstrap}"
export AWS_ENDPOINT_URL="http://127.0.0.1:${PORT}"
export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1 AWS_ACCESS_KEY_ID=key AWS_SECRET_ACCESS_KEY=secret
export PATH="$PWD/$VENV/bin:$PATH"

alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

wait_for() { # url, what, seconds
  for _ in $(seq 1 $(($3 * 10))); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "local-stack: $2 did not come up; see $RUN/$2.log" >&2
  return 1
}

up() {
  mkdir -p "$RUN"
  if alive moto; then
    echo "local-stack: emulator already running on :$PORT"
  else
    setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$RUN/moto.log" 2>&1 &
    echo $! >"$RUN/moto.pid"
    wait_for "$AWS_ENDPOINT_URL/moto-api/" moto 30
  fi
  bash init-scripts/init.sh >"$RUN/init.log" 2>&1 || { cat "$RUN/init.log" >&2; exit 1; }
  if alive bootstrap; then kill "$(cat "$RUN/bootstrap.pid")"; sleep 0.2; fi
  TOKEN_BIND="$BIND" setsid "$BIN" >"$RUN/bootstrap.log" 2>&1 &
  echo $! >"$RUN/bootstrap.pid"
  wait_for "http://$BIND/.well-known/jwks.json" bootstrap 30
  echo "local-stack: up"
  echo "  token endpoint  POST http://$BIND/token"
  echo "  JWKS            GET  http://$BIND/.well-known/jwks.json"
  echo "  metadata        GET  http://$BIND/.well-known/oauth-authorization-server"
  echo "  AWS emulator    $AWS_ENDPOINT_URL (region eu-west-1, credentials key/secret)"
}

down() {
  for name in bootstrap moto; do
    if alive "$name"; then kill "$(cat "$RUN/$name.pid")" && echo "local-stack: stopped $name"; fi
    rm -f "$RUN/$name.pid"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  logs) tail -n 50 "$RUN"/init.log "$RUN"/bootstrap.log "$RUN"/moto.log 2>/dev/null ;;
  status) for n in moto bootstrap; do alive "$n" && echo "$n: running" || echo "$n: stopped"; done ;;
  *) echo "usage: $0 up|down|logs|status" >&2; exit 2 ;;
esac
