#!/usr/bin/env bash
# GET /metrics and /healthz requests/s against nginx serving the same bytes: see http_bench.py.
# Installs wrk and nginx when missing (Debian, non-interactive, as the Makefile's deps target does).
set -euo pipefail
cd "$(dirname "$0")"
missing=""
for p in wrk nginx; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "   installing:$missing" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
    # Where the installer may start services (no policy-rc.d), it starts nginx on port 80: this part runs its
    # own, so stop the one the install just started, by its PID.
    if [[ "$missing" == *nginx* && -s /run/nginx.pid ]]; then $SUDO kill "$(cat /run/nginx.pid)" 2>/dev/null || true; fi
fi
# shellcheck source=driver.bash
. ./driver.bash
run_driver 300 http_bench.py
