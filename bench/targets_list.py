#!/usr/bin/env python3
"""Latency and size of `GET /v1/targets` with many targets, for two or more ccpool binaries in one run.

    python3 bench/targets_list.py NAME=BINARY [NAME=BINARY ...] [--targets 5000] [--requests 200]
                                  [--path /v1/targets] [--path '/v1/history?limit=10000' ...]

Every binary serves the same config: N static targets, each with two addresses on 127.0.0.1 ports where
nothing listens (so every target has two subchannels that fail and back off, as a dead fleet would), labels
on each. The servers run side by side and are asked in turn, request by request, so machine noise falls on
all of them alike. Prints one table per path and a row per binary: p50, p99 and mean latency (keep-alive
connection, the whole body read) and the body's size (the last one; history bodies differ between servers). Every server is stopped by its PID on the way out.
"""
import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path, targets):
    dead = [free_port() for _ in range(2)]  # bound and closed again: nothing listens there
    with open(path, "w") as f:
        f.write("targets:\n")
        for i in range(targets):
            f.write(f"  - name: t{i:05d}\n")
            f.write(f"    target: \"ipv4:127.0.0.1:{dead[0]},127.0.0.1:{dead[1]}\"\n")
            f.write(f"    labels: {{team: team{i % 7}, tier: \"{i % 3}\"}}\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binaries", nargs="+", help="NAME=PATH")
    parser.add_argument("--targets", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait after readiness")
    parser.add_argument("--path", action="append", help="paths to ask (default /v1/targets)")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="ccpool-targets-list.")
    config = os.path.join(work, "config.yaml")
    write_config(config, args.targets)
    servers = []
    try:
        for item in args.binaries:
            name, _, binary = item.partition("=")
            port = free_port()
            log = open(os.path.join(work, f"{name}.log"), "w")
            process = subprocess.Popen(
                [binary, "serve", "--listen", f"127.0.0.1:{port}", "--database", os.path.join(work, f"{name}.db"),
                 "--config", config, "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT)
            servers.append({"name": name, "port": port, "process": process, "times": {}, "bytes": {}})
        for server in servers:
            deadline = time.monotonic() + 120
            while True:
                if server["process"].poll() is not None:
                    sys.exit(f"{server['name']} exited; see {work}")
                try:
                    c = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=5)
                    c.request("GET", "/readyz")
                    if c.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    sys.exit(f"{server['name']} not ready in 120 s")
                time.sleep(0.2)
        time.sleep(args.settle)
        for server in servers:
            server["connection"] = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=30)
        paths = args.path or ["/v1/targets"]
        for path in paths:
            for round_number in range(args.requests + 5):  # the first 5 rounds warm up
                for server in (servers if round_number % 2 == 0 else list(reversed(servers))):
                    c = server["connection"]
                    start = time.perf_counter()
                    c.request("GET", path)
                    response = c.getresponse()
                    body = response.read()
                    elapsed = time.perf_counter() - start
                    if response.status != 200:
                        sys.exit(f"{server['name']}: {path}: status {response.status}")
                    if round_number >= 5:
                        server["times"].setdefault(path, []).append(elapsed * 1000)
                        server["bytes"][path] = len(body)
        for path in paths:
            print(f"GET {path}, {args.targets} targets x 2 subchannels, {args.requests} requests each, interleaved")
            print("| binary | p50 ms | p99 ms | mean ms | bytes |")
            print("|---|---:|---:|---:|---:|")
            for server in servers:
                times = sorted(server["times"][path])
                p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
                print(f"| {server['name']} | {statistics.median(times):.1f} | {p99:.1f} | "
                      f"{statistics.fmean(times):.1f} | {server['bytes'][path]} |")
    finally:
        for server in servers:
            process = server["process"]
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


if __name__ == "__main__":
    main()
