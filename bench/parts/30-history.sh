#!/usr/bin/env bash
# History ingest and queries (issue 10 §4, issue 4 §Speed): history-bench prints its figures as text.
set -euo pipefail
out=$("$BIN/history-bench" --events 300000 --rounds 1 2>&1 | tee /dev/stderr)
{ echo "## History (history-bench)"; echo; echo '```'; echo "$out"; echo '```'; echo; } >>"$BENCH_LOG"
