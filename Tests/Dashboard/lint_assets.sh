#!/usr/bin/env bash
# Lints the dashboard's JavaScript (ESLint, Debian's `eslint` package, with Tests/Dashboard/eslintrc.json)
# and parses its style sheets (Tests/Dashboard/check_css.py, tinycss2 from pip). Installs either when
# missing. Exits non-zero on any finding.
#
# The page scripts run as `(function(){` + common.js + page.js + `})();` (DashboardScript.swift): common.js
# is linted as a script of its own, each page's part with a top-level `return` allowed and the helpers of
# common.js as globals.
set -euo pipefail
cd "$(dirname "$0")/../.."
python="${PYTHON:-python3}"
assets=Sources/CCPoolService/Dashboard/Assets

if ! command -v eslint >/dev/null 2>&1; then
  echo "installing eslint (apt)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends eslint
fi
if ! "$python" -c 'import tinycss2' 2>/dev/null; then
  echo "installing tinycss2 (pip)"
  "$python" -m pip install -q tinycss2 || "$python" -m pip install -q --break-system-packages tinycss2
fi

# Debian's node finds its packages in /usr/share/nodejs by itself; another node (such as NodeSource's)
# needs the path.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
# `unix` output: the default formatter needs a module Debian's eslint does not ship for every node.
eslint --no-eslintrc -c Tests/Dashboard/eslintrc.json -f unix --max-warnings 0 "$assets"/*.js
"$python" Tests/Dashboard/check_css.py "$assets"/*.css
echo "lint_assets.sh: $(ls "$assets"/*.js | wc -l) scripts and $(ls "$assets"/*.css | wc -l) style sheet(s) clean"
