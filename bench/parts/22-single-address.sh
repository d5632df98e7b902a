#!/usr/bin/env bash
# Single-address scale: N targets with one address each (pick_first; N = 15,000 unless SINGLE_SIZES says
# otherwise, e.g. SINGLE_SIZES=5000 or 5000,15000) against loopback HTTP/2 backends in other processes:
# ccpool with the targets in its config at start, ccpool given the same targets by one SIGHUP (probing
# /healthz, /metrics and a target route meanwhile), grpcio (C-core, one channel per target) and the floor
# (bare SwiftNIO + NIOHTTP2 connections) in the same run. Builds the backend (gcc) and the floor (bench/peers,
# its own .build), then runs bench/scale/single.py, which appends the table rows and stops every process it
# starts. SINGLE_CLIENTS=start,reload,grpcio,floor (comma-separated) narrows the run; SINGLE_BACKENDS sets
# how many backend processes (one address each) the targets are spread over (4).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/opt/swift/usr/bin"

# shellcheck source=bench/parts/scale_setup.bash
source bench/parts/scale_setup.bash

echo "   building bench/peers nio-h2-floor (release)" >&2
swift build -c release --package-path bench/peers --product nio-h2-floor >&2
floor="$(swift build -c release --package-path bench/peers --show-bin-path)/nio-h2-floor"

run_harness python3 bench/scale/single.py --ccpool "$BIN/ccpool" --floor "$floor" --backend "$work/h2backend" \
    --sizes "${SINGLE_SIZES:-15000}" --clients "${SINGLE_CLIENTS:-start,reload,grpcio,floor}" \
    --backends "${SINGLE_BACKENDS:-4}" --json "$work/single.json"
