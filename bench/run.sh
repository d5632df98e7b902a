#!/usr/bin/env bash
# make bench: the benchmarks that exist so far, each beside its reference measured in the same
# run, printed as one table and written to bench/results.md (issue 10 grows this).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

for product in ccpool-bench history-bench MetricsBenchmark; do swift build -c release --product "$product" >/dev/null; done
BIN=.build/release
OUT=bench/results.md
RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT

echo "== picks and serializer"
"$BIN/ccpool-bench" picks --seconds 2 | tee -a "$RAW"
"$BIN/ccpool-bench" serializer --rounds 2000 | tee -a "$RAW"

echo "== history ingest (300,000 events, production schema vs bare batched insert)"
HISTORY=$("$BIN/history-bench" --events 300000 --rounds 1 2>&1 | tee /dev/stderr)

echo "== /metrics render"
METRICS=$("$BIN/MetricsBenchmark" 5 2>&1 | tee /dev/stderr)

{
    echo "# Benchmark results"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(uname -sr), $(swift --version 2>/dev/null | head -1)"
    echo
    echo "| figure | ccpool | reference | ratio | goal |"
    echo "| --- | --- | --- | --- | --- |"
    python3 - "$RAW" <<'PY'
import json, sys
goals = {"picks/s": "ratio >= 0.33 (within 3x of the floor)", "updates/s": "(no goal stated)"}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    print(f"| {r['figure']} | {r['ccpool']:,} {r['unit']} | {r['reference']:,} ({r['reference_name']}) | {r['ratio']} | {goals.get(r['unit'], '')} |")
PY
    echo
    echo "## History ingest (history-bench)"
    echo
    echo '```'
    echo "$HISTORY"
    echo '```'
    echo
    echo "## /metrics render (MetricsBenchmark)"
    echo
    echo '```'
    echo "$METRICS"
    echo '```'
    echo
    echo "Not measured yet (issue 10): subchannel scale against grpcio and grpc-swift-2, wrk against nginx,"
    echo "swift-prometheus emit, failure detection."
} >"$OUT"
echo
cat "$OUT"
