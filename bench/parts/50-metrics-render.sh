#!/usr/bin/env bash
# /metrics render time: MetricsBenchmark prints its figures as text.
set -euo pipefail
out=$("$BIN/MetricsBenchmark" 5 2>&1 | tee /dev/stderr)
{ echo "## /metrics render (MetricsBenchmark)"; echo; echo '```'; echo "$out"; echo '```'; echo; } >>"$BENCH_LOG"
