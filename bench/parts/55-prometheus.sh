#!/usr/bin/env bash
# /metrics render time against swift-prometheus: bench/prometheus, a package of its own that
# depends on swift-prometheus 2.4.1 and on this package's MetricsExposition library, renders the same ~10k and
# ~100k series both ways in one process (see its main.swift). Its build stays out of the service's build and CI.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/opt/swift/usr/bin"
package=../prometheus
echo "   building bench/prometheus (release; first build fetches swift-prometheus)" >&2
timeout 1200 swift build -c release --package-path "$package" >&2
bin=$(swift build -c release --package-path "$package" --show-bin-path)
timeout 300 "$bin/PrometheusEmitBench" "${PROMETHEUS_ROUNDS:-15}" 2>"${TMPDIR:-/tmp}/prometheus-bench.$$" \
    | python3 prometheus_rows.py
cat "${TMPDIR:-/tmp}/prometheus-bench.$$" >&2
{ echo "## /metrics render against swift-prometheus 2.4.1 (bench/prometheus)"; echo; echo '```';
  cat "${TMPDIR:-/tmp}/prometheus-bench.$$"; echo '```'; echo; } >>"$BENCH_LOG"
rm -f "${TMPDIR:-/tmp}/prometheus-bench.$$"
