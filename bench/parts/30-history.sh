#!/usr/bin/env bash
# History ingest and queries. history-bench prints its figures as text plus one
# `BENCH {json}` line per figure; history_bench_rows.py turns those into table rows.
#   ingest: HistoryWriter vs a bare batched insert into the same schema, alternated, medians of 3 rounds of
#           1M events over 1,000 targets (goals: >= 150,000 events/s and ratio >= 0.8)
#   query:  a 5-million-row database (built by history-bench's bulk path: index dropped, synchronous=OFF,
#           the index re-created in one sorted build), one target's newest 1,000 events while HistoryWriter
#           ingests 150,000 events/s offered (goal: p99 < 20 ms)
# Every database lives in a temporary directory that history-bench removes; bounded to ~2-3 minutes.
set -euo pipefail
cd "$(dirname "$0")"
dir=$(mktemp -d "${TMPDIR:-/tmp}/history-bench-part.XXXXXX")
trap 'rm -rf "$dir"' EXIT
out=$(timeout 300 "$BIN/history-bench" --dir "$dir/run" --events 1000000 --rounds 3 --query-rows 5000000 --queries 300 2>&1 \
      | tee /dev/stderr)
{ echo "## History (history-bench)"; echo; echo '```'; echo "$out" | grep -v '^BENCH '; echo '```'; echo; } >>"$BENCH_LOG"
echo "$out" | python3 history_bench_rows.py
