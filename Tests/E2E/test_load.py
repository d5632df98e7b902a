"""Scenario 11: load.

Targets flapping every second (each target's health service toggles NOT_SERVING/SERVING once a
second, staggered over the second) while `/metrics` is scraped 20 times a second and the history
queried 50 times a second, with a real Prometheus scraping every second too.

Size: 60 targets for 30 s by default, bounded for CI on 2 shared cores and sized so that the
*debug* binary can serve the full request rates (it renders a changed /metrics body in ~0.65 ms
per target, one render at a time: at 200 flapping targets it tops out near 9 scrapes/s, see
results.md of a run with E2E_LOAD_TARGETS=200). `E2E_FULL=1` runs the full size, 1,000
targets for 2 minutes (meant for a release binary); `E2E_LOAD_TARGETS` / `E2E_LOAD_SECONDS`
override either. Asserts: no error responses, the offered rates served, resident memory that
stops growing (see `rss_leak`), and every transition in the history (the consistency rules of
docs/metrics.md at the end).
"""

import http.client
import math
import os
import random
import statistics
import threading
import time
import urllib.parse

import harness
from conftest import full_size
from harness import assert_consistent, storm_targets

TARGETS, SECONDS = (1000, 120) if full_size() else (60, 30)
TARGETS = int(os.environ.get("E2E_LOAD_TARGETS", TARGETS))
SECONDS = int(os.environ.get("E2E_LOAD_SECONDS", SECONDS))
SCRAPES_PER_SECOND, QUERIES_PER_SECOND = 20, 50


def rss_quarter_levels(samples, seconds: float) -> list[float]:
    """The median resident size in each quarter of the run (samples are (time, bytes))."""
    quarters = [[v for t, v in samples if q * seconds / 4 <= t < (q + 1) * seconds / 4] for q in range(4)]
    return [statistics.median(q) if q else float("nan") for q in quarters]


def rss_leak(levels: list[float]) -> str | None:
    """Why the quarter levels look like a leak, or None.

    The load is steady from the first second, so a leak grows memory in every quarter, about
    equally. Warm-up (caches, allocator arenas, the history's pages) grows early and then stops; the
    allocator also grows in steps of about one `/metrics` body (3.8 MiB at 1,000 targets) when another
    arena keeps a freed body, at any moment of the run. A run on CI read 93.9, 104.5, 104.9, 108.6 MiB:
    one such step in the last quarter after a flat one. So one quarter's growth alone proves nothing;
    a leak is growth in both of the last two quarters, each more than 1.5% of the level (1.5 MiB at
    100 MiB: at 2,000 transitions a second that is 26 bytes per transition, less than one allocation
    for each), with the last not slowing down (at least 60% of the one before, which lets a long
    warm-up end).
    """
    _, q2, q3, q4 = levels
    before, last = q3 - q2, q4 - q3
    bound = 0.015 * q4
    if before <= bound or last <= bound or last < 0.6 * before:
        return None
    return (f"resident memory grew through the end of the run: quarter medians "
            f"{', '.join(f'{v / 2**20:.1f}' for v in levels)} MiB (last quarter +{last / 2**20:.1f} MiB, "
            f"the one before +{before / 2**20:.1f} MiB, bound {bound / 2**20:.1f} MiB each)")


