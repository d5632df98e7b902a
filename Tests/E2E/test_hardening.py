"""What the service does about weak spots around it: the admin token re-read on SIGHUP with its
weaknesses logged, private database files, a symbolic link at the database path, and stored text
that cannot reach a terminal as control sequences."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess

import harness


def test_admin_token_is_reread_on_sighup(workdir, make_ccpool):
    token_file = workdir / "admin-token"
    token_file.write_text("short\n")
    os.chmod(token_file, 0o644)
    pool = make_ccpool(token=None, start=False)
    pool.write_config({}, admin_token_file=str(token_file))
    pool.start()
    log = pool.log_text()
    assert "weak admin token" in log and "5 characters" in log and "644" in log, pool.log_tail()
    spec = {"target": "ipv4:127.0.0.1:1"}
    bearer = lambda t: {"Authorization": f"Bearer {t}"}
    assert pool.request("PUT", "/v1/targets/a", body=spec, headers=bearer("short")).status == 201
    new = "a-much-longer-token-0123456789"
    token_file.write_text(new + "\n")
    os.chmod(token_file, 0o600)
    pool.sighup()
    harness.wait_until(lambda: pool.request("PUT", "/v1/targets/a", body=spec, headers=bearer(new)).status == 200,
                       10, "the new token accepted after SIGHUP")
    assert pool.request("DELETE", "/v1/targets/a", headers=bearer("short")).status == 403


def test_database_files_are_private_and_a_symlink_is_refused(workdir, make_ccpool):
    pool = make_ccpool()
    for suffix in ("", "-wal", "-shm"):
        path = f"{pool.database}{suffix}"
        if os.path.exists(path):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            assert mode & 0o027 == 0, f"{path} has mode {mode:o}"
    pool.stop()
    link = workdir / "link.db"
    link.symlink_to(workdir / "elsewhere.db")
    run = subprocess.run([str(harness.ccpool_binary()), "serve", "--listen", "127.0.0.1:0", "--database", str(link)],
                         capture_output=True, text=True, timeout=60, env={"PATH": os.environ.get("PATH", "")})
    assert run.returncode == 1
    assert "symbolic link" in run.stderr, run.stderr
    assert not (workdir / "elsewhere.db").exists()


def test_history_table_never_prints_control_characters(workdir, make_ccpool):
    pool = make_ccpool()
    pool.stop()
    db = sqlite3.connect(pool.database)
    try:
        db.execute("INSERT OR IGNORE INTO history_targets (name) VALUES ('evil')")
        target_id = db.execute("SELECT id FROM history_targets WHERE name = 'evil'").fetchone()[0]
        db.execute("INSERT INTO events (ts, target_id, scope, subchannel, address, from_state, to_state, reason) "
                   "VALUES (1, ?, 0, NULL, NULL, 1, 3, ?)", (target_id, "health: \x1b]0;owned\x07\x1b[2J gone"))
        db.commit()
    finally:
        db.close()
    run = subprocess.run([str(harness.ccpool_binary()), "history", "--database", str(pool.database), "--target", "evil",
                          "--format", "table"], capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert b"\x1b" not in run.stdout and b"\x07" not in run.stdout
    assert b"\\u{1b}]0;owned" in run.stdout


def test_target_and_address_caps_hold_for_the_admin_api(workdir, make_ccpool):
    pool = make_ccpool(extra_args=["--limits-max-targets", "2", "--limits-max-addresses-per-target", "2"])
    assert pool.put_target("a", {"target": "ipv4:127.0.0.1:1"}).status == 201
    r = pool.put_target("b", {"target": "ipv4:127.0.0.1:1,127.0.0.1:2,127.0.0.1:3"})
    assert r.status == 400 and "max_addresses_per_target" in r.text, r.text
    assert pool.put_target("b", {"target": "ipv4:127.0.0.1:1,127.0.0.1:2"}).status == 201
    r = pool.put_target("c", {"target": "ipv4:127.0.0.1:1"})
    assert r.status == 409 and r.error_code() == "too_many_targets", r.text
    # Changing an existing target is not adding one.
    assert pool.put_target("b", {"target": "ipv4:127.0.0.1:3"}).status == 200
    assert sorted(pool.targets()) == ["a", "b"]
