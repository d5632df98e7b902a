#!/usr/bin/env python3
"""ccpool's demo: a living pool on one machine, without any network.

    python3 demo/demo.py [--ccpool PATH] [--listen HOST:PORT] [--flap-every S] [--restart-every S]
                         [--workdir DIR] [-- SERVE-ARGS...]

`make run` runs this when no config is given. It starts four local gRPC servers with the standard
health service (Tests/Peers/health_server.py, each on a free loopback port), writes a config with a
target per behaviour, and runs `ccpool serve` on it:

    steady       round_robin over two servers, health-checked, always SERVING
    flapping     its server's health flips SERVING <-> NOT_SERVING every --flap-every seconds
    restarting   its server is killed every --restart-every seconds and started again 2 s later
    unreachable  a loopback port nobody listens on: CONNECTING / TRANSIENT_FAILURE with backoff

so the dashboard, /metrics and the history move within seconds. Ctrl-C (SIGINT) or SIGTERM stops
ccpool first (it records SHUTDOWN rows and flushes its history), then every server, each by its PID;
the config and database live in a temporary directory removed on exit unless --workdir is given.
If ccpool exits on its own the demo stops too, with ccpool's exit status.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEER = REPO / "Tests" / "Peers" / "health_server.py"


def say(text: str) -> None:
    print(f"ccpool demo: {text}", flush=True)


class Server:
    """One health_server.py process; commands go to its stdin, answers come back on its stdout."""

    def __init__(self, name: str, port: int = 0):
        self.name = name
        self.port = port
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def start(self) -> "Server":
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(PEER), str(self.port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "listening":
            raise RuntimeError(f"server {self.name} did not start (is grpcio installed? make deps)")
        self.port = int(line[1])
        return self

    def set(self, service: str, status: str) -> None:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                return
            self.process.stdin.write(f"set {service or '-'} {status}\n")
            self.process.stdin.flush()
            self.process.stdout.readline()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(servers: dict[str, Server], unreachable: int, listen: str, database: Path) -> dict:
    fast = {"base_delay": "200ms", "max_delay": "2s"}
    health = lambda service: {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": service}}
    return {
        "listen": listen,
        "database": str(database),
        "targets": [
            {"name": "steady", "target": f"ipv4:127.0.0.1:{servers['a'].port},127.0.0.1:{servers['b'].port}",
             "service_config": health(""), "labels": {"demo": "steady"}, "backoff": fast},
            {"name": "flapping", "target": f"ipv4:127.0.0.1:{servers['c'].port}",
             "service_config": health("demo.Flapping"), "labels": {"demo": "flapping"}, "backoff": fast},
            {"name": "restarting", "target": f"ipv4:127.0.0.1:{servers['d'].port}",
             "labels": {"demo": "restarting"}, "backoff": fast, "keepalive": {"time": "1s", "timeout": "1s"}},
            {"name": "unreachable", "target": f"ipv4:127.0.0.1:{unreachable}", "labels": {"demo": "unreachable"},
             "backoff": fast},
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="ccpool's demo: local flapping gRPC servers and a config watching them.")
    parser.add_argument("--ccpool", default=str(REPO / ".build" / "release" / "ccpool"), help="the ccpool binary")
    parser.add_argument("--listen", default="127.0.0.1:9090", help="where ccpool serves HTTP")
    parser.add_argument("--flap-every", type=float, default=2.0, metavar="S")
    parser.add_argument("--restart-every", type=float, default=8.0, metavar="S")
    parser.add_argument("--workdir", help="keep the config and database here (default: a temporary directory)")
    parser.add_argument("serve_args", nargs="*", help="more arguments for `ccpool serve` (after --)")
    args = parser.parse_args()
    if not os.access(args.ccpool, os.X_OK):
        print(f"ccpool demo: no ccpool binary at {args.ccpool} (make release, or pass --ccpool)", file=sys.stderr)
        return 2
    if args.flap_every <= 0 or args.restart_every <= 2:
        print("ccpool demo: --flap-every must be > 0 and --restart-every > 2", file=sys.stderr)
        return 2

    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())

    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="ccpool-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    servers = {name: Server(name) for name in "abcd"}
    ccpool: subprocess.Popen | None = None
    status = 0
    host, _, port = args.listen.rpartition(":")
    url = f"http://{host}:{port}"
    try:
        say("no config given, so this is the DEMO: four local gRPC health servers (one flaps its health "
            f"every {args.flap_every:g} s, one is killed and restarted every {args.restart_every:g} s), "
            "and an unreachable target, all on 127.0.0.1.")
        say(f"dashboard {url}/ · metrics {url}/metrics · history {url}/v1/history")
        say("to run on a real config instead: make run CONFIG=path/to/ccpool.yaml "
            "(examples in deploy/examples/), or: ccpool serve --config FILE")
        for server in servers.values():
            server.start()
            say(f"server {server.name} pid {server.process.pid} on 127.0.0.1:{server.port}")
        servers["c"].set("demo.Flapping", "SERVING")
        path = workdir / "demo.yaml"
        path.write_text(json.dumps(config(servers, unused_port(), args.listen, workdir / "demo.db"), indent=2) + "\n")
        say(f"config {path}, database {workdir / 'demo.db'}"
            + ("" if args.workdir else " (removed on exit)") + "; Ctrl-C stops everything")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCPOOL_")}
        ccpool = subprocess.Popen([args.ccpool, "serve", "--config", str(path), *args.serve_args], env=env)
        say(f"ccpool pid {ccpool.pid}")

        flapping_serving = True
        next_flap = time.monotonic() + args.flap_every
        next_kill = time.monotonic() + args.restart_every
        restart_at = None
        while not stopping.is_set():
            if ccpool.poll() is not None:
                status = ccpool.returncode
                say(f"ccpool exited with status {status}; stopping the servers")
                break
            now = time.monotonic()
            if now >= next_flap:
                flapping_serving = not flapping_serving
                servers["c"].set("demo.Flapping", "SERVING" if flapping_serving else "NOT_SERVING")
                next_flap = now + args.flap_every
            if now >= next_kill and restart_at is None:
                servers["d"].kill()
                restart_at = now + 2
            if restart_at is not None and now >= restart_at:
                servers["d"].start()
                say(f"server d pid {servers['d'].process.pid} on 127.0.0.1:{servers['d'].port} (restarted)")
                restart_at = None
                next_kill = now + args.restart_every - 2
            stopping.wait(0.1)
    finally:
        if ccpool is not None and ccpool.poll() is None:
            os.kill(ccpool.pid, signal.SIGTERM)
            try:
                status = ccpool.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(ccpool.pid, signal.SIGKILL)
                ccpool.wait(5)
                status = 1
        for server in servers.values():
            server.stop()
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        say("stopped")
    return status


if __name__ == "__main__":
    sys.exit(main())
