#!/usr/bin/env bash
# make bench: every benchmark beside its reference measured in the same run, printed as one table and
# written to bench/results.md.
#
# Each part is a script bench/parts/NN-name.sh, run in name order with:
#   BIN        the directory of ccpool's release products (already built)
#   BENCH_ROWS a file to which the part appends one JSON object per table row:
#              {"figure": str, "ccpool": str, "reference": str, "ratio": number|null,
#               "goal": str, "verdict": "met"|"not met"|""}
#   BENCH_LOG  a file for details worth keeping under the table (appended verbatim)
# A part prints its progress on stderr, bounds its own time, and stops every process it starts.
# BENCH_ONLY=name-substring runs only the matching parts.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

started=$(date +%s)
echo "== building release products" >&2
swift build -c release >/dev/null
BIN="$PWD/.build/release"
OUT=bench/results.md
BENCH_ROWS=$(mktemp)
BENCH_LOG=$(mktemp)
trap 'rm -f "$BENCH_ROWS" "$BENCH_LOG"' EXIT
export BIN BENCH_ROWS BENCH_LOG
built=$(date +%s)

failed=()
for part in bench/parts/*.sh; do
    name=$(basename "$part" .sh)
    if [[ -n "${BENCH_ONLY:-}" && "$name" != *"$BENCH_ONLY"* ]]; then continue; fi
    echo "== $name" >&2
    part_start=$(date +%s)
    if ! bash "$part"; then
        failed+=("$name")
        echo "!! $name failed" >&2
    fi
    echo "   ($name took $(($(date +%s) - part_start)) s)" >&2
done

{
    echo "# Benchmark results"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
        "$(uname -sr), $(swift --version 2>/dev/null | head -1)." \
        "Build $((built - started)) s, measurements $(($(date +%s) - built)) s."
    echo
    echo "| figure | ccpool | reference (same run) | ratio | goal | verdict |"
    echo "| --- | --- | --- | --- | --- | --- |"
    python3 - "$BENCH_ROWS" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)
    ratio = r.get("ratio")
    ratio = "" if ratio is None else f"{ratio:.2f}"
    print(f"| {r['figure']} | {r['ccpool']} | {r.get('reference', '')} | {ratio} | {r.get('goal', '')} | {r.get('verdict', '')} |")
PY
    if ((${#failed[@]})); then
        echo
        echo "Parts that failed: ${failed[*]}"
    fi
    echo
    cat "$BENCH_LOG"
} >"$OUT"
echo
cat "$OUT"
((${#failed[@]} == 0))
