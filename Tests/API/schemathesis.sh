#!/usr/bin/env bash
# Runs schemathesis against a live `ccpool serve` and its own /openapi.yaml: every operation, every check,
# once with the admin token and once without. Exits non-zero on any failure.
#
#   CCPOOL_BIN      the binary to test (default .build/debug/ccpool)
#   ST_MAX_EXAMPLES examples per operation and phase (default 50)
#   ST_SEED         hypothesis seed (default: random; printed so a failure can be replayed)
#   PYTHON          python interpreter (default python3)
#   ST_SCHEMA       test against this OpenAPI file instead of the server's /openapi.yaml (for editing the
#                   document without rebuilding)
#
# The server gets a free loopback port, a temporary database, config and token, and is stopped by PID
# on every path out of this script. When grpcio is importable, a real gRPC health server
# (Tests/Peers/health_server.py) backs the target `payments`, so picks and health also answer 200/SERVING.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${CCPOOL_BIN:-$root/.build/debug/ccpool}"
python="${PYTHON:-python3}"
max_examples="${ST_MAX_EXAMPLES:-50}"
seed="${ST_SEED:-$RANDOM$RANDOM}"

[[ "$bin" = /* ]] || bin="$PWD/$bin"
if [[ ! -x "$bin" ]]; then
  echo "schemathesis.sh: $bin is not an executable (build it, or set CCPOOL_BIN)" >&2
  exit 2
fi

# schemathesis 4 (the `st` CLI, `--config-file`, per-operation check settings).
if ! "$python" -m schemathesis.cli --version >/dev/null 2>&1 \
  || ! "$python" -m schemathesis.cli --version 2>/dev/null | grep -Eq 'version 4\.'; then
  echo "installing schemathesis 4 (pip)"
  "$python" -m pip install -q 'schemathesis>=4.3,<5' \
    || "$python" -m pip install -q --break-system-packages 'schemathesis>=4.3,<5'
fi
st=("$python" -m schemathesis.cli)

work="$(mktemp -d "${TMPDIR:-/tmp}/ccpool-schemathesis.XXXXXX")"
server_pid=""
peer_pid=""
cleanup() {
  local status=$?
  for pid in "$server_pid" "$peer_pid"; do
    [[ -n "$pid" ]] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [[ $status -ne 0 && -f "$work/server.log" ]]; then
    echo "--- last lines of the server log ($work/server.log) ---" >&2
    tail -n 30 "$work/server.log" >&2 || true
  else
    rm -rf "$work"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A READY target when grpcio is there; otherwise `payments` never connects like `offline`.
payments_target="ipv4:127.0.0.1:1"
payments_extra=""
if "$python" -c 'import grpc, grpc_health' 2>/dev/null; then
  mkfifo "$work/peer.in"
  "$python" "$root/Tests/Peers/health_server.py" 0 <"$work/peer.in" >"$work/peer.out" 2>"$work/peer.err" &
  peer_pid=$!
  exec 3>"$work/peer.in"   # keeps the peer's stdin open; closing it (on exit) stops the peer too
  for _ in $(seq 1 100); do grep -q '^listening' "$work/peer.out" 2>/dev/null && break; sleep 0.1; done
  peer_port="$(awk '/^listening/ {print $2; exit}' "$work/peer.out")"
  if [[ -n "$peer_port" ]]; then
    echo "set SERVING" >&3
    payments_target="ipv4:127.0.0.1:$peer_port"
    payments_extra='    service_config: {"healthCheckConfig": {"serviceName": ""}}'
  fi
fi

token="st-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
port="$(free_port)"
cat >"$work/config.yaml" <<YAML
targets:
  - name: payments
    target: "$payments_target"
$payments_extra
  - name: offline
    target: "ipv4:127.0.0.1:1"
    idle: lazy
    labels: {team: billing}
YAML

CCPOOL_ADMIN_TOKEN="$token" "$bin" serve --listen "127.0.0.1:$port" --database "$work/ccpool.db" \
  --config "$work/config.yaml" --log-level warning >"$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
ready=""
for _ in $(seq 1 150); do
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  if curl -fsS "$base/readyz" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.1
done
if [[ -z "$ready" ]]; then
  echo "schemathesis.sh: the server did not become ready on $base" >&2
  exit 1
fi

schema="$base/openapi.yaml"
if [[ -n "${ST_SCHEMA:-}" ]]; then
  schema="$(cd "$(dirname "$ST_SCHEMA")" && pwd)/$(basename "$ST_SCHEMA")"
fi

# Run from the scratch directory (schemathesis keeps a cache in ./.schemathesis); the config names the
# hooks file relative to the working directory.
cp "$here/schemathesis.toml" "$here/schemathesis_hooks.py" "$work/"
cd "$work"
failed=0
run() {
  local label="$1"; shift
  echo "=== schemathesis ($label), seed $seed ==="
  if ! "${st[@]}" --config-file "$work/schemathesis.toml" run "$schema" --url "$base" \
      --checks all --max-examples "$max_examples" --seed "$seed" --no-color \
      --report junit --report-dir "$work/reports-$label" "$@"; then
    failed=1
  fi
}
run with-token --header "Authorization: Bearer $token"
run without-token

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "schemathesis.sh: the server exited during the run" >&2
  failed=1
fi
if [[ $failed -ne 0 ]]; then
  echo "schemathesis.sh: FAILED (seed $seed; replay with ST_SEED=$seed)" >&2
  exit 1
fi
echo "schemathesis.sh: passed (seed $seed)"
