#!/usr/bin/env bash
# Headless-Chromium check of the dashboard's DOM against the JSON API, on a running ccpool with real
# backends (see check_dom.py). CCPOOL_BIN picks the binary (default .build/debug/ccpool); CI=true turns a
# missing chromium into a failure instead of a skip.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec "${PYTHON:-python3}" Tests/Dashboard/check_dom.py "$@"
