#!/usr/bin/env bash
# Picks and the balancer serializer: ccpool-bench prints one JSON object per figure.
set -euo pipefail
cd "$(dirname "$0")"
{ "$BIN/ccpool-bench" picks --seconds 2; "$BIN/ccpool-bench" serializer --rounds 2000; } \
    | tee /dev/stderr | python3 ccpool_bench_rows.py
