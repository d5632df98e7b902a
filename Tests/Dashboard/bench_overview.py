#!/usr/bin/env python3
"""End-to-end timing of `GET /` with 5,000 targets (printed, not asserted).

Starts ccpool (CCPOOL_BIN, default .build/debug/ccpool) with 5,000 targets that point at a closed loopback
port with a long backoff (so they settle in TRANSIENT_FAILURE and stay quiet), then times the dashboard's
overview over HTTP: pool snapshot + filter/sort/page + render + transfer, as a browser would get it.
Stops the service by PID on every path. Usage: bench_overview.py [TARGETS]
"""

import os
import statistics
import sys
import time
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dashboard_env import DashboardEnv, free_port  # noqa: E402


class ManyTargets(DashboardEnv):
    count = 5000

    def start(self):
        import subprocess
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"no ccpool binary at {self.binary}")
        closed = free_port()
        lines = [f'listen: "127.0.0.1:{self.port}"', f'database: "{self.work}/ccpool.db"', "shards: 2", "targets:"]
        for i in range(self.count):
            lines += [f"  - name: svc-{i:05d}", f'    target: "ipv4:127.0.0.1:{closed}"',
                      f"    labels: {{team: team{i % 17}, zone: z{i % 3}}}",
                      '    backoff: {"base_delay": "120s", "max_delay": "120s"}']
        path = os.path.join(self.work, "ccpool.yaml")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.logfile = open(os.path.join(self.work, "ccpool.log"), "w")
        self.ccpool = subprocess.Popen([self.binary, "serve", "--config", path], stdout=self.logfile,
                                       stderr=subprocess.STDOUT, cwd=self.work)
        self.wait_until("ready", lambda: self.status("/readyz") == 200, timeout=120)


def timed(url, runs=15):
    times, size = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as r:
            size = len(r.read())
        times.append((time.perf_counter() - t) * 1000)
    return min(times), statistics.median(times), size


def main():
    ManyTargets.count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with ManyTargets() as env:
        env.wait_until("every target out of CONNECTING", lambda: all(
            t["state"] == "TRANSIENT_FAILURE" for t in env.get_json("/v1/targets")["targets"]), timeout=120)
        print(f"{ManyTargets.count} targets, binary {env.binary}")
        for path in ["/", "/?sort=state&page=20", "/?filter=team3", "/?per_page=500", "/v1/targets"]:
            best, median, size = timed(env.base + path)
            print(f"  GET {path:<24} best {best:6.1f} ms  median {median:6.1f} ms  {size:>8} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
