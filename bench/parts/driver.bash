# Sourced by bench parts: runs a Python driver in the background under a time bound, so that the part's
# EXIT trap can stop it (and it, its children) if the part is interrupted; removes the work directory.
#   run_driver SECONDS SCRIPT.py   (the driver gets the work directory as its argument)
# The trap runs after run_driver has returned, so what it needs is global.
driver_pid=""
driver_work=""
# shellcheck disable=SC2317  # invoked by the trap
stop_driver() {
    if [ -n "$driver_pid" ] && kill -0 "$driver_pid" 2>/dev/null; then kill "$driver_pid"; wait "$driver_pid" || true; fi
    if [ -n "$driver_work" ]; then rm -rf "$driver_work"; fi
}
run_driver() {
    driver_work=$(mktemp -d)
    trap stop_driver EXIT
    timeout "$1" python3 "$2" "$driver_work" &
    driver_pid=$!
    wait "$driver_pid"
}
