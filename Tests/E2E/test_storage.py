"""Scenarios 7-9: the history database under a crash, a full disk, and a foreign file."""

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import harness
from harness import assert_consistent, storm_targets

ROW_FIELDS = ("id", "time", "target", "scope", "subchannel", "address", "from", "to", "reason")


def row_key(e: dict) -> tuple:
    return tuple(e[k] for k in ROW_FIELDS)


def integrity(path: Path) -> str:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def test_scenario_7_ccpool_sigkill_during_storm(make_backend, make_ccpool, record):
    backend = make_backend("storm")
    backend.set_all("svc", 40)
    targets = storm_targets([backend], 40)
    pool = make_ccpool(targets=targets)
    pool.wait_all_ready(targets, timeout=30)
    backend.flap("svc", 40, 200)  # every target flips every 200 ms: ~400 rows/s
    time.sleep(2.0)
    seen = pool.history(since_start=False)
    time.sleep(0.3)
    seen = pool.history(since_start=False)  # committed rows, read back through the API
    assert len(seen) > 300, f"storm too weak: {len(seen)} rows"
    killed_at = time.time()
    assert pool.kill9() == -9
    record("7 SIGKILL ccpool", "rows read back just before the kill", len(seen))

    # Integrity, and nothing committed is missing or changed (read with the CLI, not the service).
    assert integrity(pool.database) == "ok"
    out = subprocess.run([str(pool.binary), "history", "--database", str(pool.database), "--format", "json",
                          "--limit", "10000"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    import json
    cli_rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    order = ["id", "time", "target", "scope", "subchannel", "address", "from", "to", "reason"]
    assert all(list(e) == order for e in cli_rows), "a `ccpool history` line with keys out of order"
    assert all(list(e) == order for e in seen), "a /v1/history event with keys out of order"
    by_id = {e["id"]: e for e in cli_rows}
    missing = [e for e in seen if e["id"] not in by_id]
    changed = [e for e in seen if e["id"] in by_id and row_key(by_id[e["id"]]) != row_key(e)]
    assert missing == [] and changed == [], f"{len(missing)} missing, {len(changed)} changed; e.g. {(missing + changed)[:2]}"
    record("7 SIGKILL ccpool", "rows on disk after the kill (committed later than the read-back)",
           len(cli_rows) - len(seen))
    ids = [e["id"] for e in cli_rows]
    assert ids == sorted(ids) and len(ids) == len(set(ids))

    # The service resumes on the same database.
    last_id = max(ids)
    pool.start()
    record("7 SIGKILL ccpool", "restart → /healthz", f"{(time.time() - killed_at) * 1000:.0f} ms after the kill")
    backend.unflap()
    pool.wait_all_ready(targets, timeout=30)
    again = pool.history(since_start=False)
    assert [row_key(e) for e in again if e["id"] <= last_id] == [row_key(e) for e in cli_rows]
    new = [e for e in again if e["id"] > last_id]
    assert new and new[0]["from"] == "IDLE", new[:1]
    assert pool.get("/readyz").status == 200
    assert_consistent(pool)


@pytest.fixture
def small_filesystem(workdir):
    """A 16 MiB tmpfs mounted for the test (needs root); unmounted afterwards."""
    mountpoint = workdir / "smallfs"
    mountpoint.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(mountpoint)],
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {r.stderr.strip()}")
    yield mountpoint
    harness.REGISTRY.stop_all()  # nothing may hold a file there
    subprocess.run(["umount", str(mountpoint)], capture_output=True, timeout=20)
    if os.path.ismount(mountpoint):
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, timeout=20)


def fill(directory: Path) -> Path:
    """Writes files until the filesystem is full (big chunks, then small scraps)."""
    for name, size in (("filler", 1 << 16), ("filler2", 512)):
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        chunk = b"\0" * size
        try:
            while True:
                os.write(fd, chunk)
        except OSError:
            pass
        finally:
            os.close(fd)
    return directory / "filler"


