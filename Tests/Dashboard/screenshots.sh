#!/usr/bin/env bash
# Screenshots of the dashboard's two pages (README images): writes Tests/Dashboard/screenshots/dashboard.png
# and target.png from a running ccpool with real backends and a seeded hour of history (see screenshots.py).
# CCPOOL_BIN picks the binary (default .build/debug/ccpool). Needs chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec "${PYTHON:-python3}" Tests/Dashboard/screenshots.py "$@"
