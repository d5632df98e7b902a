"""GET /v1/targets of a pool sharded over 3 replicas (fan-out and merge) against a local /v1/targets of
the same number of targets on one replica, measured in the same run.

Run by 65-replicas.sh with argv: WORKDIR (a fresh temporary directory, removed by the caller).
Environment: BIN (ccpool's release products), BENCH_ROWS, BENCH_LOG, and optionally REPLICAS_TARGETS (3000)
and REPLICAS_REQUESTS (200).

Setup: one grpcio backend on 3 loopback ports; REPLICAS_TARGETS targets (pick_first on one of the 3
addresses, no health checking) in one config file. One `ccpool serve` runs them all; three more run the same
file with --shard-count 3 and --peers, so each owns about a third. Once every target is READY on both sides,
the requests alternate between the single replica and replica 0 of the three (one at a time, a new
connection each, as a script or a dashboard would ask), and the figure is the median latency of each side.
Goal (the fan-out's cost): the pool's p50 at most 1.5x the single replica's.
"""
import json
import os
import statistics
import subprocess
import sys
import time

import lib
import procs

workdir = sys.argv[1]
BIN = os.environ["BIN"]
TARGETS = int(os.environ.get("REPLICAS_TARGETS", "3000"))
REQUESTS = int(os.environ.get("REPLICAS_REQUESTS", "200"))
GOAL = 1.5


def start(children, name, config, port, extra=()):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCPOOL_")}
    log = open(os.path.join(workdir, f"{name}.log"), "ab")
    p = children.start([os.path.join(BIN, "ccpool"), "serve", "--config", config, "--listen", f"127.0.0.1:{port}",
                        "--database", os.path.join(workdir, f"{name}.db"), "--log-level", "warning", *extra],
                       stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    return p


def ready_count(port, path):
    targets = procs.get_json(port, path)["targets"]
    return sum(1 for t in targets if t["state"] == "READY")


def timed_get(port):
    started = time.perf_counter()
    status, _, body = procs.http_get(port, "/v1/targets", timeout=30)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"/v1/targets answered {status}: {body[:200]!r}")
    return elapsed, body


def run(children):
    _, ports, _ = procs.backend(children, [0, 0, 0], lifetime=280)
    config = os.path.join(workdir, "ccpool.json")
    with open(config, "w") as f:
        json.dump({"targets": [{"name": f"t-{i:05d}", "target": f"ipv4:127.0.0.1:{ports[i % 3]}"}
                               for i in range(TARGETS)]}, f)
    procs.progress(f"one replica with {TARGETS} targets, and three with --shard-count 3 and --peers")
    single_port = procs.free_port()
    start(children, "single", config, single_port)
    shard_ports = [procs.free_port() for _ in range(3)]
    peers = ",".join(f"http://127.0.0.1:{p}" for p in shard_ports)
    for i, port in enumerate(shard_ports):
        start(children, f"replica{i}", config, port, ["--shard-index", str(i), "--shard-count", "3", "--peers", peers])
    procs.wait_until(lambda: ready_count(single_port, "/v1/targets") == TARGETS, 120, "the single replica READY")
    procs.wait_until(lambda: ready_count(shard_ports[0], "/v1/targets") == TARGETS, 120, "the three replicas READY")
    owned = [len(procs.get_json(p, "/v1/targets?replicas=local")["targets"]) for p in shard_ports]
    _, merged = timed_get(shard_ports[0])
    _, alone = timed_get(single_port)
    if json.loads(merged)["partial"] or len(json.loads(merged)["targets"]) != TARGETS:
        raise RuntimeError("the merged list is not whole")
    procs.progress(f"targets per replica {owned}; bodies {len(merged)} / {len(alone)} bytes; {REQUESTS} requests each")
    for _ in range(10):
        timed_get(single_port)
        timed_get(shard_ports[0])
    times = {"single": [], "pool": []}
    for i in range(REQUESTS):
        order = [("single", single_port), ("pool", shard_ports[0])]
        for name, port in (order if i % 2 == 0 else order[::-1]):
            times[name].append(timed_get(port)[0])
    p50 = {k: statistics.median(v) * 1000 for k, v in times.items()}
    p90 = {k: statistics.quantiles(v, n=10)[-1] * 1000 for k, v in times.items()}
    ratio = p50["pool"] / p50["single"]
    lib.row(f"GET /v1/targets for 3 replicas x ~{TARGETS // 3} targets (fan-out, merged) vs one replica's {TARGETS}, p50 ms",
            f"{p50['pool']:.1f} ms (p90 {p90['pool']:.1f})", f"{p50['single']:.1f} ms (p90 {p90['single']:.1f})",
            ratio, f"<= {GOAL}x", lib.verdict(ratio <= GOAL))
    lib.log(f"Replicas: {TARGETS} targets, owned per replica {owned}; body {len(merged)} bytes merged, "
            f"{len(alone)} bytes alone; {REQUESTS} requests per side, alternating, one connection each.")


procs.run_driver(run)
