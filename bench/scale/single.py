"""The single-address scale benchmark, run by bench/parts/22-single-address.sh.

N targets with one address each (`ipv4:HOST:PORT`, pick_first) against loopback HTTP/2 backends in other
processes: BACKENDS h2backend processes, one per address (127.0.0.1, 127.0.0.2, ..., each its own port);
target i gets address i mod BACKENDS, so each backend holds N / BACKENDS connections (below the kernel's
listen backlog cap, net.core.somaxconn, when they all arrive at once). Four clients, one after the other,
against the same backends in the same run:
  start    ccpool's release binary, `ccpool serve` on a config with the N targets
  reload   the same binary started on a config with no targets; once it serves, the N targets are written to
           the config (one rename) and the process gets ONE SIGHUP. While the reload runs, three probe
           processes (probe.py) ask for /healthz, /metrics and one target (GET /v1/targets/NAME of the last
           target: 404 until the reload adds it, then 200) again and again, each on its own connection
  grpcio   N C-core channels (grpcio_clients.py --policy pick_first --spread), one per target, local subchannel
           pool, each asked to connect once
  floor    N bare SwiftNIO + NIOHTTP2 client connections (bench/peers nio-h2-floor), handshake only

For each client:
  ready    from just before the process is started (reload: just before the SIGHUP) to the moment the backends
           saw the last of the N connections complete its HTTP/2 handshake (client preface, client SETTINGS,
           client ACK of the server SETTINGS), on CLOCK_MONOTONIC
  memory   (RSS after READY, SETTLE_SECONDS and IDLE_SECONDS) − (RSS of the same program with no targets, started
           on its own and settled), divided by N
  idle CPU user+system time of the process over the IDLE_SECONDS after READY + SETTLE_SECONDS, % of one core
and for ccpool: one full /metrics scrape after the idle window, timed by curl (then a second one SCRAPE_GAP
later), its own view of the pool in that /metrics (every channel and subchannel READY, N open connections)
and the time of the last subchannel READY event in its history.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from harness import (Backends, ccpool_last_ready, ccpool_view, curl_time, fmt_kib, fmt_mib, fmt_ms, fmt_s,
                     free_port, http_get, idle_cpu_pct, lib, listen_overflows, note, start, stop, stop_all,
                     wait_http, wait_line, write_config)

HERE = os.path.dirname(os.path.abspath(__file__))
IDLE_SECONDS = 10.0
SETTLE_SECONDS = 2.0
SCRAPE_GAP = 1.1
READY_DEADLINE = 60.0
BASELINE_SETTLE = 1.0
# Pause between one probe answer and the next request: /healthz and the target route as often as a probe can
# ask without taking a core of its own; /metrics (a render of the whole pool, megabytes) ten times a second,
# far more often than any scraper, without the probe itself slowing the reload much.
PROBES = [("/healthz", 0.01), ("/metrics", 0.1), (None, 0.01)]  # None: the target route
PROBE_GOAL = 0.1
READY_GOAL = 4.5
MEMORY_GOAL = 30_000  # bytes per target
IDLE_CPU_GOAL = 1.0  # % of one core
SCRAPE_GOAL = 0.1

CLIENTS = ["start", "reload", "grpcio", "floor"]
LABELS = {"start": "ccpool, targets in the config at start", "reload": "ccpool, targets added by one SIGHUP",
          "grpcio": "grpcio (C-core), one channel per target", "floor": "bare SwiftNIO + NIOHTTP2 connections"}


class Run:
    """How to start one client program with N targets (N = 0: its baseline) and to know it has started."""

    def __init__(self, args, addresses, workdir, port, max_targets):
        self.args, self.addresses, self.workdir, self.port = args, addresses, workdir, port
        self.max_targets = max_targets  # the same limit for every config, empty or not: one program

    def targets(self, n):
        return [(f"t{i:05d}", f"ipv4:{self.addresses[i % len(self.addresses)]}", "pick_first") for i in range(n)]

    def ccpool_config(self, n):
        """Writes a config with the first n targets and a new database; remembers the database's path."""
        stamp = time.monotonic_ns()
        config = os.path.join(self.workdir, f"ccpool-{n}-{stamp}.yaml")
        self.database = os.path.join(self.workdir, f"ccpool-{n}-{stamp}.db")
        write_config(config, self.port, self.database, self.targets(n), self.max_targets)
        return config

    def argv(self, client, n):
        if client in ("start", "reload"):
            return [self.args.ccpool, "serve", "--config", self.ccpool_config(n), "--log-level", "warning"]
        addresses = ",".join(self.addresses)
        if client == "grpcio":
            return [sys.executable, os.path.join(HERE, "grpcio_clients.py"), str(n), addresses,
                    "--policy", "pick_first", "--spread"]
        return [self.args.floor, str(n), addresses]

    def stderr_file(self, client):
        """Where the client's stderr goes (kept for the error when it exits early)."""
        return open(os.path.join(self.workdir, f"{client}.stderr"), "w")

    def stderr_tail(self, client):
        with open(os.path.join(self.workdir, f"{client}.stderr"), errors="replace") as f:
            return f.read()[-2000:]

    def wait_started(self, client, proc):
        if client in ("start", "reload"):
            wait_http(self.port, proc, 30)
        else:
            wait_line(proc, "started", 30)

    def baseline_rss(self, client):
        proc = start(self.argv(client, 0), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            self.wait_started(client, proc)
            time.sleep(BASELINE_SETTLE)
            return lib.rss_bytes(proc.pid)
        finally:
            stop(proc, grace=30.0)


def start_probes(port, n, workdir):
    probes = []
    for path, gap in PROBES:
        path = path or f"/v1/targets/t{n - 1:05d}"
        out = os.path.join(workdir, f"probe-{len(probes)}-{time.monotonic_ns()}.json")
        proc = start([sys.executable, os.path.join(HERE, "probe.py"), str(port), path, str(gap), out],
                     stdout=subprocess.DEVNULL)
        probes.append((path, proc, out))
    return probes


def stop_probes(probes):
    """Stops the probes and returns {path: samples}."""
    results = {}
    for path, proc, out in probes:
        stop(proc, grace=15.0)
        with open(out) as f:
            results[path] = json.load(f)["samples"]
    return results


def probe_summary(samples, since, until):
    """The longest answer among the requests started in [since, until], and how many there were."""
    window = [s for s in samples if since <= s[0] <= until]
    failed = sum(1 for s in window if s[2] == 0)
    longest = max(window, key=lambda s: s[1]) if window else None
    return {"count": len(window), "failed": failed, "max_s": longest[1] if longest else None,
            "max_at_s": (longest[0] - since) if longest else None,
            "statuses": sorted({s[2] for s in window})}


def wait_ready(client, n, backends, result, proc, t0):
    """Waits for the backends to count N handshakes; the time of the last one, from t0, is ready_s."""
    stats = backends.wait_open(lambda c: c >= n, READY_DEADLINE, procs=[proc])
    if stats is None:
        result["ready_s"] = None
        result["open_at_deadline"] = backends.open_connections()
        note(f"   {client} N={n}: not all READY in {READY_DEADLINE:.0f} s ({result['open_at_deadline']} of {n})")
        return False
    result["ready_s"] = max(s[3] for s in stats) / 1e9 - t0
    result["rss_at_ready"] = lib.rss_bytes(proc.pid)
    note(f"   {client} N={n}: all {n} connections handshaken {result['ready_s']:.2f} s after "
         f"{'the SIGHUP' if client == 'reload' else 'start'}")
    return True


def after_ready(run, client, backends, result, proc, t0_wall):
    result["idle_cpu_pct"] = idle_cpu_pct(proc.pid, IDLE_SECONDS)
    result["rss"] = lib.rss_bytes(proc.pid)
    result["still_open"] = backends.open_connections()
    if client not in ("start", "reload"):
        return
    port = run.port
    wait_http(port, proc, 30)
    result["first_scrape_s"], result["metrics_bytes"] = curl_time(port, "/metrics")
    time.sleep(SCRAPE_GAP)
    result["second_scrape_s"], _ = curl_time(port, "/metrics")
    _, body = http_get(port, "/metrics")
    result["ccpool_view"] = ccpool_view(body)
    result["own_last_ready_s"] = ccpool_last_ready(port, t0_wall)


def run_client(run, client, n, backends):
    if backends.wait_open(lambda c: c == 0, 30) is None:
        raise RuntimeError(f"backends still hold {backends.open_connections()} connections from the previous client")
    overflows_before = listen_overflows()
    result = {"client": client, "n": n}
    proc = None
    probes = []
    try:
        if client == "reload":
            proc = start(run.argv(client, 0), stdout=subprocess.DEVNULL, stderr=run.stderr_file(client), text=True)
            config = proc.args[proc.args.index("--config") + 1]
            run.wait_started(client, proc)
            time.sleep(BASELINE_SETTLE)
            result["rss_before_signal"] = lib.rss_bytes(proc.pid)
            probes = start_probes(run.port, n, run.workdir)
            time.sleep(1.0)  # the probes' answers before the signal: the same routes on an idle, empty pool
            staged = config + ".new"  # the same settings and database, now with the N targets
            write_config(staged, run.port, run.database, run.targets(n), run.max_targets)
            os.replace(staged, config)
            t0_wall = time.time()
            t0 = time.monotonic()
            os.kill(proc.pid, signal.SIGHUP)
        else:
            t0_wall = time.time()
            t0 = time.monotonic()
            proc = start(run.argv(client, n), stdout=subprocess.PIPE, stderr=run.stderr_file(client), text=True)
        result["pid"] = proc.pid
        try:
            ready = wait_ready(client, n, backends, result, proc, t0)
        except RuntimeError as error:
            raise RuntimeError(f"{error}; its stderr ends: {run.stderr_tail(client)}") from None
        if ready:
            time.sleep(SETTLE_SECONDS)
        if probes:
            until = time.monotonic()
            samples = stop_probes(probes)
            probes = []
            result["probes"] = {path: {"before": probe_summary(s, t0 - 1.0, t0),
                                       "during": probe_summary(s, t0, until)} for path, s in samples.items()}
            result["probe_window_s"] = until - t0
        if result.get("ready_s") is not None:
            after_ready(run, client, backends, result, proc, t0_wall)
        after = listen_overflows()
        result["listen_overflows"] = after[0] - overflows_before[0]
        return result
    finally:
        for _, probe, _ in probes:
            stop(probe)
        if proc is not None:
            stop(proc, grace=60.0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ccpool", required=True)
    parser.add_argument("--floor", required=True, help="the nio-h2-floor executable")
    parser.add_argument("--backend", required=True, help="the h2backend executable")
    parser.add_argument("--sizes", default="15000")
    parser.add_argument("--backends", type=int, default=4, help="backend processes (one address each)")
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--json", help="also write every measurement here")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    chosen = [c for c in args.clients.split(",") if c]
    unknown = set(chosen) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown clients {sorted(unknown)}; known: {CLIENTS}")

    workdir = tempfile.mkdtemp(prefix="ccpool-single-")
    results = []
    try:
        backends = Backends(args.backend, workdir, [f"127.0.0.{i + 1}" for i in range(args.backends)])
        note(f"   backends: {', '.join(backends.addresses)} (pids {', '.join(str(p.pid) for p in backends.procs)})")
        sizes = [int(x) for x in args.sizes.split(",")]
        run = Run(args, backends.addresses, workdir, free_port(), max(sizes))
        baselines = {}
        for client in chosen:
            program = "start" if client == "reload" else client
            if program not in baselines:
                baselines[program] = run.baseline_rss(program)
                note(f"   {program} baseline RSS {baselines[program] / 2**20:.1f} MiB")
        for n in sizes:
            for client in chosen:
                result = run_client(run, client, n, backends)
                result["baseline_rss"] = baselines["start" if client == "reload" else client]
                if result.get("rss") is not None:
                    result["per_target_bytes"] = (result["rss"] - result["baseline_rss"]) / n
                results.append(result)
                note("   " + json.dumps(result))
    finally:
        stop_all()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    report(results, args.backends)


def fmt_mem(x):
    return "—" if x is None else f"{x / 1000:.1f} kB ({x / 1024:.1f} KiB)"


def report(results, backend_count):
    by = {(r["client"], r["n"]): r for r in results}
    for n in sorted({r["n"] for r in results}):
        label = f"single-address N={n:,} (pick_first)"
        grpcio, floor = by.get(("grpcio", n)), by.get(("floor", n))

        def refs(key, fmt):
            parts = [f"{name} {fmt(r.get(key))}" for name, r in (("grpcio", grpcio), ("floor", floor)) if r]
            return "; ".join(parts)

        for client in ("start", "reload"):
            c = by.get((client, n))
            if c is None:
                continue
            what = "start" if client == "start" else "one SIGHUP"
            ready = c.get("ready_s")
            ratio = ready / grpcio["ready_s"] if ready and grpcio and grpcio.get("ready_s") else None
            lib.row(f"{label}: time to all READY, {LABELS[client]} (from {what})", fmt_s(ready),
                    refs("ready_s", fmt_s), ratio, f"≤ {READY_GOAL} s on 2 cores (ratio = ccpool / grpcio)",
                    lib.verdict(ready is not None and ready <= READY_GOAL))
            mem = c.get("per_target_bytes")
            ref_mem = grpcio.get("per_target_bytes") if grpcio else None
            ratio = mem / ref_mem if mem and ref_mem else None
            ok = mem is not None and mem <= MEMORY_GOAL and (ref_mem is None or mem < ref_mem)
            lib.row(f"{label}: memory per target, {LABELS[client]}", fmt_mem(mem), refs("per_target_bytes", fmt_mem),
                    ratio, "≤ 30 kB and below grpcio (ratio = ccpool / grpcio)", lib.verdict(ok))
        reload = by.get(("reload", n))
        for path, summary in (reload or {}).get("probes", {}).items():
            during, before = summary["during"], summary["before"]
            longest = during["max_s"]
            ok = longest is not None and longest <= PROBE_GOAL and during["failed"] == 0
            lib.row(f"{label}: longest answer of GET {path} during the reload ({during['count']} asked over "
                    f"{reload['probe_window_s']:.1f} s from the SIGHUP)",
                    f"{fmt_ms(longest)}" + (f", {during['failed']} failed" if during["failed"] else ""),
                    f"same route before the signal: {fmt_ms(before['max_s'])}", None, "≤ 100 ms", lib.verdict(ok))
        for client in ("start", "reload"):
            c = by.get((client, n))
            if c is None or c.get("idle_cpu_pct") is None:
                continue
            lib.row(f"{label}: idle CPU over {IDLE_SECONDS:.0f} s after READY, {LABELS[client]}",
                    f"{c['idle_cpu_pct']:.2f} % of a core", refs("idle_cpu_pct", lambda x: "—" if x is None else f"{x:.2f} %"),
                    None, f"< {IDLE_CPU_GOAL:.0f} % of one core", lib.verdict(c["idle_cpu_pct"] < IDLE_CPU_GOAL))
        c = by.get(("start", n))
        if c is not None and c.get("first_scrape_s") is not None:
            lib.row(f"{label}: one full /metrics scrape ({c['metrics_bytes'] / 2**20:.1f} MiB) after the idle window, "
                    f"curl (then one more {SCRAPE_GAP} s later)",
                    f"{fmt_ms(c['first_scrape_s'])} (then {fmt_ms(c['second_scrape_s'])})", "", None, "< 100 ms",
                    lib.verdict(max(c["first_scrape_s"], c["second_scrape_s"]) < SCRAPE_GOAL))

    lines = ["## Single-address scale (bench/parts/22-single-address.sh)", "",
             f"N targets, one address each (`ipv4:HOST:PORT`, pick_first), against {backend_count} h2backend processes "
             f"(bench/scale/h2backend.c), one per address (127.0.0.1 … 127.0.0.{backend_count}, each its own port); "
             f"target i dials address i mod {backend_count}. READY = the backends saw all N HTTP/2 handshakes complete "
             "(client preface, SETTINGS, ACK of the server's SETTINGS), timed from just before the client process "
             "started, or for the reload row from just before the SIGHUP (the process started with an empty config; "
             "the N targets were written to it, then one SIGHUP). Memory per target = (RSS after READY, "
             f"{SETTLE_SECONDS:.0f} s of settling and {IDLE_SECONDS:.0f} s idle − RSS of the same program with no "
             "targets, started on its own) / N, before any /metrics scrape; kB = 1,000 B. Idle CPU over the idle "
             "window from /proc/PID/stat (all threads). grpcio: one C-core channel per target (pick_first, "
             "grpc.use_local_subchannel_pool), each asked to connect once. Floor: bench/peers nio-h2-floor, N plain "
             "SwiftNIO connections with NIOHTTP2's client pipeline at library defaults, nothing else. Reload probes: "
             "three probe processes (bench/scale/probe.py), each asking one route on a new connection, "
             + ", ".join(f"{path or 'GET /v1/targets/<last target>'} every {gap * 1000:.0f} ms after the previous answer"
                         for path, gap in PROBES)
             + ", from 1 s before the signal to READY + settling; the figure is the longest single answer "
               "(connect to last byte) among the requests started after the signal.", "",
             "| client | N | READY | RSS at READY | RSS settled | baseline RSS | per target | idle CPU | "
             "listen overflows | ccpool's own view |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        own = ""
        if "ccpool_view" in r:
            ch, conns, subs = r["ccpool_view"]
            last = r.get("own_last_ready_s")
            own = (f"{ch} channels READY, {conns} open connections, {subs} subchannels READY; last subchannel READY "
                   f"event {fmt_s(last) if last is not None else '?'} after the "
                   f"{'signal' if r['client'] == 'reload' else 'start'}; /metrics {r['metrics_bytes']:,} B")
        if r.get("rss_before_signal") is not None:
            own += f"; RSS before the signal {fmt_mib(r['rss_before_signal'])}"
        cpu = f"{r['idle_cpu_pct']:.2f} %" if r.get("idle_cpu_pct") is not None else "—"
        lines.append(f"| {LABELS[r['client']]} | {r['n']:,} | {fmt_s(r.get('ready_s'))} | {fmt_mib(r.get('rss_at_ready'))} | "
                     f"{fmt_mib(r.get('rss'))} | {fmt_mib(r.get('baseline_rss'))} | {fmt_mem(r.get('per_target_bytes'))} | "
                     f"{cpu} | {r.get('listen_overflows', '')} | {own} |")
    for r in results:
        for path, summary in r.get("probes", {}).items():
            d, b = summary["during"], summary["before"]
            lines.append("")
            lines.append(f"Reload probe GET {path}, N={r['n']:,}: {d['count']} answers after the signal "
                         f"(statuses {d['statuses']}, {d['failed']} failed), longest {fmt_ms(d['max_s'])} "
                         f"at {d['max_at_s']:.2f} s after the signal; before it {b['count']} answers, longest "
                         f"{fmt_ms(b['max_s'])}." if d["max_s"] is not None else
                         f"Reload probe GET {path}, N={r['n']:,}: no answer after the signal.")
    lib.log("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
