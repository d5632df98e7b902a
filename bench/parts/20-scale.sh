#!/usr/bin/env bash
# Subchannel scale: N targets × 3 addresses (N = 1,000 and 5,000) against
# loopback HTTP/2 backends in other processes; ccpool beside grpcio (C-core) and grpc-swift-2 clients in the
# same run. Builds the backend (gcc) and the grpc-swift-2 peers package (bench/peers, its own .build), then
# runs bench/scale/scale.py, which appends the table rows and stops every process it starts.
# SCALE_SIZES=1000 (comma-separated) and SCALE_CLIENTS=ccpool,grpcio narrow the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/opt/swift/usr/bin"

# shellcheck source=bench/parts/scale_setup.bash
source bench/parts/scale_setup.bash

echo "   building bench/peers (grpc-swift-2 clients, release)" >&2
swift build -c release --package-path bench/peers >&2
peers="$(swift build -c release --package-path bench/peers --show-bin-path)/grpc-swift2-clients"

run_harness python3 bench/scale/scale.py --ccpool "$BIN/ccpool" --peers "$peers" --backend "$work/h2backend" \
    --sizes "${SCALE_SIZES:-1000,5000}" --clients "${SCALE_CLIENTS:-ccpool,grpcio,grpc-swift-2}" \
    --json "$work/scale.json"
