# Sourced by the scale parts (20-scale, 22-single-address): what both need before their harness runs.
#   - open files raised to the hard limit (thousands of client connections in one process);
#   - $work, a temporary directory, removed on exit, with h2backend built into it;
#   - curl (the harnesses time /metrics scrapes with it) and grpcio installed when missing;
#   - run_harness ARGV...: runs a harness in the background and waits for it; the EXIT trap stops it by PID
#     (TERM, then KILL after 30 s) if the part is interrupted.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "   open files: $(ulimit -n)" >&2

work=$(mktemp -d)
harness=""
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    if [[ -n "$harness" ]] && kill -0 "$harness" 2>/dev/null; then
        kill -TERM "$harness" 2>/dev/null || true
        for _ in $(seq 1 300); do kill -0 "$harness" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$harness" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v curl >/dev/null; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends curl >&2
fi
python3 -c 'import grpc' 2>/dev/null || python3 -m pip install -q grpcio

echo "   building h2backend" >&2
gcc -O2 -Wall -o "$work/h2backend" bench/scale/h2backend.c

run_harness() {
    "$@" &
    harness=$!
    wait "$harness"
}
