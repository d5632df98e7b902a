#!/usr/bin/env bash
# ccpool's end-to-end and fault suite: real grpcio backends, a real Prometheus, the real binary.
#
#   bash Tests/E2E/run.sh                      # the whole suite (under 10 minutes on 2 cores)
#   bash Tests/E2E/run.sh -k scenario_3        # one scenario (any pytest arguments pass through)
#   CCPOOL_BIN=/path/to/ccpool bash Tests/E2E/run.sh
#   E2E_FULL=1 bash Tests/E2E/run.sh -k scenario_11   # the full load size (1,000 targets, 2 min)
#
# The binary defaults to <repo>/.build/debug/ccpool. Installs what is missing first: prometheus
# (Debian, brings promtool) and the Python packages of requirements.txt. Needs root for apt and for
# scenario 8's tmpfs mount (skipped, with the reason, when the mount is refused).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-python3}"

export CCPOOL_BIN="${CCPOOL_BIN:-$REPO/.build/debug/ccpool}"
if [ ! -x "$CCPOOL_BIN" ]; then
  echo "run.sh: ccpool binary not found at $CCPOOL_BIN: build it (swift build) or set CCPOOL_BIN" >&2
  exit 2
fi

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  echo "run.sh: installing prometheus (apt)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus \
    || { echo "run.sh: could not install prometheus" >&2; exit 2; }
fi

missing=""
for module in pytest:pytest grpc:grpcio grpc_health:grpcio-health-checking prometheus_client:prometheus-client; do
  "$PYTHON" -c "import ${module%%:*}" 2>/dev/null || missing="$missing ${module##*:}"
done
if [ -n "$missing" ]; then
  echo "run.sh: installing (pip):$missing"
  "$PYTHON" -m pip install -q -r "$HERE/requirements.txt" \
    || "$PYTHON" -m pip install -q --break-system-packages -r "$HERE/requirements.txt" \
    || { echo "run.sh: pip install failed" >&2; exit 2; }
fi

cd "$HERE"
started=$(date +%s)
# A hard bound on the whole run: every wait inside is bounded too, this is the last resort.
timeout --kill-after=30 "${E2E_TIMEOUT:-1500}" "$PYTHON" -m pytest -q "$@"
status=$?
elapsed=$(( $(date +%s) - started ))
if [ $status -eq 0 ]; then verdict="PASSED"; elif [ $status -eq 124 ]; then verdict="TIMED OUT"; else verdict="FAILED (pytest exit $status)"; fi
echo "E2E SUMMARY: $verdict in ${elapsed}s with $CCPOOL_BIN; timings in Tests/E2E/results.md"
exit $status
