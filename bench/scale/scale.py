"""The subchannel-scale benchmark (targets READY, memory, idle CPU, /metrics scrapes), run by bench/parts/20-scale.sh.

N targets × 3 addresses against loopback HTTP/2 backends in other processes (h2backend, one process per
address: 127.0.0.1, 127.0.0.2 and 127.0.0.3, each on its own port). Three clients, one after the other,
against the same backends in the same run:
  ccpool         the release binary, `ccpool serve` on a generated config (N `ipv4:` targets, round_robin)
  grpcio         N C-core channels (grpcio_clients.py), round_robin, local subchannel pool, each asked to
                 connect once (not through subscribe(), whose per-channel Python polling thread would dominate)
  grpc-swift-2   N GRPCClients over HTTP2ClientTransport.Posix, round_robin (bench/peers)

For each client and N:
  ready        from just before the client process is started to the moment the backends saw the last of
               the 3N connections complete its HTTP/2 handshake (client preface, client SETTINGS, client ACK
               of the server SETTINGS), on CLOCK_MONOTONIC; the same clock for all three clients.
  memory       RSS after READY, 2 s settling and the idle window (before any scrape), minus the RSS of the same program with no targets
               (ccpool with an empty config, python with grpc imported and no channel, the peers binary
               with N = 0), divided by 3N subchannels.
  idle CPU     user+system time of the process (all threads, /proc/PID/stat) over IDLE_SECONDS after READY,
               as a percentage of one core.
  /metrics     (ccpool only) the first full scrape after READY (after the idle window), then SCRAPES more
               SCRAPE_GAP apart (as a scraper spaces them), then GZIP_SCRAPES with Accept-Encoding: gzip as
               Prometheus sends them; median and max. RSS once more after them (the service's memory bound). A scrape is
               timed by curl (-o /dev/null, time_total: connect to last byte), a client that costs little
               itself, as Prometheus's does; Python's urllib spent 10 to 60 ms of its own allocating and
               copying a 34 MB body. The body ccpool's view is checked in is fetched again afterwards.
  ccpool's own view: every channel READY and 3N open connections in its /metrics, and the time of the
               last subchannel READY event in its history (relative to the start).
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from harness import (Backends, ccpool_last_ready, ccpool_view, curl_time, fmt_kib, fmt_mib, fmt_ms, fmt_s,
                     free_port, http_get, lib, listen_overflows, note, start, stop, stop_all, wait_http, wait_line,
                     write_config)

HOSTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
IDLE_SECONDS = 10.0
SETTLE_SECONDS = 2.0
SCRAPES = 5
GZIP_SCRAPES = 3
SCRAPE_GAP = 1.1
READY_DEADLINE = 60.0


class Client:
    """How to start one of the three clients with N targets (N = 0: the baseline)."""

    def __init__(self, name, argv_for, ready_line):
        self.name = name
        self.argv_for = argv_for
        self.ready_line = ready_line


def baseline_rss(client, workdir):
    """RSS of the client program with no targets, once it has settled."""
    proc = start(client.argv_for(0, workdir), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        if client.name == "ccpool":
            wait_http(client.port, proc, 30)
        else:
            wait_line(proc, client.ready_line, 30)
        time.sleep(1.0)
        return lib.rss_bytes(proc.pid)
    finally:
        stop(proc)


def run_one(client, n, backends, workdir):
    expected = 3 * n
    if backends.wait_open(lambda c: c == 0, 30) is None:
        raise RuntimeError(f"backends still hold {backends.open_connections()} connections from the previous client")
    overflows_before = listen_overflows()
    t0_wall = time.time()
    t0 = time.monotonic()
    proc = start(client.argv_for(n, workdir), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    result = {"client": client.name, "n": n, "subchannels": expected, "pid": proc.pid}
    try:
        stats = backends.wait_open(lambda c: c >= expected, READY_DEADLINE, procs=[proc])
        if stats is None:
            result["ready_s"] = None
            result["open_at_deadline"] = backends.open_connections()
            note(f"   {client.name} N={n}: not all READY in {READY_DEADLINE:.0f} s "
                 f"({result['open_at_deadline']} of {expected})")
            return result
        result["ready_s"] = max(s[3] for s in stats) / 1e9 - t0
        result["rss_at_ready"] = lib.rss_bytes(proc.pid)
        note(f"   {client.name} N={n}: all {expected} connections handshaken {result['ready_s']:.2f} s after start")
        time.sleep(SETTLE_SECONDS)
        cpu_before = lib.cpu_seconds(proc.pid)
        t_idle = time.monotonic()
        time.sleep(IDLE_SECONDS)
        cpu_after = lib.cpu_seconds(proc.pid)
        result["idle_cpu_pct"] = 100.0 * (cpu_after - cpu_before) / (time.monotonic() - t_idle)
        result["rss"] = lib.rss_bytes(proc.pid)
        result["still_open"] = backends.open_connections()
        if client.name == "ccpool":
            # The first full scrape after READY (and the check of ccpool's own view), then SCRAPES more.
            wait_http(client.port, proc, 30)
            for _ in range(50):
                seconds, _ = curl_time(client.port, "/metrics")
                result.setdefault("first_scrape_s", seconds)
                _, body = http_get(client.port, "/metrics")
                result["metrics_bytes"] = len(body)
                view = ccpool_view(body)
                if view == (n, expected, expected):
                    break
                time.sleep(0.1)
            result["ccpool_view"] = view
            # Spaced as a scraper spaces them (more than a second apart: ccpool refreshes its process
            # metrics at least once a second, so back-to-back scrapes would only measure a cache hit).
            scrapes, zipped = [], []
            for _ in range(SCRAPES):
                time.sleep(SCRAPE_GAP)
                scrapes.append(curl_time(client.port, "/metrics")[0])
            for _ in range(GZIP_SCRAPES):
                time.sleep(SCRAPE_GAP)
                seconds, size = curl_time(client.port, "/metrics", headers={"Accept-Encoding": "gzip"})
                zipped.append(seconds)
                result["metrics_gzip_bytes"] = size
            result["scrape_median_s"] = statistics.median(scrapes)
            result["scrape_max_s"] = max(scrapes)
            result["gzip_scrape_median_s"] = statistics.median(zipped)
            result["gzip_scrape_max_s"] = max(zipped)
            result["own_last_ready_s"] = ccpool_last_ready(client.port, t0_wall)
            result["rss_after_scrapes"] = lib.rss_bytes(proc.pid)
        after = listen_overflows()
        result["listen_overflows"] = after[0] - overflows_before[0]
        return result
    finally:
        stop(proc, grace=30.0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ccpool", required=True)
    parser.add_argument("--peers", required=True, help="the grpc-swift2-clients executable")
    parser.add_argument("--backend", required=True, help="the h2backend executable")
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--clients", default="ccpool,grpcio,grpc-swift-2")
    parser.add_argument("--json", help="also write every measurement here")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    workdir = tempfile.mkdtemp(prefix="ccpool-scale-")
    results = []
    try:
        backends = Backends(args.backend, workdir, HOSTS)
        addresses = backends.addresses
        note(f"   backends: {', '.join(addresses)} (pids {', '.join(str(p.pid) for p in backends.procs)})")

        ccpool_port = free_port()

        def ccpool_argv(n, wd):
            config = os.path.join(wd, f"ccpool-{n}.yaml")
            database = os.path.join(wd, f"ccpool-{n}-{time.monotonic_ns()}.db")
            target = "ipv4:" + ",".join(addresses)
            write_config(config, ccpool_port, database, [(f"t{i:05d}", target, "round_robin") for i in range(n)])
            return [args.ccpool, "serve", "--config", config, "--log-level", "warning"]

        clients = {
            "ccpool": Client("ccpool", ccpool_argv, None),
            "grpcio": Client("grpcio", lambda n, wd: [sys.executable, os.path.join(os.path.dirname(
                os.path.abspath(__file__)), "grpcio_clients.py"), str(n), ",".join(addresses)], "started"),
            "grpc-swift-2": Client("grpc-swift-2", lambda n, wd: [args.peers, str(n), ",".join(addresses)],
                                   "started"),
        }
        clients["ccpool"].port = ccpool_port
        chosen = [clients[name] for name in args.clients.split(",")]

        baselines = {}
        for client in chosen:
            baselines[client.name] = baseline_rss(client, workdir)
            note(f"   {client.name} baseline RSS {baselines[client.name] / 2**20:.1f} MiB")
        for n in [int(x) for x in args.sizes.split(",")]:
            for client in chosen:
                result = run_one(client, n, backends, workdir)
                result["baseline_rss"] = baselines[client.name]
                if result.get("rss") is not None:
                    result["per_subchannel_bytes"] = (result["rss"] - result["baseline_rss"]) / (3 * n)
                results.append(result)
                note("   " + json.dumps(result))
    finally:
        stop_all()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    report(results)


def report(results):
    by = {(r["client"], r["n"]): r for r in results}
    sizes = sorted({r["n"] for r in results})
    refs = ["grpcio", "grpc-swift-2"]
    for n in sizes:
        c = by.get(("ccpool", n))
        if c is None:
            continue
        label = f"N={n:,} targets × 3 addresses ({3 * n:,} subchannels)"
        for ref in refs:
            r = by.get((ref, n))
            if r is None:
                continue
            ratio = (c["ready_s"] / r["ready_s"]) if c.get("ready_s") and r.get("ready_s") else None
            ok = c.get("ready_s") is not None and (r.get("ready_s") is None or c["ready_s"] < r["ready_s"])
            lib.row(f"scale {label}: time to all READY vs {ref}", fmt_s(c.get("ready_s")),
                    f"{ref} {fmt_s(r.get('ready_s'))}", ratio, f"faster than {ref}", lib.verdict(ok))
        if n >= 5000:
            ok = c.get("ready_s") is not None and c["ready_s"] <= 5.0
            lib.row(f"scale {label}: time to all READY (service goal)", fmt_s(c.get("ready_s")), "", None,
                    "≤ 5 s on 2 cores", lib.verdict(ok))
        for ref in refs:
            r = by.get((ref, n))
            if r is None:
                continue
            cm, rm = c.get("per_subchannel_bytes"), r.get("per_subchannel_bytes")
            ratio = cm / rm if cm and rm else None
            ok = cm is not None and (rm is None or cm < rm)
            lib.row(f"scale {label}: memory per subchannel vs {ref}", fmt_kib(cm), f"{ref} {fmt_kib(rm)}", ratio,
                    f"less than {ref}", lib.verdict(ok))
        ref_cpu = "; ".join(f"{ref} {by[(ref, n)]['idle_cpu_pct']:.2f} %" for ref in refs
                            if (ref, n) in by and by[(ref, n)].get("idle_cpu_pct") is not None)
        if c.get("idle_cpu_pct") is not None:
            lib.row(f"scale {label}: idle CPU after READY ({IDLE_SECONDS:.0f} s)", f"{c['idle_cpu_pct']:.2f} % of a core",
                    ref_cpu, None, "< 5 % of one core", lib.verdict(c["idle_cpu_pct"] < 5.0))
        if c.get("scrape_median_s") is not None:
            lib.row(f"scale {label}: full /metrics scrape ({c['metrics_bytes'] / 2**20:.1f} MiB), median of "
                    f"{SCRAPES} {SCRAPE_GAP} s apart (max; first after READY)",
                    f"{fmt_ms(c['scrape_median_s'])} (max {fmt_ms(c['scrape_max_s'])}; first {fmt_ms(c['first_scrape_s'])})",
                    "", None, "< 100 ms", lib.verdict(max(c["scrape_max_s"], c["first_scrape_s"]) < 0.1))
            lib.row(f"scale {label}: /metrics scrape with Accept-Encoding: gzip ({c['metrics_gzip_bytes'] / 2**20:.1f} MiB "
                    f"sent), median of {GZIP_SCRAPES} (max)",
                    f"{fmt_ms(c['gzip_scrape_median_s'])} (max {fmt_ms(c['gzip_scrape_max_s'])})", "", None, "< 100 ms",
                    lib.verdict(c["gzip_scrape_max_s"] < 0.1))
        ref_rss = "; ".join(f"{ref} {fmt_mib(by[(ref, n)].get('rss'))}" for ref in refs if (ref, n) in by)
        if c.get("rss") is not None:
            goal = "≤ 600 MB" if n >= 5000 else ""
            peak = max(c["rss"], c.get("rss_after_scrapes") or 0)
            lib.row(f"scale {label}: RSS after READY (then after the /metrics scrapes)",
                    f"{fmt_mib(c['rss'])} ({fmt_mib(c.get('rss_after_scrapes'))})", ref_rss, None, goal,
                    lib.verdict(peak <= 600e6) if goal else "")
    lines = ["## Subchannel scale (bench/parts/20-scale.sh)", "",
             "Backends: three h2backend processes (bench/scale/h2backend.c), one per address (127.0.0.1, 127.0.0.2, "
             "127.0.0.3, each its own port); every target has the same three addresses, every client channel makes "
             "its own 3 connections. READY = the backends saw all 3N HTTP/2 handshakes complete (client preface, "
             "SETTINGS, ACK of the server's SETTINGS), timed from just before the client process started. Memory per "
             "subchannel = (RSS after READY, 2 s of settling and the idle window − RSS of the same program with no "
             "targets) / 3N, before any /metrics scrape. Idle CPU over "
             f"{IDLE_SECONDS:.0f} s from /proc/PID/stat (all threads). grpcio channels are asked to connect through the "
             "C-core channel's check_connectivity_state(try_to_connect=True), once each: subscribe(try_to_connect=True) "
             "does the same plus one Python thread per channel polling every 0.2 s, which at 5,000 channels kept grpcio "
             "from READY within 60 s and cost ~35 % of a core idle. grpc-swift-2's round_robin connects every "
             "subchannel as soon as the transport runs (checked: the backends count the handshakes without any RPC).", "",
             "| client | N | READY | RSS at READY | RSS settled | after scrapes | baseline RSS | per subchannel | idle CPU | "
             "listen overflows | ccpool's own view |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        own = ""
        if r["client"] == "ccpool" and "ccpool_view" in r:
            ch, conns, subs = r["ccpool_view"]
            last = r.get("own_last_ready_s")
            own = (f"{ch} channels READY, {conns} open connections, {subs} subchannels READY; last subchannel READY "
                   f"event {fmt_s(last) if last is not None else '?'} after start; /metrics {r['metrics_bytes']:,} B")
        cpu = f"{r['idle_cpu_pct']:.2f} %" if r.get("idle_cpu_pct") is not None else "—"
        lines.append(f"| {r['client']} | {r['n']:,} | {fmt_s(r.get('ready_s'))} | {fmt_mib(r.get('rss_at_ready'))} | "
                     f"{fmt_mib(r.get('rss'))} | {fmt_mib(r.get('rss_after_scrapes'))} | {fmt_mib(r.get('baseline_rss'))} | "
                     f"{fmt_kib(r.get('per_subchannel_bytes'))} | {cpu} | {r.get('listen_overflows', '')} | {own} |")
    lib.log("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
