"""A running ccpool with real backends, for the dashboard's browser checks and screenshots.

`DashboardEnv` starts Python grpcio health servers (Tests/Peers/health_server.py), writes a config file with a
handful of targets that end up in different states (READY, TRANSIENT_FAILURE, IDLE, a NOT_SERVING
subchannel, a stopped backend), starts the ccpool binary on a free port with a fresh database, and stops every
process it started by PID on every exit path (context manager, atexit, SIGTERM/SIGINT/SIGHUP).

Also here: `chromium()` (the headless browser binary or None), `dump_dom()`, `screenshot()` and a tiny
HTML tree builder (`parse_html`) so the checks need nothing beyond the standard library.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PEER = os.path.join(ROOT, "Tests", "Peers", "health_server.py")

# A label value and a note that must show as text, never as markup.
XSS_LABEL = '<script>alert("x")</script>'
XSS_NOTE = "a&b <i>'quoted'</i>"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_args(browser):
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1",
            "--user-data-dir=" + tempfile.mkdtemp(prefix="ccpool-chromium-")]


def dump_dom(browser, url, extra=(), timeout=60):
    """The DOM after load (scripts ran their first pass), as Chromium serializes it."""
    args = browser_args(browser)
    try:
        out = subprocess.run(args[:-1] + list(extra) + [args[-1], "--dump-dom", url], capture_output=True, timeout=timeout, check=True)
    finally:
        shutil.rmtree(args[-1].split("=", 1)[1], ignore_errors=True)
    return out.stdout.decode("utf-8")


def screenshot(browser, url, path, width=1360, height=1000, timeout=60):
    args = browser_args(browser)
    try:
        subprocess.run(args + [f"--window-size={width},{height}", f"--screenshot={path}", url],
                       capture_output=True, timeout=timeout, check=True)
    finally:
        shutil.rmtree(args[-1].split("=", 1)[1], ignore_errors=True)
    if not os.path.exists(path):
        raise RuntimeError(f"chromium wrote no screenshot at {path}")


class HealthPeer:
    """One health_server.py process."""

    def __init__(self, no_health=False):
        args = [sys.executable, PEER, "0"] + (["--no-health"] if no_health else [])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "listening":
            self.stop()
            raise RuntimeError(f"health server did not start: {line}")
        self.port = int(line[1])
        self.address = f"127.0.0.1:{self.port}"

    def set(self, status, service="-"):
        self.proc.stdin.write(f"set {service} {status}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError(f"health server: {answer}")

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("stop\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except Exception:
                pass
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class DashboardEnv:
    def __init__(self, binary=None, verbose=False):
        self.binary = binary or os.environ.get("CCPOOL_BIN", os.path.join(ROOT, ".build", "debug", "ccpool"))
        self.verbose = verbose
        self.peers = []
        self.ccpool = None
        self.work = tempfile.mkdtemp(prefix="ccpool-dashboard-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._stopped = False

    # ---- lifecycle ---------------------------------------------------------------------------
    def __enter__(self):
        atexit.register(self.stop)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _on_signal(self, signum, _frame):
        self.stop()
        sys.exit(128 + signum)

    def log(self, text):
        if self.verbose:
            print(f"[env] {text}", flush=True)

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"no ccpool binary at {self.binary} (build it, or set CCPOOL_BIN)")
        self.pay = [HealthPeer() for _ in range(3)]
        self.inv = HealthPeer()
        self.flaky = HealthPeer()
        self.nohealth = HealthPeer(no_health=True)
        self.peers = self.pay + [self.inv, self.flaky, self.nohealth]
        self.pay[2].set("NOT_SERVING", "payments.v1.Payments")
        for peer in self.pay[:2]:
            peer.set("SERVING", "payments.v1.Payments")
        closed = free_port()  # nothing listens there: connection refused
        backoff = '{"base_delay": "1s", "max_delay": "5s"}'
        config = f"""
listen: "127.0.0.1:{self.port}"
database: "{self.work}/ccpool.db"
shards: 2
targets:
  - name: payments
    target: "ipv4:{','.join(p.address for p in self.pay)}"
    service_config: |
      {{"loadBalancingConfig": [{{"round_robin": {{}}}}],
       "healthCheckConfig": {{"serviceName": "payments.v1.Payments"}}}}
    labels: {{team: billing, tier: "1"}}
  - name: inventory
    target: "ipv4:{self.inv.address}"
    labels: {{team: stock}}
  - name: search-edge
    target: "ipv4:127.0.0.1:{closed},{self.nohealth.address}"
    labels: {{team: search}}
  - name: flaky-backend
    target: "ipv4:{self.flaky.address}"
    backoff: {backoff}
    labels: {{team: {json.dumps(XSS_LABEL)}, note: {json.dumps(XSS_NOTE)}}}
  - name: legacy-auth
    target: "ipv4:127.0.0.1:{closed}"
    backoff: {backoff}
    labels: {{team: identity}}
  - name: reports.lazy
    target: "ipv4:{self.inv.address}"
    idle: lazy
    labels: {{team: analytics}}