def test_rss_leak_rule():
    """The leak rule on made-up and recorded shapes: plateaus, warm-up and one allocator step pass;
    growth sustained over the last two quarters fails."""
    mib = 2**20
    assert rss_leak([80 * mib, 84 * mib, 84 * mib, 84.5 * mib]) is None          # plateau
    assert rss_leak([80 * mib, 90 * mib, 96 * mib, 99 * mib]) is None            # warm-up slowing
    assert rss_leak([93.9 * mib, 104.5 * mib, 104.9 * mib, 108.6 * mib]) is None  # one step late (CI run)
    assert rss_leak([97.6 * mib, 105.7 * mib, 107.2 * mib, 107.5 * mib]) is None  # a local release run
    assert rss_leak([80 * mib, 90 * mib, 100 * mib, 110 * mib]) is not None      # linear: a leak
    assert rss_leak([80 * mib, 82 * mib, 84 * mib, 86 * mib]) is not None        # slow linear leak
    assert rss_leak([80 * mib, 80 * mib, 85 * mib, 90 * mib]) is not None        # leak from mid-run


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Driver:
    """Open-loop load: starts `make_path()` GETs at a fixed rate until `stop` is set, each on one of
    `workers` threads (a slow answer does not delay the next request); keeps statuses and latencies.
    A request whose slot comes while every worker is busy is counted in `skipped`. A 503 `overloaded`
    (ccpool's designed refusal of expensive work beyond its reader count, with Retry-After) is kept apart
    in `refused`: the caller bounds how many there may be; every other non-200 is an error."""

    def __init__(self, port: int, rate: float, make_path, stop: threading.Event, headers=None, workers: int = 32):
        self.port, self.rate, self.make_path, self.stop, self.headers = port, rate, make_path, stop, headers
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.bytes = 0
        self.skipped = 0
        self.refused: list[str] = []
        self.lock = threading.Lock()
        self.slots = threading.Semaphore(workers)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.inflight: list[threading.Thread] = []

    def start(self):
        self.thread.start()

    def join(self, timeout: float):
        self.thread.join(timeout)
        for t in self.inflight:
            t.join(timeout)

    def one(self, path: str):
        try:
            r = harness.http_request(self.port, "GET", path, headers=self.headers, timeout=10)
            with self.lock:
                self.latencies.append(r.elapsed)
                self.bytes += len(r.body)
                if r.status == 503 and '"overloaded"' in r.text and r.headers.get("retry-after"):
                    self.refused.append(path)
                elif r.status != 200:
                    self.errors.append(f"{path} -> {r.status} {r.text[:120]}")
        except (OSError, http.client.HTTPException) as error:
            with self.lock:
                self.errors.append(f"{path} -> {error!r}")
        finally:
            self.slots.release()

    def run(self):
        start = time.monotonic()
        k = 0
        while not self.stop.is_set():
            due = start + k / self.rate
            delay = due - time.monotonic()
            if delay > 0 and self.stop.wait(delay):
                break
            k += 1
            if not self.slots.acquire(blocking=False):
                self.skipped += 1
                continue
            t = threading.Thread(target=self.one, args=(self.make_path(),), daemon=True)
            t.start()
            self.inflight = [x for x in self.inflight if x.is_alive()] + [t]

    def summary(self, seconds: float) -> str:
        if len(self.latencies) < 2:
            return "no requests"
        q = statistics.quantiles(self.latencies, n=100)
        return (f"{len(self.latencies) / seconds:.1f}/s, p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, "
                f"max {max(self.latencies) * 1000:.1f} ms, {self.bytes / len(self.latencies) / 1024:.0f} KiB avg"
                + (f", {self.skipped} not sent (all workers busy)" if self.skipped else ""))


