"""Lifecycle, with real processes: SIGHUP reloads, admin targets across a restart, SIGTERM during churn,
and three replicas over one config."""

import json
import re
import subprocess
import time

import pytest

import harness
from harness import assert_consistent, storm_targets, target_spec


def subchannels(pool, name):
    return {s["addresses"][0]: (s["id"], s["state_since"]) for s in pool.target(name)["subchannels"]}


def test_sighup_added_changed_removed_invalid(make_backend, make_ccpool, record):
    b1, b2, b3 = make_backend("b1"), make_backend("b2"), make_backend("b3")
    initial = {
        "same": target_spec([b1.address]),
        "moved": target_spec([b2.address]),
        "gone": target_spec([b3.address, b1.address]),
        "relabelled": target_spec([b1.address], labels={"team": "a"}),
    }
    pool = make_ccpool(targets=initial)
    pool.wait_all_ready(initial)
    pool.wait_quiescent()
    same_before, moved_before = subchannels(pool, "same"), subchannels(pool, "moved")
    relabelled_before = subchannels(pool, "relabelled")
    gone_subs = {s["id"] for s in pool.target("gone")["subchannels"]}
    last_id = pool.history()[-1]["id"]

    changed = {
        "same": initial["same"],
        "moved": target_spec([b2.address, b3.address]),
        "relabelled": target_spec([b1.address], labels={"team": "b"}),
        "added": target_spec([b3.address]),
    }
    pool.write_config(changed)
    at = time.time()
    pool.sighup()
    harness.wait_until(lambda: pool.metrics().value("ccpool_config_reloads_total") == 1, 10, "reload counted")
    pool.wait_all_ready(changed)
    record("lifecycle SIGHUP", "reload → every added/changed target READY", f"{(time.time() - at) * 1000:.0f} ms")
    assert "configuration reloaded" in pool.log_text()
    assert sorted(pool.targets()) == sorted(changed)
    pool.wait_quiescent()
    rows = [e for e in pool.history() if e["id"] > last_id]

    # Unchanged: not touched.
    assert subchannels(pool, "same") == same_before
    assert [e for e in rows if e["target"] == "same"] == []
    # Removed: SHUTDOWN for the channel and each subchannel, series gone.
    gone = [e for e in rows if e["target"] == "gone"]
    channel_rows = [e for e in gone if e["scope"] == "channel"]
    assert [(e["to"], e["reason"]) for e in channel_rows] == [("SHUTDOWN", "config removed")], channel_rows
    assert {e["subchannel"] for e in gone if e["scope"] == "subchannel" and e["to"] == "SHUTDOWN"} == gone_subs
    m = pool.metrics()
    assert not [s for s in m.samples if s[1].get("target") == "gone"], "series of a removed target remain"
    assert m.value("ccpool_targets") == 4
    # Changed address list: the same channel re-resolves; the kept address keeps its subchannel.
    moved = pool.target("moved")
    assert moved["target"] == f"ipv4:{b2.address},{b3.address}"
    assert subchannels(pool, "moved")[b2.address] == moved_before[b2.address], "kept address was reconnected"
    assert [e for e in rows if e["target"] == "moved" and e["scope"] == "channel"] == [], \
        "the channel of a target whose address list changed was rebuilt"
    # Labels only: new labels, nothing reconnected.
    assert pool.target("relabelled")["labels"] == {"team": "b"}
    assert subchannels(pool, "relabelled") == relabelled_before
    assert [e for e in rows if e["target"] == "relabelled"] == []
    # Added.
    assert [e["to"] for e in rows if e["target"] == "added" and e["scope"] == "channel"] == ["CONNECTING", "READY"]

    # An invalid file changes nothing.
    before = {n: (t["target"], t["labels"], subchannels(pool, n)) for n, t in pool.targets().items()}
    pool.config_path.write_text(harness.config_text(changed)[:-40] + "\n  - name: [\n")
    pool.sighup()
    harness.wait_until(lambda: pool.metrics().value("ccpool_config_reload_failures_total") == 1, 10, "failure counted")
    assert {n: (t["target"], t["labels"], subchannels(pool, n)) for n, t in pool.targets().items()} == before
    assert_consistent(pool, names=["same", "moved", "added"])


