"""Fixtures of ccpool's end-to-end suite: free ports, backends, ccpool processes, Prometheus.

Every process is started through `harness` and stopped by PID when its test ends (the fixtures'
finalizers, plus a sweep of whatever the test left running). Measured timings go to
`results.md` next to this file at the end of the run.
"""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import signal
import time
from pathlib import Path

import pytest

import harness

# E2E_RESULTS names another file (the full-size load run keeps its own, results-load.md).
RESULTS_PATH = Path(os.environ.get("E2E_RESULTS") or Path(__file__).resolve().parent / "results.md")
_measurements: list[tuple[str, str, str]] = []
_outcomes: dict[str, tuple[str, float, str]] = {}
_session_started = time.time()


def pytest_sessionstart(session):
    try:
        binary = harness.ccpool_binary()
    except RuntimeError as error:
        pytest.exit(str(error), returncode=2)
    session.config._ccpool_binary = binary

    # run.sh's bound on the whole run ends pytest with SIGTERM: stop every process we started (they
    # run in their own sessions) and unwind like ^C so that fixtures (the tmpfs mount) clean up.
    def on_sigterm(signum, frame):
        harness.REGISTRY.stop_all()
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, on_sigterm)
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        pytest.exit("prometheus/promtool not installed: `apt-get install -y prometheus` (run.sh does it)", returncode=2)


def pytest_report_header(config):
    return [f"ccpool binary: {harness.ccpool_binary()}",
            f"full-size load (E2E_FULL=1): {'yes' if os.environ.get('E2E_FULL') == '1' else 'no'}"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        state = report.outcome
        if hasattr(report, "wasxfail"):
            state = "xfailed" if report.skipped else "XPASS(strict fail)"
        elif report.skipped:
            state = "skipped"
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2])
        elif hasattr(report, "wasxfail"):
            reason = report.wasxfail
        _outcomes[item.nodeid] = (state, report.duration, reason)


def _shown_path(path) -> str:
    """`path` relative to the repository when it is inside it, so results name no local directory."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(harness.REPO))
    except ValueError:
        return Path(path).name


def pytest_sessionfinish(session, exitstatus):
    harness.REGISTRY.stop_all()
    if not _outcomes:
        return
    total = time.time() - _session_started
    lines = [
        "# ccpool end-to-end results",
        "",
        "Written by the last run of `Tests/E2E` (`bash Tests/E2E/run.sh`); do not edit by hand.",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')}",
        f"- binary: `{_shown_path(harness.ccpool_binary())}`",
        f"- machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"- load size: {'full (E2E_FULL=1)' if os.environ.get('E2E_FULL') == '1' else 'reduced (set E2E_FULL=1 for the full size)'}",
        f"- selection: `{' '.join(session.config.invocation_params.args) or '(all)'}`",
        f"- total wall time: {total:.1f} s",
        "",
        "## Tests",
        "",
        "| test | outcome | seconds | note |",
        "| --- | --- | --- | --- |",
    ]
    for nodeid, (state, duration, reason) in _outcomes.items():
        note = reason.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{nodeid}` | {state} | {duration:.1f} | {note} |")
    lines += ["", "## Measurements", "", "| scenario | measurement | value |", "| --- | --- | --- |"]
    for scenario, key, value in _measurements:
        lines.append(f"| {scenario} | {key} | {value} |")
    lines.append("")
    RESULTS_PATH.write_text("\n".join(lines))


@pytest.fixture
def record():
    """`record(scenario, measurement, value)` adds a line to results.md."""
    def add(scenario: str, key: str, value):
        if isinstance(value, float):
            value = f"{value:.3f}"
        _measurements.append((scenario, key, str(value)))
        print(f"[measure] {scenario}: {key} = {value}")
    return add


@pytest.fixture(autouse=True)
def _stop_everything():
    """Whatever a test started and did not stop is stopped by PID when it ends."""
    yield
    harness.REGISTRY.stop_all()


@pytest.fixture
def workdir(tmp_path) -> Path:
    return tmp_path


@pytest.fixture
def make_backend(workdir):
    """`make_backend(name, health=True, start=True)` → a running `harness.Backend`."""
    made: list[harness.Backend] = []

    def make(name: str, health: bool = True, start: bool = True) -> harness.Backend:
        backend = harness.Backend(workdir, name, health=health)
        made.append(backend)
        if start:
            backend.start()
        return backend
    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def make_ccpool(workdir):
    """`make_ccpool(name="ccpool", targets={...}, start=True, **kw)` → a `harness.CCPool`."""
    made: list[harness.CCPool] = []

    def make(name: str = "ccpool", targets: dict | None = None, start: bool = True, **kw) -> harness.CCPool:
        pool = harness.CCPool(workdir, name=name, **kw)
        pool.write_config(targets or {})
        made.append(pool)
        if start:
            pool.start()
        return pool
    yield make
    violations = []
    for pool in reversed(made):
        # A transition that breaks the state rules is a ccpool bug: a debug binary stops on it, a
        # release binary counts it. Whatever the test checked, none may have happened.
        if pool.process is not None and pool.process.poll() is None:
            try:
                count = pool.metrics().sum("ccpool_transition_rule_violations_total")
            except (OSError, AssertionError, ValueError):
                count = 0  # Not answering any more: the test itself judged that.
            if count:
                violations.append(f"{pool.name}: {count:.0f} transition rule violation(s); see {pool.log_path}")
        pool.stop()
    assert not violations, "; ".join(violations)


@pytest.fixture
def make_prometheus(workdir):
    """`make_prometheus([ports])` → a started Prometheus scraping those ccpool ports every second."""
    made: list[harness.Prometheus] = []

    def make(ports: list[int]) -> harness.Prometheus:
        prom = harness.Prometheus(workdir, ports)
        made.append(prom)
        return prom.start()
    yield make
    for prom in made:
        prom.stop()


def full_size() -> bool:
    return os.environ.get("E2E_FULL") == "1"
