#!/usr/bin/env bash
# Failure detection: time from a backend's death to the subchannel leaving READY, and from its
# return to READY, for ccpool and a grpcio channel on the same kills: see fd_bench.py.
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=driver.bash
. ./driver.bash
run_driver 300 fd_bench.py
