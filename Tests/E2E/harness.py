"""Process control and checking helpers for ccpool's end-to-end suite.

Everything here talks to 127.0.0.1 only, waits with a bound, and tracks every process it starts so
that the fixtures can stop it by PID whatever happens.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BACKEND_SCRIPT = HERE / "peers" / "backend.py"
ADMIN_TOKEN = "e2e-admin-token-0123456789"
STATES = ("IDLE", "CONNECTING", "READY", "TRANSIENT_FAILURE", "SHUTDOWN")
OPENMETRICS_ACCEPT = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def ccpool_binary() -> Path:
    """`CCPOOL_BIN`, else `<repo>/.build/debug/ccpool`; a clear error when it is missing."""
    path = Path(os.environ.get("CCPOOL_BIN") or REPO / ".build" / "debug" / "ccpool")
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise RuntimeError(
            f"ccpool binary not found or not executable: {path}. Build it (`swift build`) or point "
            f"CCPOOL_BIN at one (e.g. CCPOOL_BIN=/tmp/ccpool-main-debug).")
    return path


# ---------------------------------------------------------------------------------------------
# Waiting


class WaitTimeout(AssertionError):
    pass


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    """Polls `predicate` until it returns something truthy (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, http.client.HTTPException, ValueError, KeyError, AssertionError) as error:
            last_error = error
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:.1f}s waiting for {what}"
                              + (f" (last error: {last_error!r})" if last_error else ""))
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Ports
#
# Ports come from below the kernel's ephemeral range (32768-60999 here): a client that keeps
# dialling a closed port inside that range can, rarely, connect to itself (TCP simultaneous open
# when the kernel picks the destination port as the source port), which would look like a
# backend that answers garbage.

_port_lock = threading.Lock()
_next_port = random.Random(os.getpid() ^ int(time.time())).randrange(20000, 31000)


def _candidate_ports():
    global _next_port
    with _port_lock:
        for _ in range(12000):
            port = _next_port
            _next_port = 20000 if _next_port >= 32000 else _next_port + 1
            yield port


def free_port() -> int:
    """A port nobody listens on now: bound on 127.0.0.1, read, closed (for ccpool's HTTP and
    Prometheus, which bind it themselves)."""
    for port in _candidate_ports():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


class PortReservation:
    """A backend port held for a whole test by a bound, never-listening SO_REUSEPORT socket.

    Connections to it are refused while no backend runs; a backend (grpcio binds with
    SO_REUSEPORT) binds beside the reservation, and a killed backend's port cannot be taken by a
    parallel test before we restart it.
    """

    def __init__(self):
        for port in _candidate_ports():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            self.port = port
            self.socket = s
            return
        raise RuntimeError("no free port in 20000-32000")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self):
        self.socket.close()


# ---------------------------------------------------------------------------------------------
# Processes


class ProcessRegistry:
    """Every process the suite starts; `stop_all` ends the ones still running, by PID."""

    def __init__(self):
        self.processes: list[subprocess.Popen] = []
        self.lock = threading.Lock()

    def add(self, process: subprocess.Popen):
        with self.lock:
            self.processes.append(process)

    def stop_all(self):
        with self.lock:
            processes, self.processes = self.processes, []
        for p in processes:
            stop_pid(p)


