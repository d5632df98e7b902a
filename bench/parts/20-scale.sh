#!/usr/bin/env bash
# Subchannel scale: N targets × 3 addresses (N = 1,000 and 5,000) against
# loopback HTTP/2 backends in other processes; ccpool beside grpcio (C-core) and grpc-swift-2 clients in the
# same run. Builds the backend (gcc) and the grpc-swift-2 peers package (bench/peers, its own .build), then
# runs bench/scale/scale.py, which appends the table rows and stops every process it starts.
# SCALE_SIZES=1000 (comma-separated) and SCALE_CLIENTS=ccpool,grpcio narrow the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/opt/swift/usr/bin"

# 15,000 client connections in one process and up to 5,000 per backend: open files as far as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "   open files: $(ulimit -n)" >&2

work=$(mktemp -d)
harness=""
cleanup() {
    if [[ -n "$harness" ]] && kill -0 "$harness" 2>/dev/null; then
        kill -TERM "$harness" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$harness" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$harness" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# scale.py times the /metrics scrapes with curl.
if ! command -v curl >/dev/null; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends curl >&2
fi

echo "   building h2backend" >&2
gcc -O2 -Wall -o "$work/h2backend" bench/scale/h2backend.c
echo "   building bench/peers (grpc-swift-2 clients, release)" >&2
swift build -c release --package-path bench/peers >&2
peers="$(swift build -c release --package-path bench/peers --show-bin-path)/grpc-swift2-clients"
python3 -c 'import grpc' 2>/dev/null || python3 -m pip install -q grpcio

python3 bench/scale/scale.py --ccpool "$BIN/ccpool" --peers "$peers" --backend "$work/h2backend" \
    --sizes "${SCALE_SIZES:-1000,5000}" --clients "${SCALE_CLIENTS:-ccpool,grpcio,grpc-swift-2}" \
    --json "$work/scale.json" &
harness=$!
wait "$harness"
