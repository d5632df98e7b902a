#!/usr/bin/env bash
# Checks `make install` without containers or root-owned paths: installs BINARY with
# deploy/install.sh into a temporary prefix and checks what landed there.
#
#   bash deploy/install_check.sh BINARY GENERATE_MANUAL
#
# - the installed files are exactly the expected list;
# - the installed binary answers `version`;
# - the man page renders (`man -l`, and groff with every warning on, which must print nothing) and
#   documents every subcommand;
# - the completion scripts parse (`bash -n`, `zsh -n`, `fish -n`);
# - the unit passes `systemd-analyze verify` with no message at all (it exits 0 on a bad setting
#   and only prints it), its Documentation=man:ccpool(1) resolves to the installed page, and
#   `systemd-analyze security` rates its exposure 2.0 or lower;
# - every installed example config passes `ccpool check-config`.
# Prints PASS/FAIL lines; exits non-zero on any failure.
set -uo pipefail

binary=${1:?usage: install_check.sh BINARY GENERATE_MANUAL}
generate_manual=${2:?usage: install_check.sh BINARY GENERATE_MANUAL}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
failed=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

if ! bash "$here/install.sh" "$binary" "$prefix" "" "$generate_manual"; then
    fail "deploy/install.sh"
    exit 1
fi

expected="bin/ccpool
lib/systemd/system/ccpool.service
share/bash-completion/completions/ccpool
$(cd "$here/examples" && for f in *.yaml; do echo "share/doc/ccpool/examples/$f"; done)
share/fish/vendor_completions.d/ccpool.fish
share/man/man1/ccpool.1
share/zsh/site-functions/_ccpool"
got=$(cd "$prefix" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
if [ "$got" = "$(echo "$expected" | LC_ALL=C sort)" ]; then
    pass "install lists the expected $(echo "$got" | wc -l) files"
else
    fail "installed files differ from the expected list:"
    diff <(echo "$expected" | LC_ALL=C sort) <(echo "$got") | sed 's/^/    /'
fi

if "$prefix/bin/ccpool" version | grep -q '^ccpool '; then pass "installed ccpool answers version"; else fail "installed ccpool version"; fi

page="$prefix/share/man/man1/ccpool.1"
if rendered=$(MANWIDTH=100 man -l "$page" 2>"$work/man.err") && [ ! -s "$work/man.err" ] \
    && echo "$rendered" | grep -q "^NAME"; then
    missing=""
    for sub in serve migrate history check-config version; do
        echo "$rendered" | grep -qE "^ +$sub( |$)" || missing="$missing $sub"
    done
    if [ -z "$missing" ]; then pass "man page renders (man -l) and documents every subcommand"; else fail "man page lacks:$missing"; fi
else
    fail "man -l $page"; cat "$work/man.err"
fi
warnings=$(groff -mandoc -Tutf8 -ww -z "$page" 2>&1)
if [ -z "$warnings" ]; then pass "groff -ww renders the man page without warnings"; else fail "groff warnings:"; echo "$warnings"; fi

for shell in bash zsh fish; do
    case $shell in
        bash) file="$prefix/share/bash-completion/completions/ccpool" ;;
        zsh) file="$prefix/share/zsh/site-functions/_ccpool" ;;
        fish) file="$prefix/share/fish/vendor_completions.d/ccpool.fish" ;;
    esac
    if ! command -v $shell >/dev/null; then fail "$shell is not installed"; continue; fi
    if [ -s "$file" ] && $shell -n "$file"; then pass "$shell -n completion script"; else fail "$shell completion script"; fi
done

unit="$prefix/lib/systemd/system/ccpool.service"
if command -v systemd-analyze >/dev/null; then
    out=$(MANPATH="$prefix/share/man" systemd-analyze verify "$unit" 2>&1)
    status=$?
    if [ $status -eq 0 ] && [ -z "$out" ]; then pass "systemd-analyze verify ccpool.service"; else fail "systemd-analyze verify (exit $status):"; echo "$out"; fi
    if systemd-analyze security --offline=yes --threshold=20 "$unit" >"$work/security" 2>&1; then
        pass "systemd-analyze security: $(grep -o 'exposure level for ccpool.service: .*' "$work/security")"
    else
        fail "systemd-analyze security over 2.0:"; tail -20 "$work/security"
    fi
    if grep -q "^ExecStart=$prefix/bin/ccpool serve$" "$unit" && grep -q "^ExecReload=/bin/kill -HUP \$MAINPID$" "$unit"; then
        pass "unit runs the installed binary, reloads with SIGHUP"
    else
        fail "unit ExecStart/ExecReload"
    fi
else
    fail "systemd-analyze is not installed (apt-get install systemd)"
fi

for config in "$prefix"/share/doc/ccpool/examples/*.yaml; do
    if "$prefix/bin/ccpool" check-config "$config" >/dev/null; then pass "check-config examples/$(basename "$config")"; else fail "check-config $config"; fi
done

echo "install: $failed failed"
[ $failed -eq 0 ]
