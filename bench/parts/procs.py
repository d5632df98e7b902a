"""Process and HTTP helpers shared by the bench parts that start servers: free ports, child processes
stopped by PID, plain HTTP GETs on loopback, bounded waits."""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def progress(text):
    print(f"   {text}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what, interval=0.05):
    """Calls `predicate` until it returns something truthy (returned) or `timeout` seconds pass (raises)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (OSError, http.client.HTTPException, ValueError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Children:
    """Every process a part starts; `stop_all` stops each by its PID (SIGTERM, then SIGKILL)."""

    def __init__(self):
        self.processes = []

    def start(self, argv, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(argv, **kw)
        self.processes.append(p)
        return p

    def stop(self, p, grace=5.0):
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGTERM)
                p.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
            except ProcessLookupError:
                pass
        if p in self.processes:
            self.processes.remove(p)

    def stop_all(self):
        for p in reversed(list(self.processes)):
            self.stop(p)


def exit_on_sigterm():
    """SIGTERM (the part's trap) unwinds the driver so that its `finally` stops the children."""
    def handler(*_):
        raise SystemExit(143)
    signal.signal(signal.SIGTERM, handler)


def run_driver(run):
    """A driver's main: `run(children)`, then every child it started is stopped, also on SIGTERM."""
    exit_on_sigterm()
    children = Children()
    try:
        run(children)
    finally:
        children.stop_all()


def backend(children, ports, lifetime=900):
    """Starts grpc_backend.py on `ports` (0 = any free port); returns (process, [ports], start time)."""
    p = children.start([sys.executable, os.path.join(HERE, "grpc_backend.py"), "--lifetime", str(lifetime),
                        *map(str, ports)], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().split()
    if len(line) != 3 or line[0] != "listening":
        raise RuntimeError(f"backend did not start: {line}")
    return p, [int(x) for x in line[1].split(",")], float(line[2])


def http_get(port, path, headers=None, timeout=10.0):
    """(status, headers dict, body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def get_json(port, path):
    status, _, body = http_get(port, path)
    if status != 200:
        raise ValueError(f"GET {path}: {status} {body[:200]!r}")
    return json.loads(body)


def start_ccpool(children, binary, workdir, targets, log_name="ccpool.log"):
    """`ccpool serve` on a free port with `targets` ({name: spec}) in a generated config; returns
    (process, port) once /healthz answers."""
    port = free_port()
    config = os.path.join(workdir, "ccpool.json")
    with open(config, "w") as f:
        json.dump({"targets": [dict(name=n, **s) for n, s in targets.items()]}, f)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCPOOL_")}
    log = open(os.path.join(workdir, log_name), "ab")
    p = children.start([binary, "serve", "--config", config, "--listen", f"127.0.0.1:{port}",
                        "--database", os.path.join(workdir, "ccpool.db"), "--log-level", "warning"],
                       stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    wait_until(lambda: p.poll() is None and http_get(port, "/healthz")[0] == 200, 30, "ccpool /healthz")
    return p, port
