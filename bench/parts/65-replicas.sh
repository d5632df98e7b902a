#!/usr/bin/env bash
# GET /v1/targets answered for a pool of three replicas (each asks the other two and merges) against one
# replica listing the same number of targets alone: see replicas_bench.py.
set -euo pipefail
cd "$(dirname "$0")"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# shellcheck source=driver.bash
. ./driver.bash
run_driver 300 replicas_bench.py
