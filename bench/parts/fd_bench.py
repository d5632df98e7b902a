"""Failure detection: a loopback grpcio backend that ccpool holds READY is killed (SIGKILL) and
restarted on the same port, FD_TRIES times (50). Measured for ccpool and, on the same kills, for a grpcio
channel watching the same backend:

- down: from the kill to the subchannel leaving READY. The origin is time.time() taken just before kill(2).
- up:   from the backend's return to READY again. The origin is the time the restarted backend takes just
        before server.start() (grpc_backend.py).

ccpool's times are its own: the `time` of its history rows (GET /v1/history, stamped when the subchannel's
state changed). grpcio's are grpc-core's own: its `connectivity_state` trace of the channel (grpcio exposes
the channel's state, not its subchannel's; with one address they move together); fd_watch.py's watch of the
same channel drives the waiting and is logged as a check. A plain TCP socket to the backend gives the floor:
when the kernel reports the killed process's socket closed.

Run by 60-failure-detection.sh with argv: WORKDIR. Environment: BIN, BENCH_ROWS, BENCH_LOG, and optionally
FD_TRIES (50) and FD_BACKOFF_MS: a constant reconnect backoff for both sides (ccpool base_delay = max_delay,
grpcio initial = max reconnect backoff; the jitter stays 0.2 on both), 200 by default so that 50 tries fit in
about two minutes; `default` keeps gRPC's own (1 s initial, x1.6), where `up` is mostly the backoff schedule.
"""
import datetime
import os
import re
import socket
import signal
import statistics
import subprocess
import sys
import threading
import time

import lib
import procs

workdir = sys.argv[1]
BIN = os.environ["BIN"]
TRIES = int(os.environ.get("FD_TRIES", "50"))
BACKOFF_MS = os.environ.get("FD_BACKOFF_MS", "200")
if BACKOFF_MS == "default":
    BACKOFF_MS = None
TARGET = "fd"


class Watcher:
    """fd_watch.py's lines, as (unix time, state), collected by a thread."""

    def __init__(self, children, port):
        argv = [sys.executable, os.path.join(procs.HERE, "fd_watch.py"), f"127.0.0.1:{port}", "--lifetime", "600"]
        if BACKOFF_MS:
            argv += ["--backoff-ms", BACKOFF_MS]
        # grpc-core's own connectivity trace stamps each channel transition with its own clock, as ccpool's
        # history does: those times are the grpcio figures; the watch's are kept as a check.
        self.trace_path = os.path.join(workdir, "grpc-trace.log")
        env = dict(os.environ, GRPC_TRACE="connectivity_state", GRPC_VERBOSITY="debug")
        with open(self.trace_path, "w") as trace:
            self.process = children.start(argv, stdout=subprocess.PIPE, stderr=trace, text=True, env=env)
        self.events = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            t, state = line.split()
            with self.lock:
                self.events.append((float(t), state))

    def since(self, index):
        with self.lock:
            return self.events[index:]

    def count(self):
        with self.lock:
            return len(self.events)

    def state(self):
        with self.lock:
            return self.events[-1][1] if self.events else None


TRACE = re.compile(r"^I(\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d+)\s+\d+ connectivity_state\.cc:\d+\] "
                   r"ConnectivityStateTracker client_channel\[[^\]]*\]: (\w+) -> (\w+) \(")


def trace_transitions(path):
    """(unix time, from, to) of the channel's transitions in grpc-core's trace (local time, no year)."""
    year = time.localtime().tm_year
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = TRACE.match(line)
            if m:
                mo, d, h, mi, sec, frac = m.groups()[:6]
                t = time.mktime((year, int(mo), int(d), int(h), int(mi), int(sec), 0, 0, -1)) + float("0." + frac)
                out.append((t, m.group(7), m.group(8)))
    return out


class TCPFloor:
    """A plain TCP connection to the backend, to see when the kernel reports the killed process's socket
    closed: the floor under both clients' `down`."""

    def __init__(self, port):
        self.closed_at = None
        self.sock = socket.create_connection(("127.0.0.1", port))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass
        self.closed_at = time.time()
        self.sock.close()


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def ccpool_rows(port, after_id):
    events = procs.get_json(port, f"/v1/history?target={TARGET}&scope=subchannel&limit=10000")["events"]
    return [e for e in events if e["id"] > after_id]


def ccpool_ready(port):
    t = procs.get_json(port, f"/v1/targets/{TARGET}")
    return t["state"] == "READY" and any(s["state"] == "READY" for s in t["subchannels"])


def first(rows, predicate):
    return next((r for r in rows if predicate(r)), None)


def summary(values):
    return f"p50 {statistics.median(values) * 1e3:.1f} ms, max {max(values) * 1e3:.1f} ms"