def test_admin_put_delete_then_restart(make_backend, make_ccpool, record):
    b = make_backend("b")
    pool = make_ccpool(targets={"cfg": target_spec([b.address])})
    r = pool.put_target("kept", target_spec([b.address], labels={"v": "1"}))
    assert r.status == 201, r.text
    r = pool.put_target("kept", target_spec([b.address], labels={"v": "2"}))
    assert r.status == 200, r.text
    assert pool.put_target("dropped", target_spec([b.address])).status == 201
    pool.wait_all_ready(["cfg", "kept", "dropped"])
    subs = {s["id"] for s in pool.target("dropped")["subchannels"]}
    r = pool.delete_target("dropped")
    assert r.status == 204, r.text
    pool.wait_history(lambda e: e["scope"] == "channel" and e["to"] == "SHUTDOWN", 5, "SHUTDOWN committed",
                      target="dropped")
    pool.wait_quiescent()
    rows = pool.history(target="dropped")
    channel = [e for e in rows if e["scope"] == "channel"]
    assert (channel[-1]["to"], channel[-1]["reason"]) == ("SHUTDOWN", "deleted through the admin API"), channel
    assert {e["subchannel"] for e in rows if e["to"] == "SHUTDOWN" and e["scope"] == "subchannel"} == subs
    assert pool.get("/v1/targets/dropped").status == 404
    assert pool.delete_target("dropped").status == 404
    assert pool.put_target("cfg", target_spec([b.address])).status == 409
    assert pool.delete_target("cfg").status == 409
    assert_consistent(pool, names=["cfg", "kept"])

    assert pool.terminate() == 0
    at = time.time()
    pool.start()
    pool.wait_all_ready(["cfg", "kept"])
    record("lifecycle admin restart", "restart → admin and config targets READY", f"{(time.time() - at) * 1000:.0f} ms")
    targets = pool.targets()
    assert sorted(targets) == ["cfg", "kept"], sorted(targets)
    assert targets["kept"]["labels"] == {"v": "2"} and targets["kept"]["target"] == f"ipv4:{b.address}"
    assert_consistent(pool)

    # A name the config file now defines: the config wins, the admin API cannot change it.
    pool.terminate()
    pool.write_config({"cfg": target_spec([b.address]), "kept": target_spec([b.address], labels={"from": "config"})})
    pool.start()
    pool.wait_all_ready(["cfg", "kept"])
    assert pool.target("kept")["labels"] == {"from": "config"}
    assert pool.put_target("kept", target_spec([b.address])).status == 409
    assert "shadowed" in pool.log_text()


def test_sigterm_during_churn(make_backend, make_ccpool, record):
    backend, extra = make_backend("storm"), make_backend("extra")
    backend.set_all("svc", 30)
    targets = storm_targets([backend], 30)
    targets["two"] = target_spec([backend.address, extra.address])
    pool = make_ccpool(targets=targets)
    pool.wait_all_ready(targets, timeout=30)
    assert pool.put_target("admin", target_spec([extra.address])).status == 201
    backend.flap("svc", 30, 100)
    time.sleep(1.5)
    at = time.monotonic()
    code = pool.terminate(timeout=20)
    elapsed = time.monotonic() - at
    record("lifecycle SIGTERM", "SIGTERM during churn → exit", f"{elapsed * 1000:.0f} ms, exit {code}")
    assert code == 0, pool.log_tail()
    closed = re.search(r"dropped=(\d+) written=(\d+).*history closed", pool.log_text())
    assert closed and closed.group(1) == "0", pool.log_tail()

    out = subprocess.run([str(pool.binary), "history", "--database", str(pool.database), "--format", "json",
                          "--limit", "10000"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert len(rows) == int(closed.group(2)), "rows on disk differ from the count written at shutdown"
    last_channel, last_sub = {}, {}
    for e in rows:
        if e["scope"] == "channel":
            last_channel[e["target"]] = e
        else:
            last_sub[e["subchannel"]] = e
    assert set(last_channel) == set(targets) | {"admin"}
    bad = [e for e in last_channel.values() if (e["to"], e["reason"]) != ("SHUTDOWN", "ccpool shutting down")]
    assert bad == [], bad[:3]
    bad = [e for e in last_sub.values() if e["to"] != "SHUTDOWN"]
    assert bad == [], bad[:3]
    record("lifecycle SIGTERM", "channels / subchannels with a final SHUTDOWN row", f"{len(last_channel)} / {len(last_sub)}")
    with __import__("sqlite3").connect(f"file:{pool.database}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_three_replicas_partition_targets(make_backend, make_ccpool, record):
    b = make_backend("b")
    names = [f"svc-{i:02d}" for i in range(30)]
    config = {n: target_spec([b.address], health=None) for n in names}
    replicas = [make_ccpool(name=f"replica{i}", targets=config, extra_args=["--shard-index", str(i), "--shard-count", "3"])
                for i in range(3)]
    owned = []
    for i, pool in enumerate(replicas):
        mine = set(pool.targets())
        owned.append(mine)
        pool.wait_all_ready(mine)
        m = pool.metrics()
        assert m.value("ccpool_shard_index") == i and m.value("ccpool_shard_replicas") == 3
        assert m.value("ccpool_targets") == len(mine)
    for i in range(3):
        for j in range(i + 1, 3):
            assert owned[i].isdisjoint(owned[j]), (i, j, owned[i] & owned[j])
    assert set().union(*owned) == set(names)
    assert all(owned), [len(o) for o in owned]
    record("three replicas", "targets per replica (of 30)", ", ".join(str(len(o)) for o in owned))
    # Asking the wrong replica: 404 naming the owner.
    for i, pool in enumerate(replicas):
        for j in range(3):
            if i == j:
                continue
            name = sorted(owned[j])[0]
            for r in (pool.get(f"/v1/targets/{name}"), pool.pick(name)):
                assert r.status == 404, r.text
                message = r.json()["error"]["message"]
                assert re.search(rf"\b{j}\b", message), f"replica {i} about {name} (owner {j}): {message}"
    for pool in replicas:
        assert_consistent(pool)