def test_scenario_11_load(make_backend, make_ccpool, make_prometheus, record):
    label = f"11 load ({TARGETS} targets, {SECONDS} s)"
    backends = [make_backend(f"load{i}") for i in range(math.ceil(TARGETS / 250))]
    for b in backends:
        b.set_all("svc", TARGETS)
    targets = storm_targets(backends, TARGETS)
    pool = make_ccpool(targets=targets)
    at = time.monotonic()
    pool.wait_all_ready(targets, timeout=60)
    record(label, "all targets READY after start", f"{time.monotonic() - at:.2f} s")
    prom = make_prometheus([pool.port])
    prom.wait_scraped()
    pool.wait_quiescent()
    rss_before = pool.rss_bytes()
    record(label, "RSS before load", f"{rss_before / 2**20:.1f} MiB")
    names = sorted(targets)
    t0 = pool.metrics()
    base = t0.sum("ccpool_channel_state_transitions_total") + t0.sum("ccpool_subchannel_state_transitions_total")

    def history_path():
        kind = random.randrange(4)
        if kind == 0:
            return "/v1/history?" + urllib.parse.urlencode({"target": random.choice(names), "limit": 100})
        if kind == 1:
            return "/v1/history?" + urllib.parse.urlencode({"since": int(time.time()) - 5, "limit": 500})
        if kind == 2:
            return "/v1/history?" + urllib.parse.urlencode({"to": "READY", "scope": "subchannel", "limit": 200})
        return f"/v1/targets/{random.choice(names)}/availability?window=1h"

    stop = threading.Event()
    scrapers = [Driver(pool.port, SCRAPES_PER_SECOND / 2, lambda: "/metrics", stop),
                Driver(pool.port, SCRAPES_PER_SECOND / 2, lambda: "/metrics", stop,
                       headers={"Accept": harness.OPENMETRICS_ACCEPT})]
    queriers = [Driver(pool.port, QUERIES_PER_SECOND / 2, history_path, stop) for _ in range(2)]
    rss = []
    for b in backends:
        b.command(f"flap svc {TARGETS} 1000")
    started = time.monotonic()
    cpu_start = cpu_seconds(pool.pid)
    for d in scrapers + queriers:
        d.start()
    try:
        while time.monotonic() - started < SECONDS:
            time.sleep(1.0)
            rss.append((time.monotonic() - started, pool.rss_bytes()))
            assert pool.process.poll() is None, "ccpool died under load:\n" + pool.log_tail()
    finally:
        stop.set()
        for d in scrapers + queriers:
            d.join(15)
    ran = time.monotonic() - started
    # Every backend flaps all TARGETS service names, but target i watches only its own name on backend
    # i % len(backends): count each backend's flips in proportion to the names watched there.
    watched = [sum(1 for i in range(TARGETS) if i % len(backends) == k) for k in range(len(backends))]
    flips = round(sum(int(b.command("stats").split("=")[1]) * watched[k] / TARGETS for k, b in enumerate(backends)))
    for b in backends:
        b.unflap()

    errors = [e for d in scrapers + queriers for e in d.errors]
    record(label, "/metrics scrapes (text + OpenMetrics)",
           f"{sum(len(d.latencies) for d in scrapers) / ran:.1f}/s; text {scrapers[0].summary(ran)}; "
           f"OpenMetrics {scrapers[1].summary(ran)}")
    record(label, "history/availability queries",
           f"{sum(len(d.latencies) for d in queriers) / ran:.1f}/s; {queriers[0].summary(ran)}")
    refused = [p for d in queriers for p in d.refused]
    queries = sum(len(d.latencies) for d in queriers)
    record(label, "error responses", len(errors))
    record(label, "history/availability queries refused as overloaded (503, Retry-After)",
           f"{len(refused)} of {queries}")
    rss_end, rss_max = rss[-1][1], max(v for _, v in rss)
    levels = rss_quarter_levels(rss, SECONDS)
    record(label, "RSS by quarter of the run (median of each) / max",
           " / ".join(f"{v / 2**20:.1f}" for v in levels) + f" / {rss_max / 2**20:.1f} MiB")

    pool.wait_all_ready(targets, timeout=60)
    m = pool.wait_quiescent(timeout=60)
    total = m.sum("ccpool_channel_state_transitions_total") + m.sum("ccpool_subchannel_state_transitions_total")
    record(label, "transitions during the run (watched health flips sent)",
           f"{total - base:.0f} ({(total - base) / ran:.0f}/s; {flips} flips)")
    record(label, "RSS after load, quiescent", f"{pool.rss_bytes() / 2**20:.1f} MiB")
    record(label, "ccpool CPU during the run", f"{(cpu_seconds(pool.pid) - cpu_start) / ran:.2f} cores")
    assert errors == [], f"{len(errors)} error responses, e.g. {errors[:5]}"
    # More history queries than readers at once are refused by design; under this open-loop burst on two
    # busy cores that happens now and then, but it must stay rare and be the only 5xx ccpool answers.
    assert len(refused) <= 0.01 * queries, f"{len(refused)} of {queries} queries refused as overloaded: {refused[:5]}"
    # The offered rates are recorded above as achieved; on a machine shared with other jobs they can
    # fall short without a ccpool fault, so only a real load (half the rate) is required here.
    assert sum(len(d.latencies) for d in scrapers) >= 0.5 * SCRAPES_PER_SECOND * ran, "scrape load not applied"
    assert sum(len(d.latencies) for d in queriers) >= 0.5 * QUERIES_PER_SECOND * ran, "query load not applied"
    assert total - base >= 0.8 * flips * 2, "fewer transitions than health flips"
    leak = rss_leak(levels)
    assert leak is None, leak
    assert rss_max <= 2 * max(rss_before, 64 * 2**20), f"resident memory doubled under load: {rss_before} → {rss_max}"
    # Every transition is in the history.
    summary = assert_consistent(pool)
    record(label, "history rows checked against counters", summary["events"])
    # Prometheus scraped every second throughout without a failure.
    window = int(ran) + 5
    assert prom.scalar(f'min_over_time(up{{job="ccpool"}}[{window}s])') == 1
    assert prom.scalar(f'count_over_time(up{{job="ccpool"}}[{window}s])') >= 0.8 * ran
    served_5xx = prom.scalar("sum(ccpool_http_requests_total{code=~\"5..\"})") or 0
    assert served_5xx <= len(refused), f"ccpool counted {served_5xx} 5xx answers, only {len(refused)} overloaded refusals"