def test_scenario_8_disk_full(make_backend, make_ccpool, small_filesystem, record):
    backend = make_backend("storm")
    backend.set_all("svc", 40)
    targets = storm_targets([backend], 40)
    pool = make_ccpool(targets=targets, database=small_filesystem / "ccpool.db")
    pool.wait_all_ready(targets, timeout=30)
    assert pool.get("/readyz").status == 200
    backend.flap("svc", 40, 200)
    time.sleep(1.0)

    filled_at = time.time()
    fill(small_filesystem)
    def degraded():
        r = pool.get("/readyz")
        m = pool.metrics()
        return (r, m) if r.status == 503 and m.value("ccpool_history_write_errors_total") > 0 else None
    r, m = harness.wait_until(degraded, 30, "/readyz 503 and write errors counted", interval=0.2)
    record("8 disk full", "filesystem full → /readyz 503", f"{(time.time() - filled_at) * 1000:.0f} ms")
    assert "degraded" in r.text, r.text
    assert r.headers["content-type"].startswith("application/json")

    # Still serving and probing while the disk is full.
    t0 = m.sum("ccpool_subchannel_state_transitions_total")
    time.sleep(2.0)
    m = pool.metrics()
    assert m.sum("ccpool_subchannel_state_transitions_total") > t0 + 50, "probing stopped while the disk was full"
    assert m.value("ccpool_history_queue_depth") > 0
    assert pool.get("/healthz").status == 200
    assert len(pool.targets()) == 40
    assert pool.get("/v1/history?limit=5").status == 200
    assert pool.pick("svc-0000", wait_for_ready=True, timeout_ms=3000).status == 200
    backend.unflap()
    pool.wait_all_ready(targets, timeout=30)
    m = pool.metrics()
    backlog = m.value("ccpool_history_queue_depth")
    errors = m.value("ccpool_history_write_errors_total")
    record("8 disk full", "backlog while full", f"{backlog:.0f} events, {errors:.0f} failed commits")
    assert pool.get("/readyz").status == 503

    freed_at = time.time()
    for name in ("filler", "filler2"):
        (small_filesystem / name).unlink()
    def drained():
        m = pool.metrics()
        return m if m.value("ccpool_history_queue_depth") == 0 and pool.get("/readyz").status == 200 else None
    m = harness.wait_until(drained, 30, "backlog written and /readyz 200 after freeing space", interval=0.2)
    record("8 disk full", "space freed → backlog written, /readyz 200", f"{(time.time() - freed_at) * 1000:.0f} ms")
    # Nothing lost: every transition counted is a history row (no gap below the buffer cap).
    total = m.sum("ccpool_channel_state_transitions_total") + m.sum("ccpool_subchannel_state_transitions_total")
    rows = pool.history()
    assert m.value("ccpool_history_events_written_total") == total == len(rows)
    with sqlite3.connect(f"file:{pool.database}?mode=ro", uri=True) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "history_gaps" in tables:
            assert db.execute("SELECT count(*) FROM history_gaps").fetchone()[0] == 0
    assert_consistent(pool)
    assert pool.terminate() == 0
    assert integrity(pool.database) == "ok"


def _random_bytes(path: Path):
    path.write_bytes(os.urandom(8192))


def _text_file(path: Path):
    path.write_text("listen: 127.0.0.1:9090\ntargets: []\n" * 50)


def _foreign_sqlite(path: Path):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO users (name) VALUES ('alice'), ('bob')")
    db.close()


def _corrupt_sqlite(path: Path):
    """An SQLite header followed by garbage pages."""
    _foreign_sqlite(path)
    data = bytearray(path.read_bytes())
    data[100:] = os.urandom(len(data) - 100)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("make_file", [_random_bytes, _text_file, _foreign_sqlite, _corrupt_sqlite],
                         ids=["random-bytes", "text-file", "foreign-sqlite", "corrupt-sqlite"])
def test_scenario_9_foreign_or_corrupt_database(workdir, make_file, record):
    path = workdir / "where-the-db-goes.db"
    make_file(path)
    os.chmod(path, 0o640)
    before = harness.file_fingerprint(path)
    siblings = sorted(p.name for p in workdir.iterdir())

    pool = harness.CCPool(workdir, database=path)
    pool.write_config({})
    siblings = sorted(p.name for p in workdir.iterdir())
    pool.start(wait=False)
    try:
        code = pool.process.wait(15)
    except subprocess.TimeoutExpired:
        pool.stop()
        pytest.fail("ccpool kept running on a foreign/corrupt database")
    log = pool.log_text()
    assert code != 0, log
    assert str(path) in log, f"the refusal does not name the file:\n{log}"
    assert any(w in log.lower() for w in ("not an sqlite database", "foreign", "refus", "malformed", "corrupt")), log
    assert harness.file_fingerprint(path) == before, "the file was modified"
    assert sorted(p.name for p in workdir.iterdir()) == sorted(siblings + ["ccpool.log"]), "files appeared beside it"

    out = subprocess.run([str(pool.binary), "migrate", "--database", str(path)], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode != 0, out.stdout
    assert str(path) in out.stdout + out.stderr
    assert harness.file_fingerprint(path) == before, "migrate modified the file"
    message = (out.stdout + out.stderr).strip().splitlines()[-1].replace(str(path), "<file>")
    record("9 foreign database", f"{make_file.__name__.strip('_')}: `ccpool migrate` says", message[:200])