""" + self.extra_targets(closed)
        self.config_path = os.path.join(self.work, "ccpool.yaml")
        with open(self.config_path, "w") as f:
            f.write(config)
        self.before_start()
        self.logfile = open(os.path.join(self.work, "ccpool.log"), "w")
        self.ccpool = subprocess.Popen([self.binary, "serve", "--config", self.config_path],
                                       stdout=self.logfile, stderr=subprocess.STDOUT, cwd=self.work)
        self.log(f"ccpool pid {self.ccpool.pid} on {self.base}")
        self.wait_until("ready", lambda: self.status("/readyz") == 200, timeout=30)

    def extra_targets(self, closed_port):
        """More config-file target entries (YAML text) for subclasses."""
        return ""

    def before_start(self):
        """Runs after the config is written and before ccpool starts (subclasses seed the database here)."""

    def scenario(self):
        """Makes some history: payments READY with one NOT_SERVING subchannel that recovers and fails again,
        a backend that stops (its target goes to TRANSIENT_FAILURE), refused connections."""
        self.wait_until("payments READY", lambda: self.target("payments")["state"] == "READY", timeout=30)
        self.wait_until("inventory READY", lambda: self.target("inventory")["state"] == "READY", timeout=30)
        self.wait_until("flaky-backend READY", lambda: self.target("flaky-backend")["state"] == "READY", timeout=30)
        time.sleep(0.5)
        self.pay[2].set("SERVING", "payments.v1.Payments")
        time.sleep(1.0)
        self.pay[2].set("NOT_SERVING", "payments.v1.Payments")
        time.sleep(0.5)
        self.flaky.stop()
        self.wait_until("flaky-backend TRANSIENT_FAILURE",
                        lambda: self.target("flaky-backend")["state"] == "TRANSIENT_FAILURE", timeout=30)
        self.wait_until("legacy-auth TRANSIENT_FAILURE",
                        lambda: self.target("legacy-auth")["state"] == "TRANSIENT_FAILURE", timeout=30)
        time.sleep(1.0)

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        if self.ccpool is not None and self.ccpool.poll() is None:
            self.log(f"stopping ccpool pid {self.ccpool.pid}")
            os.kill(self.ccpool.pid, signal.SIGTERM)
            try:
                self.ccpool.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.ccpool.pid, signal.SIGKILL)
                self.ccpool.wait()
        for peer in self.peers:
            peer.stop()
        if getattr(self, "logfile", None):
            self.logfile.close()
        if os.environ.get("KEEP_WORK") != "1":
            shutil.rmtree(self.work, ignore_errors=True)

    # ---- HTTP --------------------------------------------------------------------------------
    def status(self, path):
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=10) as r:
            return r.read().decode("utf-8")

    def get_json(self, path):
        return json.loads(self.get(path))

    def target(self, name):
        return self.get_json("/v1/targets/" + name)

    def history(self, target):
        """Every event of `target`, in id order (follows the cursor)."""
        events, cursor = [], None
        while True:
            path = f"/v1/history?target={target}&limit=10000" + (f"&cursor={cursor}" if cursor else "")
            page = self.get_json(path)
            events += page["events"]
            cursor = page.get("next_cursor")
            if not cursor:
                return events

    def wait_until(self, what, condition, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            try:
                if condition():
                    return
            except Exception:
                pass
            if self.ccpool is not None and self.ccpool.poll() is not None:
                raise RuntimeError(f"ccpool exited with {self.ccpool.returncode} while waiting for {what}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}")
            time.sleep(0.1)


# ---- a small HTML tree -----------------------------------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag=None, **attrs):
        def ok(n):
            if tag and n.tag != tag:
                return False
            for k, v in attrs.items():
                k = k.rstrip("_").replace("_", "-")
                if k == "class":
                    if v not in n.attrs.get("class", "").split():
                        return False
                elif v is True:
                    if k not in n.attrs:
                        return False
                elif n.attrs.get(k) != v:
                    return False
            return True
        return [n for n in self.iter() if ok(n)]

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def get(self, name, default=None):
        return self.attrs.get(name, default)


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse_html(text):
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root