def run(children):
    port = procs.free_port()
    backend, _, _ = procs.backend(children, [port], lifetime=600)
    spec = {"target": f"ipv4:127.0.0.1:{port}"}
    if BACKOFF_MS:
        spec["backoff"] = {"base_delay": f"{BACKOFF_MS}ms", "max_delay": f"{BACKOFF_MS}ms"}
    _, http_port = procs.start_ccpool(children, os.path.join(BIN, "ccpool"), workdir, {TARGET: spec})
    watcher = Watcher(children, port)
    backoff = (f"a constant {BACKOFF_MS} ms reconnect backoff (jitter 0.2) on both sides" if BACKOFF_MS else "gRPC's default backoff (1 s initial, x1.6, jitter 0.2) on both sides")
    procs.progress(f"backend 127.0.0.1:{port}; ccpool and a grpcio channel on it; {TRIES} kill/restart tries; {backoff}")

    results = []  # (ccpool down, ccpool up, grpcio down, grpcio up, ccpool reason)
    failures = []
    last_id = 0
    for i in range(TRIES):
        try:
            procs.wait_until(lambda: ccpool_ready(http_port) and watcher.state() == "READY", 15, "both READY",
                             interval=0.02)
            time.sleep(0.1)
            rows = ccpool_rows(http_port, last_id)
            last_id = max([last_id] + [r["id"] for r in rows])
            mark = watcher.count()
            floor = TCPFloor(port)
            time.sleep(0.02)

            t_kill = time.time()
            os.kill(backend.pid, signal.SIGKILL)
            backend.wait()
            children.processes.remove(backend)

            def down():
                c = first(ccpool_rows(http_port, last_id), lambda r: r["from"] == "READY")
                g = first(watcher.since(mark), lambda e: e[1] != "READY")
                return (c, g) if c and g and floor.closed_at else None
            c_down, g_down = procs.wait_until(down, 10, "both to leave READY", interval=0.01)

            backend, _, t_up = procs.backend(children, [port], lifetime=600)

            def up():
                c = first(ccpool_rows(http_port, c_down["id"]), lambda r: r["to"] == "READY")
                g = first(watcher.since(mark), lambda e: e[1] == "READY" and e[0] > g_down[0])
                return (c, g) if c and g else None
            c_up, g_up = procs.wait_until(up, 20, "both READY again", interval=0.01)
            last_id = c_up["id"]
            results.append((parse_time(c_down["time"]) - t_kill, parse_time(c_up["time"]) - t_up,
                            g_down[0] - t_kill, g_up[0] - t_up, f"{c_down['to']}: {c_down['reason']}",
                            floor.closed_at - t_kill, t_kill, t_up))
        except TimeoutError as e:
            failures.append(f"try {i + 1}: {e}")
            procs.progress(f"try {i + 1}: {e}")
            if len(failures) > 5:
                raise
            if backend.poll() is not None:
                backend, _, _ = procs.backend(children, [port], lifetime=600)
        if (i + 1) % 10 == 0:
            procs.progress(f"{i + 1}/{TRIES} tries")

    if not results:
        raise RuntimeError("no try completed")
    children.stop(watcher.process)
    trace = trace_transitions(watcher.trace_path)
    # grpcio's times from grpc-core's trace (its own clock at the transition); the watch's if the trace has
    # no line for a try (another grpcio's log format, say).
    traced = 0
    rows = []
    for r in results:
        c_down, c_up, w_down, w_up, reason, floor, t_kill, t_up = r
        d = next((t for t, a, b in trace if a == "READY" and t >= t_kill - 0.0005), None)
        u = next((t for t, a, b in trace if b == "READY" and d is not None and t > d), None)
        if d is not None and u is not None and d - t_kill < 5 and u - t_up < 10:
            g_down, g_up = d - t_kill, u - t_up
            traced += 1
        else:
            g_down, g_up = w_down, w_up
        rows.append((c_down, c_up, g_down, g_up, w_down, w_up, floor))
    cols = list(zip(*rows))
    c_down, c_up, g_down, g_up, w_down, w_up, floor = (list(c) for c in cols)
    n = len(results)
    reasons = sorted({r[4] for r in results})
    source = ("grpc-core trace" if traced == n else
              f"grpc-core trace for {traced} tries, the watch for {n - traced}")
    procs.progress(f"down: ccpool {summary(c_down)}; grpcio {summary(g_down)} ({source}), "
                   f"watch {summary(w_down)}; raw TCP EOF {summary(floor)}")
    procs.progress(f"up:   ccpool {summary(c_up)}; grpcio {summary(g_up)} ({source}), watch {summary(w_up)}")
    version = grpc_version()
    lib.row(f"Failure detection: backend SIGKILL to subchannel leaving READY (loopback), p50 / max of {n}",
            f"{statistics.median(c_down) * 1e3:.1f} / {max(c_down) * 1e3:.1f} ms",
            f"{statistics.median(g_down) * 1e3:.1f} / {max(g_down) * 1e3:.1f} ms (grpcio {version} channel, same kills; "
            f"a raw TCP socket sees EOF at {statistics.median(floor) * 1e3:.1f} / {max(floor) * 1e3:.1f} ms)",
            statistics.median(g_down) / statistics.median(c_down),
            "none stated (ratio = grpcio p50 / ccpool p50)", "")
    lib.row(f"Failure detection: backend back to READY again (loopback, "
            f"{'constant %s ms' % BACKOFF_MS if BACKOFF_MS else '1 s initial'} backoff), p50 / max of {n}",
            f"{statistics.median(c_up) * 1e3:.0f} / {max(c_up) * 1e3:.0f} ms",
            f"{statistics.median(g_up) * 1e3:.0f} / {max(g_up) * 1e3:.0f} ms (grpcio {version} channel, same restarts)",
            statistics.median(g_up) / statistics.median(c_up),
            "none stated (ratio = grpcio p50 / ccpool p50; bounded by the backoff, see below)", "")
    bound = (f"{int(BACKOFF_MS) * 1.2:.0f} ms ({BACKOFF_MS} ms + 20 % jitter)" if BACKOFF_MS else
             "1.2 s when the first retry finds the server and 1.9 s for the second (1 s, then x1.6, +-20 %)")
    lines = [f"{k + 1:3d}  {r[0] * 1e3:7.2f} {r[1] * 1e3:7.1f}   {r[2] * 1e3:7.2f} {r[3] * 1e3:7.1f}   "
             f"{r[4] * 1e3:7.2f} {r[5] * 1e3:7.1f}   {r[6] * 1e3:7.2f}" for k, r in enumerate(rows)]
    lib.log("## Failure detection (60-failure-detection)\n\n"
            f"One grpcio backend (grpc_backend.py, health service) on 127.0.0.1:{port}; ccpool holds target `{TARGET}` "
            "(pick_first, one address) READY on it, and a grpcio channel (fd_watch.py, grpc.aio) watches the same "
            f"backend. {n} tries of: SIGKILL the backend, restart it on the same port as soon as both saw the loss, "
            f"wait until both are READY again; {backoff}. `down` = kill(2) (time taken just before it) to leaving "
            "READY; `up` = the restarted server's start (the time it takes just before server.start(): its port "
            "is bound by then, but no client finishes the HTTP/2 handshake before it; taken after start() returned, "
            "it came as much as 0.2 s late on a busy machine) to READY.\n\n"
            "Clocks: ccpool's times are its history rows' (its own clock at the subchannel's transition); grpcio's "
            f"are grpc-core's own, from its `connectivity_state` trace of the channel ({source}), so neither side "
            "carries observer latency. The watch columns are the same transitions as seen by the Python watch "
            "(asyncio wake-up, up to a few ms later). The raw TCP column is a plain socket to the backend that only "
            "waits for EOF: the floor under `down` (the kernel tearing the killed process down and closing its "
            "sockets), so `down` minus that is each client's own reaction to the EOF.\n\n"
            "What bounds `up`: not detection but the reconnect backoff. After the loss the subchannel goes IDLE and "
            "reconnects at once, which is refused while the backend is still starting (Python and grpcio take "
            "~0.3-1 s here), and then retries once per backoff period; the restarted server is found at the next "
            f"attempt, so `up` lies between 0 and one backoff period plus the handshake: at most about {bound}, "
            "plus the handshake and, on a busy machine, scheduling delays of up to tens of ms. Where in that period it falls depends on how the restart time lines up with each "
            "client's own retry schedule, so the two sides' `up` figures differ by chance as much as by "
            "implementation. One difference is by design: ccpool, like grpc-go, waits exactly base_delay before "
            "its first retry and jitters only the later ones, while grpc-core jitters every backoff; with gRPC's "
            "default 1 s backoff (FD_BACKOFF_MS=default) ccpool's `up` is therefore nearly constant (1 s minus the "
            "restart time) where grpcio's spreads by +-200 ms.\n\n"
            f"ccpool left READY as: {', '.join(reasons)}."
            + (f" Tries that timed out: {'; '.join(failures)}." if failures else "")
            + "\n\n```\n     ccpool (ms)       grpcio, trace     grpcio, watch     raw TCP\n"
            + "try   down      up     down      up     down      up     EOF\n" + "\n".join(lines) + "\n```\n")


def grpc_version():
    import grpc
    return grpc.__version__


if __name__ == "__main__":
    procs.run_driver(run)
