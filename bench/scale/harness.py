"""Helpers shared by the scale benchmarks (scale.py, single.py): the processes a run starts (each stopped by
PID), the loopback h2backend processes and their handshake counts, ccpool's HTTP routes timed the way a
cheap client would see them, and ccpool's own view of its pool in /metrics."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parts"))
import lib  # noqa: E402,F401  (re-exported for the benchmarks)

started = []  # every process this harness started, stopped by PID at the end


def note(text):
    print(text, file=sys.stderr, flush=True)


def start(argv, **kwargs):
    proc = subprocess.Popen(argv, **kwargs)
    started.append(proc)
    return proc


def stop(proc, grace=10.0):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    if proc in started:
        started.remove(proc)


def stop_all():
    for proc in list(started):
        try:
            stop(proc, grace=3.0)
        except Exception as error:  # keep stopping the others
            note(f"stopping {proc.pid}: {error}")


def listen_overflows():
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[0::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:]))
            return int(table.get("ListenOverflows", 0)), int(table.get("ListenDrops", 0))
    return 0, 0


class Backends:
    """One h2backend process per host, each on its own port; addresses[i] is "host:port" of hosts[i]."""

    def __init__(self, binary, workdir, hosts):
        self.stats = []
        self.addresses = []
        self.procs = []
        for i, host in enumerate(hosts):
            path = os.path.join(workdir, f"backend{i}.stats")
            proc = start([binary, host, "0", path], stdout=subprocess.PIPE, text=True)
            line = proc.stdout.readline().strip()  # "listening HOST:PORT"
            if not line.startswith("listening "):
                raise RuntimeError(f"backend {i} did not start: {line!r}")
            self.addresses.append(line.split()[1])
            self.stats.append(path)
            self.procs.append(proc)

    def read(self):
        """[(open_handshaken, accepted, handshakes_total, last_handshake_ns, closed)] per backend."""
        out = []
        for path in self.stats:
            for _ in range(5):
                try:
                    with open(path) as f:
                        out.append(tuple(int(x) for x in f.read().split()))
                    break
                except (OSError, ValueError):
                    time.sleep(0.002)
            else:
                raise RuntimeError(f"cannot read {path}")
        return out

    def open_connections(self):
        return sum(s[0] for s in self.read())

    def wait_open(self, predicate, deadline, procs=()):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            stats = self.read()
            if predicate(sum(s[0] for s in stats)):
                return stats
            for proc in procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"client {proc.args[0]} exited with {proc.returncode}")
            time.sleep(0.01)
        return None


def wait_line(proc, prefix, deadline):
    """Reads the client's stdout until a line starting with prefix (bounded by the deadline)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{proc.args[0]} ended before printing {prefix!r}")
        if line.startswith(prefix):
            return
    raise RuntimeError(f"{proc.args[0]} did not print {prefix!r}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path, port, database, targets, max_targets=None):
    """A ccpool config listening on 127.0.0.1:port with the given [(name, target URI, policy)] (none: empty);
    max_targets raises limits.max_targets (the default allows 10,000)."""
    with open(path, "w") as f:
        f.write(f'listen: "127.0.0.1:{port}"\ndatabase: "{database}"\nshutdown_deadline: "20s"\n')
        if max_targets is not None:
            f.write(f"limits:\n  max_targets: {max_targets}\n")
        if not targets:
            f.write("targets: []\n")
            return
        f.write("targets:\n")
        for name, target, policy in targets:
            f.write(f'  - name: "{name}"\n    target: "{target}"\n'
                    f'    service_config: \'{{"loadBalancingConfig": [{{"{policy}": {{}}}}]}}\'\n')


def http_get(port, path, timeout=30, headers=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    t = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return time.perf_counter() - t, body


def curl_time(port, path, headers=None):
    """Seconds from connect to the last byte of GET path, and the body's size, as curl measures them."""
    argv = ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download} %{http_code}"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(argv + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=60,
                         check=True).stdout.split()
    if out[2] != "200":
        raise RuntimeError(f"GET {path}: HTTP {out[2]}")
    return float(out[0]), int(out[1])


def wait_http(port, proc, deadline):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"ccpool exited with {proc.returncode}")
        try:
            http_get(port, "/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("ccpool did not serve /healthz")


def ccpool_view(first_scrape):
    """ccpool's own view in a /metrics body: (channels READY, open connections, subchannels READY)."""
    text = first_scrape.decode()
    ready_channels = open_connections = ready_subchannels = 0
    for line in text.splitlines():
        if line.startswith('ccpool_channels{state="READY"}'):
            ready_channels = int(float(line.split()[-1]))
        elif line.startswith("ccpool_subchannel_open_connections{"):
            open_connections += int(float(line.split()[-1]))
        elif line.startswith("ccpool_subchannel_state{") and 'state="READY"' in line and line.endswith(" 1"):
            ready_subchannels += 1
    return ready_channels, open_connections, ready_subchannels


def ccpool_last_ready(port, t0_wall):
    """Seconds from t0_wall to the last subchannel READY event in ccpool's history (its own clock)."""
    last = None
    cursor = None
    for _ in range(20):
        query = "/v1/history?scope=subchannel&to=READY&limit=10000" + (f"&cursor={cursor}" if cursor else "")
        _, body = http_get(port, query)
        page = json.loads(body)
        for event in page["events"]:
            last = event["time"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if last is None:
        return None
    from datetime import datetime
    when = datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp()
    return when - t0_wall


def idle_cpu_pct(pid, seconds):
    """User+system CPU of the process (all threads) over the next `seconds`, as a percentage of one core."""
    before = lib.cpu_seconds(pid)
    t = time.monotonic()
    time.sleep(seconds)
    after = lib.cpu_seconds(pid)
    return 100.0 * (after - before) / (time.monotonic() - t)


def fmt_s(x, deadline=60):
    return f"not READY in {deadline:.0f} s" if x is None else (f"{x:.2f} s" if x >= 0.1 else f"{x * 1000:.0f} ms")


def fmt_ms(x):
    return "—" if x is None else f"{x * 1000:.1f} ms"


def fmt_kib(x):
    return "—" if x is None else f"{x / 1024:.1f} KiB"


def fmt_mib(x):
    return "—" if x is None else f"{x / 2**20:.0f} MiB"
