#!/usr/bin/env bash
# Failure detection (issue 10 §6): time from a backend's death to the subchannel leaving READY, and from its
# return to READY, for ccpool and a grpcio channel on the same kills: see fd_bench.py.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
driver=""
cleanup() {
    if [ -n "$driver" ] && kill -0 "$driver" 2>/dev/null; then kill "$driver"; wait "$driver" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
timeout 300 python3 fd_bench.py "$work" &
driver=$!
wait "$driver"
