#!/usr/bin/env bash
# deploy/contract_test.sh — runs the release binary the way deploy/Dockerfile runs it, without a
# container engine: as the unprivileged UID/GID 10001, from /, configured only by
# CCPOOL_* environment variables and a read-only config file, writing only to its data
# directory; it must answer the probes, and on SIGTERM exit 0 within the shutdown deadline with
# the history flushed (SHUTDOWN rows present, WAL checkpointed).
#
#   bash deploy/contract_test.sh            (builds .build/release/ccpool if missing)
#   CCPOOL_RELEASE_BIN=path bash deploy/contract_test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

BIN=${CCPOOL_RELEASE_BIN:-.build/release/ccpool}
if [ ! -x "$BIN" ]; then swift build -c release --product ccpool >/dev/null; fi
[ "$(id -u)" = 0 ] || { echo "contract test: needs root to run the binary as UID 10001"; exit 2; }

WORK=$(mktemp -d /tmp/ccpool-contract.XXXXXX)
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

# The image's layout: a root-owned binary and config (read-only to the service), a data volume
# owned by 10001:10001.
chmod 0755 "$WORK"
install -m 0755 "$BIN" "$WORK/ccpool"
mkdir -p "$WORK/etc" "$WORK/data"
cat >"$WORK/etc/ccpool.yaml" <<'YAML'
targets:
  - name: nowhere
    target: "ipv4:127.0.0.1:1"
    backoff: {base_delay: "100ms", max_delay: "1s"}
YAML
chmod 0444 "$WORK/etc/ccpool.yaml"
chmod 0555 "$WORK/etc"
chown 10001:10001 "$WORK/data"
chmod 0700 "$WORK/data"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
touch "$WORK/started"

# The Kubernetes init container's (and compose's ccpool-migrate) step: `migrate` as 10001, from /.
if (cd / && env -i PATH=/usr/bin:/bin CCPOOL_DATABASE="$WORK/data/ccpool.db" \
    setpriv --reuid=10001 --regid=10001 --clear-groups "$WORK/ccpool" migrate) >"$WORK/migrate.log" 2>&1; then
    ok "ccpool migrate as 10001 creates the database (init container)"
else
    bad "ccpool migrate as 10001"; cat "$WORK/migrate.log"
fi

# Started from /, with an environment holding nothing but the settings (the image's
# CCPOOL_PENDING_MIGRATIONS=refuse included).
(cd / && exec env -i PATH=/usr/bin:/bin \
    CCPOOL_LISTEN="127.0.0.1:$PORT" CCPOOL_DATABASE="$WORK/data/ccpool.db" CCPOOL_CONFIG="$WORK/etc/ccpool.yaml" \
    CCPOOL_LOG_FORMAT=json CCPOOL_SHUTDOWN_DEADLINE=10s CCPOOL_PENDING_MIGRATIONS=refuse \
    setpriv --reuid=10001 --regid=10001 --clear-groups "$WORK/ccpool" serve) >"$WORK/log" 2>&1 &
PID=$!

probe() { python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=2).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print(0)
PY
}
status=0
for _ in $(seq 1 300); do
    status=$(probe "http://127.0.0.1:$PORT/healthz")
    [ "$status" = 200 ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
[ "$status" = 200 ] && ok "/healthz 200 as UID 10001 from /" || bad "/healthz answered $status"
ready=$(probe "http://127.0.0.1:$PORT/readyz")
[ "$ready" = 200 ] && ok "/readyz 200 (history open, config applied)" || bad "/readyz answered $ready"
[ "$(stat -c %u "$WORK/data/ccpool.db" 2>/dev/null)" = 10001 ] && ok "database created in the data directory by 10001" ||
    bad "no database owned by 10001 in the data directory"

# SIGTERM: exit 0 within the deadline.
start=$(date +%s%N)
kill -TERM "$PID"
code=124
for _ in $(seq 1 150); do
    if ! kill -0 "$PID" 2>/dev/null; then
        wait "$PID" && code=0 || code=$?
        break
    fi
    sleep 0.1
done
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
PID=""
[ "$code" = 0 ] && ok "SIGTERM: exit 0 after ${elapsed_ms} ms (deadline 10 s)" || bad "SIGTERM: exit code $code after ${elapsed_ms} ms"

# Flushed: SHUTDOWN recorded for the channel and its subchannel, and the WAL checkpointed.
rows=$("$WORK/ccpool" history --database "$WORK/data/ccpool.db" --target nowhere --to SHUTDOWN 2>/dev/null | wc -l)
[ "$rows" -ge 2 ] && ok "history flushed: $rows SHUTDOWN rows" || bad "history has $rows SHUTDOWN rows, expected at least 2"
wal_size=$(stat -c %s "$WORK/data/ccpool.db-wal" 2>/dev/null || echo 0)
[ "$wal_size" = 0 ] && ok "WAL checkpointed on close" || bad "WAL still holds $wal_size bytes"

# Wrote nothing outside its data directory.
outside=$(find "$WORK" /tmp -xdev -newer "$WORK/started" -user 10001 -not -path "$WORK/data*" 2>/dev/null | head -5)
[ -z "$outside" ] && ok "nothing written outside the data directory" || bad "files written elsewhere: $outside"

echo "contract: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
    echo "--- log ---"
    tail -20 "$WORK/log"
    exit 1
fi