def stop_pid(p: subprocess.Popen, grace: float = 3.0):
    """SIGCONT (in case it is paused), SIGTERM, then SIGKILL after `grace`; always reaps."""
    if p.poll() is not None:
        return
    for sig in (signal.SIGCONT, signal.SIGTERM):
        try:
            os.kill(p.pid, sig)
        except ProcessLookupError:
            return
    try:
        p.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.kill(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(5)


REGISTRY = ProcessRegistry()


# ---------------------------------------------------------------------------------------------
# HTTP


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    elapsed: float = 0.0

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def error_code(self):
        try:
            return self.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None


def http_request(port: int, method: str, path: str, body=None, headers=None, timeout: float = 10.0) -> Response:
    """One request on a fresh connection; `path` is sent exactly as given (no normalisation)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
            if not any(k.lower() == "content-type" for k in (headers or {})):
                conn.putheader("Content-Type", "application/json")
        try:
            conn.endheaders(body)
        except (BrokenPipeError, ConnectionResetError):
            # The server may answer early (413) and close while the body is still being sent;
            # its answer is already in our receive buffer.
            pass
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data, time.monotonic() - started)
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# Metrics


class Metrics:
    """A parsed scrape: samples as (name, labels, value)."""

    def __init__(self, text: str, openmetrics: bool = False):
        self.text = text
        self.families = list((parse_openmetrics if openmetrics else parse_text)(text))
        self.samples = [(s.name, dict(s.labels), s.value) for f in self.families for s in f.samples]

    def select(self, name: str, **labels):
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == v_ for k, v_ in labels.items())]

    def sum(self, name: str, **labels) -> float:
        return sum(v for _, v in self.select(name, **labels))

    def value(self, name: str, **labels) -> float:
        found = self.select(name, **labels)
        assert len(found) == 1, f"expected one sample {name}{labels}, found {found}"
        return found[0][1]

    def one_hot(self, name: str, key: str = "state", **labels) -> str | None:
        """The label value whose sample is 1 among a one-hot family, asserting it is one-hot."""
        found = self.select(name, **labels)
        if not found:
            return None
        ones = [l[key] for l, v in found if v == 1]
        assert all(v in (0, 1) for _, v in found), found
        assert len(ones) == 1, f"{name}{labels} is not one-hot: {found}"
        return ones[0]


def promtool_check(text: str) -> tuple[int, str]:
    r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    return r.returncode, (r.stdout + r.stderr).decode()


# ---------------------------------------------------------------------------------------------
# Config


FAST_BACKOFF = {"base_delay": "100ms", "max_delay": "1s", "min_connect_timeout": "2s"}
KEEPALIVE = {"time": "1s", "timeout": "1s"}


def target_spec(addresses, lb: str = "round_robin", health: str | None = "", keepalive: bool = False,
                backoff: dict | None = None, **extra) -> dict:
    """A TargetSpec for `ipv4:` addresses with the suite's fast backoff."""
    if isinstance(addresses, str):
        addresses = [addresses]
    config = {"loadBalancingConfig": [{lb: {}}]}
    if health is not None:
        config["healthCheckConfig"] = {"serviceName": health}
    spec = {"target": "ipv4:" + ",".join(addresses), "service_config": json.dumps(config),
            "backoff": dict(backoff or FAST_BACKOFF)}
    if keepalive:
        spec["keepalive"] = dict(KEEPALIVE)
    spec.update(extra)
    return spec


def storm_targets(backends, count: int, prefix: str = "svc", **kw) -> dict:
    """`count` targets, spread over `backends`, each health-checking its own service
    `<prefix><i>` (which `Backend.flap` toggles)."""
    return {f"{prefix}-{i:04d}": target_spec([backends[i % len(backends)].address], health=f"{prefix}{i}", **kw)
            for i in range(count)}


def config_text(targets: dict, **top) -> str:
    """A config file (JSON, which is YAML) with `targets` {name: spec} and top-level settings."""
    document = dict(top)
    document["targets"] = [dict(name=name, **spec) for name, spec in targets.items()]
    return json.dumps(document, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------
# Backend peers


class Backend:
    """A grpcio backend process on a reserved port (see peers/backend.py)."""

    def __init__(self, workdir: Path, name: str, health: bool = True, reservation: PortReservation | None = None):
        self.workdir = workdir
        self.name = name
        self.health = health
        self.reservation = reservation or PortReservation()
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / f"backend-{name}.log"
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.reservation.port

    @property
    def address(self) -> str:
        return self.reservation.address

    def start(self, timeout: float = 15.0) -> "Backend":
        assert self.process is None or self.process.poll() is not None, "backend already running"
        args = [sys.executable, str(BACKEND_SCRIPT), str(self.port)]
        if not self.health:
            args.append("--no-health")
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                        start_new_session=True)
        log.close()
        REGISTRY.add(self.process)
        line = self._readline(timeout)
        assert line.startswith("listening "), f"backend {self.name} did not start: {line!r}; see {self.log_path}"
        assert int(line.split()[1]) == self.port, line
        self.started_at = time.time()
        return self

    def _readline(self, timeout: float) -> str:
        result = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not result:
            raise WaitTimeout(f"backend {self.name}: no answer within {timeout}s")
        return result[0].decode().strip()

    def command(self, line: str, timeout: float = 10.0) -> str:
        with self.lock:
            self.process.stdin.write((line + "\n").encode())
            self.process.stdin.flush()
            answer = self._readline(timeout)
        assert answer.startswith("ok"), f"backend {self.name}: {line!r} -> {answer!r}"
        return answer

    def set_health(self, status: str, service: str = "-"):
        self.command(f"set {service} {status}")

    def set_all(self, prefix: str, count: int, status: str = "SERVING"):
        self.command(f"setall {prefix} {count} {status}")

    def flap(self, prefix: str, count: int, period_ms: int):
        """Toggle services prefix0..prefix{count-1} once per period each (see peers/backend.py)."""
        self.command(f"setall {prefix} {count} SERVING")
        self.command(f"flap {prefix} {count} {period_ms}")

    def unflap(self):
        self.command("unflap")

    def kill(self, sig=signal.SIGKILL) -> float:
        os.kill(self.process.pid, sig)
        at = time.time()
        if sig == signal.SIGKILL:
            self.process.wait(10)
        return at

    def graceful_stop(self, grace: float = 1.0) -> float:
        with self.lock:
            at = time.time()
            self.process.stdin.write(f"stop {grace}\n".encode())
            self.process.stdin.flush()
        self.process.wait(grace + 10)
        return at

    def pause(self) -> float:
        os.kill(self.process.pid, signal.SIGSTOP)
        return time.time()

    def resume(self) -> float:
        os.kill(self.process.pid, signal.SIGCONT)
        return time.time()

    def stop(self):
        if self.process is not None:
            stop_pid(self.process)

    def close(self):
        self.stop()
        self.reservation.close()


# ---------------------------------------------------------------------------------------------
# ccpool


class CCPool:
    """One `ccpool serve` process on its own port, config file and database."""

    def __init__(self, workdir: Path, name: str = "ccpool", database: Path | None = None,
                 token: str | None = ADMIN_TOKEN, extra_args=(), env=None):
        self.binary = ccpool_binary()
        self.workdir = workdir
        self.name = name
        self.config_path = workdir / f"{name}.yaml"
        self.database = database or workdir / f"{name}.db"
        self.token = token
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / f"{name}.log"
        self.min_event_id = 0
        self.started_at = None

    # -- lifecycle

    def write_config(self, targets: dict, **top):
        self.config_path.write_text(config_text(targets, **top))

    def command_line(self) -> list[str]:
        return [str(self.binary), "serve", "--config", str(self.config_path), "--listen",
                f"127.0.0.1:{self.port}", "--database", str(self.database), "--log-level", "info",
                *self.extra_args]

    def start(self, timeout: float = 20.0, wait: bool = True) -> "CCPool":
        assert self.process is None or self.process.poll() is not None, "already running"
        if not self.config_path.exists():
            self.write_config({})
        self.min_event_id = max_event_id(self.database)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCPOOL_")}
        if self.token:
            env["CCPOOL_ADMIN_TOKEN"] = self.token
        env.update(self.env)
        log = open(self.log_path, "ab")
        log.write(f"---- start {' '.join(self.command_line())}\n".encode())
        log.flush()
        self.process = subprocess.Popen(self.command_line(), stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        REGISTRY.add(self.process)
        self.started_at = time.time()
        if wait:
            self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 20.0):
        def up():
            if self.process.poll() is not None:
                raise AssertionError(f"ccpool exited with {self.process.returncode} during start-up:\n"
                                     + self.log_tail())
            return self.get("/healthz", timeout=2).status == 200
        try:
            wait_until(up, timeout, "ccpool /healthz")
        except WaitTimeout:
            raise AssertionError(f"ccpool did not answer /healthz within {timeout}s:\n{self.log_tail()}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    @property
    def pid(self) -> int:
        return self.process.pid

    def sighup(self):
        os.kill(self.pid, signal.SIGHUP)

    def terminate(self, timeout: float = 20.0) -> int:
        os.kill(self.pid, signal.SIGTERM)
        return self.process.wait(timeout)

    def kill9(self) -> int:
        os.kill(self.pid, signal.SIGKILL)
        return self.process.wait(10)

    def stop(self):
        if self.process is not None:
            stop_pid(self.process, grace=15)

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    # -- HTTP

    def request(self, method: str, path: str, body=None, headers=None, admin: bool = False,
                timeout: float = 10.0) -> Response:
        headers = dict(headers or {})
        if admin:
            headers["Authorization"] = f"Bearer {self.token}"
        return http_request(self.port, method, path, body, headers, timeout)

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def get_json(self, path: str):
        r = self.get(path)
        assert r.status == 200, f"GET {path} -> {r.status} {r.text}"
        return r.json()

    def targets(self) -> dict:
        return {t["name"]: t for t in self.get_json("/v1/targets")["targets"]}

    def target(self, name: str) -> dict:
        return self.get_json(f"/v1/targets/{name}")

    def put_target(self, name: str, spec: dict) -> Response:
        return self.request("PUT", f"/v1/targets/{name}", body=spec, admin=True)

    def delete_target(self, name: str) -> Response:
        return self.request("DELETE", f"/v1/targets/{name}", admin=True)

    def pick(self, name: str, wait_for_ready: bool = False, timeout_ms: int = 1000) -> Response:
        return self.request("POST", f"/v1/targets/{name}/pick",
                            body={"wait_for_ready": wait_for_ready, "timeout_ms": timeout_ms})

    def metrics(self, openmetrics: bool = False) -> Metrics:
        headers = {"Accept": OPENMETRICS_ACCEPT} if openmetrics else {}
        r = self.get("/metrics", headers=headers)
        assert r.status == 200, r.text
        return Metrics(r.text, openmetrics)

    def history(self, since_start: bool = True, **filters) -> list[dict]:
        """Every matching history row (all pages); by default only this process's rows."""
        events, cursor = [], None
        for _ in range(1000):
            query = {"limit": "10000", **{k: str(v) for k, v in filters.items()}}
            if cursor:
                query["cursor"] = cursor
            body = self.get_json("/v1/history?" + urllib.parse.urlencode(query))
            events.extend(body["events"])
            cursor = body.get("next_cursor")
            if not cursor:
                break
        if since_start:
            events = [e for e in events if e["id"] > self.min_event_id]
        return events

    # -- waiting on state

    def wait_target_state(self, name: str, state: str, timeout: float = 15.0, subchannels: str | None = None):
        """Waits until the channel is `state` (and, if given, every subchannel is `subchannels`)."""
        def ok():
            t = self.target(name)
            if t["state"] != state:
                return None
            if subchannels and not (t["subchannels"] and all(s["state"] == subchannels for s in t["subchannels"])):
                return None
            return t
        return wait_until(ok, timeout, f"target {name} {state}" + (f" with subchannels {subchannels}" if subchannels else ""))

    def wait_all_ready(self, names, timeout: float = 20.0):
        names = set(names)

        def ok():
            ts = self.targets()
            return all(n in ts and ts[n]["state"] == "READY" and ts[n]["subchannels"]
                       and all(s["state"] == "READY" for s in ts[n]["subchannels"]) for n in names)
        wait_until(ok, timeout, f"{len(names)} targets READY", interval=0.1)

    def wait_history(self, predicate, timeout: float = 15.0, what: str = "history row", **filters) -> dict:
        """Waits for the first history row (this run) matching `predicate`; returns it."""
        def find():
            for e in self.history(**filters):
                if predicate(e):
                    return e
            return None
        return wait_until(find, timeout, what, interval=0.1)

    def wait_quiescent(self, timeout: float = 20.0, settle: float = 0.5) -> Metrics:
        """Waits until no transition happens for `settle` seconds and the history queue is empty."""
        def totals(m: Metrics):
            return (m.sum("ccpool_channel_state_transitions_total"),
                    m.sum("ccpool_subchannel_state_transitions_total"),
                    m.value("ccpool_history_events_written_total"))

        def quiet():
            m1 = self.metrics()
            time.sleep(settle)
            m2 = self.metrics()
            if totals(m1) == totals(m2) and m2.value("ccpool_history_queue_depth") == 0:
                return m2
            return None
        return wait_until(quiet, timeout, "quiescence (no transitions, empty history queue)", interval=0.1)


def max_event_id(database: Path) -> int:
    """The highest committed history id of a database file (0 when there is none)."""
    if not Path(database).exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute("SELECT max(id) FROM events").fetchone()
            return row[0] or 0
    except sqlite3.Error:
        return 0


def file_fingerprint(path: Path) -> tuple:
    data = Path(path).read_bytes()
    st = os.stat(path)
    return (hashlib.sha256(data).hexdigest(), st.st_size, st.st_mtime_ns, oct(st.st_mode))


# ---------------------------------------------------------------------------------------------
# Consistency (docs/metrics.md, "Consistency rules", at quiescence)


def check_chain(rows: list[dict], what: str):
    """Each row starts where the previous one ended; the first starts at IDLE; no X→X rows."""
    previous = "IDLE"
    for e in rows:
        assert e["from"] == previous, f"{what}: row {e['id']} goes {e['from']}->{e['to']} after {previous}: {e}"
        assert e["from"] != e["to"], f"{what}: self transition {e}"
        previous = e["to"]
    return previous


def assert_consistent(pool: CCPool, names=None, check_totals: bool = True) -> dict:
    """Checks API, history and metrics against each other at quiescence; returns a summary.

    `names` restricts the per-target checks (targets whose series were reset, e.g. removed and
    added again, cannot be compared with their whole history). `check_totals` compares the
    history-wide counters with every row of this run.
    """
    metrics = pool.wait_quiescent()
    targets = pool.targets()
    events = pool.history()
    metrics_after = pool.metrics()
    assert metrics.sum("ccpool_channel_state_transitions_total") == metrics_after.sum(
        "ccpool_channel_state_transitions_total"), "transitions happened during the consistency check"
    names = sorted(targets) if names is None else sorted(names)
    by_target: dict[str, list] = {}
    for e in events:
        by_target.setdefault(e["target"], []).append(e)
    for name in names:
        assert name in targets, f"{name} missing from /v1/targets"
        t = targets[name]
        rows = by_target.get(name, [])
        channel_rows = [e for e in rows if e["scope"] == "channel"]
        sub_rows = [e for e in rows if e["scope"] == "subchannel"]
        # History chains and agrees with the API.
        last = check_chain(channel_rows, f"channel {name}")
        assert last == t["state"], f"{name}: API says {t['state']}, last history row says {last}"
        by_sub: dict[int, list] = {}
        for e in sub_rows:
            by_sub.setdefault(e["subchannel"], []).append(e)
        for sid, srows in by_sub.items():
            check_chain(srows, f"{name} subchannel {sid}")
        for s in t["subchannels"]:
            srows = by_sub.get(s["id"], [])
            last = srows[-1]["to"] if srows else "IDLE"
            assert last == s["state"], f"{name} subchannel {s['id']}: API {s['state']}, history {last}"
        # Metrics agree with the API.
        assert metrics.one_hot("ccpool_channel_state", target=name) == t["state"], name
        for s in t["subchannels"]:
            for address in s["addresses"][:1]:
                assert metrics.one_hot("ccpool_subchannel_state", target=name, address=address) == s["state"], \
                    f"{name} {address}"
        # Counters agree with the history rows.
        assert metrics.sum("ccpool_channel_state_transitions_total", target=name) == len(channel_rows), \
            f"{name}: channel transitions counted {metrics.sum('ccpool_channel_state_transitions_total', target=name)}, history rows {len(channel_rows)}"
        assert metrics.sum("ccpool_subchannel_state_transitions_total", target=name) == len(sub_rows), \
            f"{name}: subchannel transitions counted {metrics.sum('ccpool_subchannel_state_transitions_total', target=name)}, history rows {len(sub_rows)}"
    # Process-wide.
    assert metrics.sum("ccpool_channels") == metrics.value("ccpool_targets") == len(targets)
    for state in STATES:
        assert metrics.value("ccpool_channels", state=state) == sum(1 for t in targets.values() if t["state"] == state)
    if check_totals:
        written = metrics.value("ccpool_history_events_written_total")
        depth = metrics.value("ccpool_history_queue_depth")
        assert written + depth == len(events), f"written {written} + queued {depth} != {len(events)} history rows"
    return {"targets": len(names), "events": len(events)}


# ---------------------------------------------------------------------------------------------
# Prometheus


class Prometheus:
    """A real Prometheus server scraping the given ccpool ports every second."""

    def __init__(self, workdir: Path, scrape_ports: list[int]):
        self.workdir = workdir / f"prometheus-{random.randrange(1 << 30)}"
        self.workdir.mkdir()
        self.port = free_port()
        targets = ", ".join(f"'127.0.0.1:{p}'" for p in scrape_ports)
        (self.workdir / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: ccpool\n"
            f"    static_configs: [{{targets: [{targets}]}}]\n")
        self.process = None

    def start(self, timeout: float = 30.0) -> "Prometheus":
        log = open(self.workdir / "prometheus.log", "ab")
        self.process = subprocess.Popen(
            ["prometheus", f"--config.file={self.workdir / 'prometheus.yml'}",
             f"--storage.tsdb.path={self.workdir / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}",
             "--log.level=warn", "--storage.tsdb.retention.time=1h"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        REGISTRY.add(self.process)
        wait_until(lambda: http_request(self.port, "GET", "/-/ready", timeout=2).status == 200, timeout,
                   "prometheus /-/ready", interval=0.2)
        return self

    def query(self, expr: str):
        r = http_request(self.port, "GET", "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        body = r.json()
        assert body["status"] == "success", body
        return body["data"]["result"]

    def scalar(self, expr: str) -> float | None:
        result = self.query(expr)
        if not result:
            return None
        assert len(result) == 1, result
        return float(result[0]["value"][1])

    def wait_scraped(self, timeout: float = 20.0):
        """Waits until every ccpool target was scraped successfully (format accepted)."""
        def ok():
            r = http_request(self.port, "GET", "/api/v1/targets").json()
            active = r["data"]["activeTargets"]
            bad = [t for t in active if t["health"] != "up"]
            return active and not bad
        wait_until(ok, timeout, "prometheus scraping every ccpool", interval=0.25)

    def wait_value(self, expr: str, expected: float, timeout: float = 15.0):
        return wait_until(lambda: self.scalar(expr) == expected, timeout, f"PromQL {expr} == {expected}",
                          interval=0.25)

    def targets_health(self):
        return http_request(self.port, "GET", "/api/v1/targets").json()["data"]["activeTargets"]

    def stop(self):
        if self.process is not None:
            stop_pid(self.process)
