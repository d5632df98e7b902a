"""Scenarios 1-6: backend faults against real grpcio peers.

Each scenario asserts the API, the history rows with their reasons, and the metrics, and ends
with the consistency rules of docs/metrics.md ("Consistency rules"). Targets use a fast backoff (base 100 ms, max 1 s, min connect
timeout 2 s) so that the backoff spacing rules (docs/connection.md, "Subchannels", rule 8) can be checked in seconds.
"""

import datetime
import threading
import time

import pytest

import harness
from harness import assert_consistent, target_spec

DISCONNECT_REASONS = ("GOAWAY", "subchannel shutdown", "connection reset", "connection timed out",
                      "connection aborted", "socket error", "unknown")


WITH_AND_WITHOUT_HEALTH = [
    pytest.param(None, id="no-health"),
    # With health checking, a transport that closes still reports its own disconnect reason
    # (docs/connection.md, "Subchannels", rule 5), not the health stream's failure.
    pytest.param("", id="health"),
]


def ts(event) -> float:
    return datetime.datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()


def subchannel_of(pool, name, address) -> dict:
    for s in pool.target(name)["subchannels"]:
        if address in s["addresses"]:
            return s
    raise AssertionError(f"{name}: no subchannel for {address}")


def expected_backoff(n: int, base=0.1, multiplier=1.6, max_delay=1.0) -> float:
    return min(base * multiplier ** n, max_delay)


def check_backoff_spacing(rows: list[dict]) -> list[tuple[float, float]]:
    """Rows of one subchannel after a disconnect: for the k-th failed pass (TF), the wait until
    the next IDLE is backoff(k) (docs/connection.md, "Subchannels", rule 8: exact for k=0, jitter ±20% after). Returns
    [(measured, expected)]."""
    spacing = []
    k = 0
    for i, e in enumerate(rows):
        if e["to"] != "TRANSIENT_FAILURE":
            continue
        following = [r for r in rows[i + 1:] if r["from"] == "TRANSIENT_FAILURE"]
        if not following:
            break
        nxt = following[0]
        assert nxt["to"] == "IDLE", f"TF left to {nxt['to']} (expected IDLE after backoff): {nxt}"
        gap = ts(nxt) - ts(e)
        want = expected_backoff(k)
        low = want * (1.0 if k == 0 else 0.8) - 0.01
        high = want * (1.0 if k == 0 else 1.2) + 0.25
        assert low <= gap <= high, f"failed pass {k}: backoff {gap:.3f}s, the backoff rule allows [{low:.3f}, {high:.3f}]"
        spacing.append((gap, want))
        k += 1
    return spacing


@pytest.mark.parametrize("health", WITH_AND_WITHOUT_HEALTH)
def test_scenario_1_backend_sigkill(make_backend, make_ccpool, make_prometheus, record, health):
    victim, keep = make_backend("victim"), make_backend("keep")
    pool = make_ccpool(targets={"t": target_spec([victim.address, keep.address], health=health)})
    label = "1 SIGKILL" + (" (health checking)" if health is not None else "")
    pool.wait_all_ready(["t"])
    prom = make_prometheus([pool.port])
    prom.wait_scraped()
    ready_expr = f'ccpool_subchannel_state{{target="t",address="{victim.address}",state="READY"}}'
    prom.wait_value(ready_expr, 1)
    sid = subchannel_of(pool, "t", victim.address)["id"]

    killed_at = victim.kill()
    down = pool.wait_history(lambda e: e["subchannel"] == sid and e["from"] == "READY", 10,
                             "victim leaves READY", target="t")
    assert down["to"] == "IDLE", down  # docs/connection.md, "Subchannels", rule 5: transport closed → IDLE
    assert down["reason"].startswith(("connection reset", "socket error")), down
    detection = ts(down) - killed_at
    record(label, "detection latency (kill → READY-leaving row)", f"{detection * 1000:.1f} ms")
    assert detection < 2.0

    # Picks go to the survivor only; the channel never left READY.
    for _ in range(10):
        r = pool.pick("t")
        assert r.status == 200 and r.json()["address"] == keep.address, r.text
    time.sleep(3.5)  # let several reconnect passes fail
    rows = [e for e in pool.history(target="t", subchannel=sid) if e["id"] > down["id"]]
    failures = [e for e in rows if e["to"] == "TRANSIENT_FAILURE"]
    assert len(failures) >= 4, rows
    # The first pass may race the dying listener: a connection already in its backlog (or just accepted) is
    # reset or closed when the process goes; after that the port is closed.
    assert failures[0]["reason"] in ("connection refused", "connection reset by peer", "connection closed by peer") or \
        failures[0]["reason"].startswith("connection reset"), failures[0]
    assert all(e["reason"] == "connection refused" for e in failures[1:]), failures
    spacing = check_backoff_spacing(rows)
    record(label, "backoff waits measured/expected (s)",
           ", ".join(f"{g:.3f}/{w:.3f}" for g, w in spacing[:6]))
    assert [e for e in pool.history(target="t", scope="channel") if e["id"] > down["id"]] == []
    m = pool.metrics()
    assert m.one_hot("ccpool_subchannel_state", target="t", address=victim.address) in (
        "IDLE", "CONNECTING", "TRANSIENT_FAILURE")
    reasons = {l["reason"]: v for l, v in m.select("ccpool_subchannel_disconnections_total", target="t")}
    assert reasons.get("connection reset", 0) + reasons.get("socket error", 0) == 1, reasons
    assert m.value("ccpool_subchannel_connection_attempts_failed_total", target="t") >= len(failures)

    restarted_at = victim.start().started_at
    up = pool.wait_history(lambda e: e["subchannel"] == sid and e["to"] == "READY" and e["id"] > down["id"],
                           10, "victim READY again", target="t")
    record(label, "recovery time (restart → READY row)", f"{(ts(up) - restarted_at) * 1000:.1f} ms")
    assert ts(up) - restarted_at < 1.2 + 0.5  # at most one max backoff plus the connect
    prom.wait_value(ready_expr, 1)
    assert prom.scalar(f"min_over_time({ready_expr}[60s])") == 0, "Prometheus never saw the subchannel leave READY"
    assert prom.scalar(f'max_over_time(ccpool_subchannel_state{{target="t",address="{victim.address}",'
                       f'state="TRANSIENT_FAILURE"}}[60s])') == 1
    assert_consistent(pool)


@pytest.mark.parametrize("health", WITH_AND_WITHOUT_HEALTH)
def test_scenario_2_backend_sigstop_keepalive(make_backend, make_ccpool, record, health):
    b = make_backend("frozen")
    pool = make_ccpool(targets={"t": target_spec([b.address], keepalive=True, health=health)})
    label = "2 SIGSTOP+keepalive" + (" (health checking)" if health is not None else "")
    pool.wait_all_ready(["t"])
    sid = subchannel_of(pool, "t", b.address)["id"]
    time.sleep(1.5)  # a few keepalive rounds while healthy: no transition
    assert [e for e in pool.history(target="t") if e["subchannel"] == sid and e["from"] == "READY"] == []

    paused_at = b.pause()
    down = pool.wait_history(lambda e: e["subchannel"] == sid and e["from"] == "READY", 10,
                             "paused backend leaves READY", target="t")
    detection = ts(down) - paused_at
    record(label, "detection latency (SIGSTOP → 'connection timed out')", f"{detection * 1000:.1f} ms")
    assert down["reason"].startswith("connection timed out"), down
    assert down["to"] == "IDLE", down
    # keepalive time (1 s) + timeout (1 s), plus up to one more ping interval of phase.
    assert 1.0 <= detection <= 3.2, detection
    channel = pool.wait_target_state("t", "TRANSIENT_FAILURE", timeout=10)
    assert channel["subchannels"][0]["state"] != "READY"
    time.sleep(2.5)  # passes against a frozen peer: TCP accepted, no SETTINGS → the pass times out
    rows = [e for e in pool.history(target="t", subchannel=sid) if e["id"] > down["id"]]
    tf = [e for e in rows if e["to"] == "TRANSIENT_FAILURE"]
    assert tf and all(e["reason"].startswith("connection timed out") for e in tf), rows

    resumed_at = b.resume()
    up = pool.wait_history(lambda e: e["subchannel"] == sid and e["to"] == "READY" and e["id"] > down["id"],
                           10, "READY after SIGCONT", target="t")
    record(label, "recovery time (SIGCONT → READY row)", f"{(ts(up) - resumed_at) * 1000:.1f} ms")
    pool.wait_target_state("t", "READY", subchannels="READY")
    m = pool.metrics()
    reasons = {l["reason"]: v for l, v in m.select("ccpool_subchannel_disconnections_total", target="t")}
    assert reasons.get("connection timed out") == 1, reasons
    assert_consistent(pool)


def test_scenario_3_backend_graceful_stop_goaway(make_backend, make_ccpool, record):
    b, other = make_backend("leaving"), make_backend("other")
    pool = make_ccpool(targets={"t": target_spec([b.address, other.address])})
    pool.wait_all_ready(["t"])
    sid = subchannel_of(pool, "t", b.address)["id"]
    stopped_at = b.graceful_stop(grace=1.0)
    down = pool.wait_history(lambda e: e["subchannel"] == sid and e["from"] == "READY", 10,
                             "GOAWAY row", target="t")
    assert down["reason"] == "GOAWAY NO_ERROR", down
    assert down["to"] == "IDLE", down
    record("3 graceful stop", "detection latency (stop → GOAWAY row)", f"{(ts(down) - stopped_at) * 1000:.1f} ms")
    m = pool.metrics()
    reasons = {l["reason"]: v for l, v in m.select("ccpool_subchannel_disconnections_total", target="t")}
    assert sum(v for r, v in reasons.items() if r.startswith("GOAWAY")) == 1, reasons
    assert pool.target("t")["state"] == "READY"  # the other backend carries the channel
    # Once the server has left, reconnecting is refused. A reconnect that reached the listener while it was
    # closing (accepted into its backlog, then reset) fails with a reset instead: seen once in CI.
    refused = pool.wait_history(lambda e: e["subchannel"] == sid and e["to"] == "TRANSIENT_FAILURE"
                                and e["id"] > down["id"] and e["reason"] == "connection refused", 10,
                                "refused after the server left", target="t")
    failures = [e for e in pool.history(target="t") if e["subchannel"] == sid and e["to"] == "TRANSIENT_FAILURE"
                and down["id"] < e["id"] <= refused["id"]]
    assert {e["reason"] for e in failures} <= {"connection refused", "connection reset by peer"}, failures
    restarted_at = b.start().started_at
    up = pool.wait_history(lambda e: e["subchannel"] == sid and e["to"] == "READY" and e["id"] > down["id"],
                           10, "READY after restart", target="t")
    record("3 graceful stop", "recovery time (restart → READY row)", f"{(ts(up) - restarted_at) * 1000:.1f} ms")
    assert_consistent(pool)


def test_scenario_4_health(make_backend, make_ccpool, record):
    b1, b2, bare = make_backend("h1"), make_backend("h2"), make_backend("bare", health=False)
    pool = make_ccpool(targets={
        "t": target_spec([b1.address, b2.address]),
        "nohealthsvc": target_spec([bare.address]),
        "unknownsvc": target_spec([b1.address], health="no.such.Service"),
    })
    pool.wait_all_ready(["t", "nohealthsvc"])
    s1 = subchannel_of(pool, "t", b1.address)["id"]

    # NOT_SERVING → TF with the health reason, no picks to it.
    at = time.time()
    b1.set_health("NOT_SERVING")
    down = pool.wait_history(lambda e: e["subchannel"] == s1 and e["from"] == "READY", 10, "NOT_SERVING row", target="t")
    record("4 health", "detection latency (NOT_SERVING → TF row)", f"{(ts(down) - at) * 1000:.1f} ms")
    assert down["to"] == "TRANSIENT_FAILURE", down
    assert down["reason"] == "health check failed: NOT_SERVING", down
    s = subchannel_of(pool, "t", b1.address)
    assert s["health"] == "NOT_SERVING" and s["state"] == "TRANSIENT_FAILURE", s
    assert s["connected_address"] in (b1.address, None)
    m = pool.metrics()
    assert m.one_hot("ccpool_health_check_status", key="status", target="t", address=b1.address) == "NOT_SERVING"
    assert m.one_hot("ccpool_subchannel_state", target="t", address=b1.address) == "TRANSIENT_FAILURE"
    for _ in range(20):
        r = pool.pick("t")
        assert r.status == 200 and r.json()["address"] == b2.address, r.text
    time.sleep(1.0)  # sticky: a NOT_SERVING backend stays TF, no reconnect churn
    assert [e for e in pool.history(target="t", subchannel=s1) if e["id"] > down["id"]] == []

    # Both NOT_SERVING → channel TF, picks fail fast.
    b2.set_health("NOT_SERVING")
    pool.wait_target_state("t", "TRANSIENT_FAILURE", timeout=10)
    r = pool.pick("t")
    assert r.status == 503 and r.error_code() == "no_ready_subchannel", r.text
    assert "NOT_SERVING" in r.json()["error"]["message"], r.text

    # SERVING again → READY with the health reason.
    at = time.time()
    b1.set_health("SERVING")
    up = pool.wait_history(lambda e: e["subchannel"] == s1 and e["to"] == "READY" and e["id"] > down["id"],
                           10, "SERVING row", target="t")
    record("4 health", "recovery time (SERVING → READY row)", f"{(ts(up) - at) * 1000:.1f} ms")
    assert up["from"] == "TRANSIENT_FAILURE" and up["reason"] == "health: SERVING", up
    pool.wait_target_state("t", "READY")
    for _ in range(5):
        r = pool.pick("t")
        assert r.status == 200 and r.json()["address"] == b1.address, r.text

    # A server without the health service: READY, health DISABLED (API and metrics).
    t = pool.target("nohealthsvc")
    assert t["state"] == "READY" and t["subchannels"][0]["health"] == "DISABLED", t
    m = pool.metrics()
    assert m.one_hot("ccpool_health_check_status", key="status", target="nohealthsvc", address=bare.address) == "DISABLED"
    # A service the server does not know: the Watch answers SERVICE_UNKNOWN → TF.
    u = pool.wait_target_state("unknownsvc", "TRANSIENT_FAILURE", timeout=10)
    assert u["subchannels"][0]["health"] in ("SERVICE_UNKNOWN", "NOT_SERVING", "UNKNOWN"), u
    row = pool.wait_history(lambda e: True, 5, "unknownsvc TF row committed", target="unknownsvc",
                            scope="subchannel", to="TRANSIENT_FAILURE")
    assert row["reason"] == "health check failed: SERVICE_UNKNOWN", row
    b2.set_health("SERVING")
    pool.wait_target_state("t", "READY", subchannels="READY")
    assert_consistent(pool)


def test_scenario_5_all_backends_down(make_backend, make_ccpool, record):
    b1, b2 = make_backend("d1"), make_backend("d2")
    pool = make_ccpool(targets={"t": target_spec([b1.address, b2.address], health=None)})
    pool.wait_all_ready(["t"])
    at = b1.kill()
    b2.kill()
    pool.wait_target_state("t", "TRANSIENT_FAILURE", timeout=10)
    tf_row = pool.wait_history(lambda e: e["to"] == "TRANSIENT_FAILURE", 5, "channel TF row committed",
                               target="t", scope="channel")
    record("5 all down", "channel TF after both killed", f"{(ts(tf_row) - at) * 1000:.1f} ms")

    # Fail fast with the latest error.
    r = pool.pick("t", wait_for_ready=False, timeout_ms=2000)
    assert r.status == 503 and r.error_code() == "no_ready_subchannel", r.text
    assert "connection refused" in r.json()["error"]["message"], r.text
    assert r.elapsed < 0.5, f"fail-fast pick took {r.elapsed:.3f}s"
    record("5 all down", "fail-fast pick answer time", f"{r.elapsed * 1000:.1f} ms")
    # wait_for_ready waits for the deadline.
    r = pool.pick("t", wait_for_ready=True, timeout_ms=400)
    assert r.status == 503, r.text
    assert 0.35 <= r.elapsed < 2.0, r.elapsed

    # Sticky TF: subchannels keep cycling, the channel does not move.
    time.sleep(2.0)
    sub_rows = [e for e in pool.history(target="t", scope="subchannel") if e["id"] > tf_row["id"]]
    assert len(sub_rows) >= 4, "subchannels stopped retrying"
    assert [e for e in pool.history(target="t", scope="channel") if e["id"] > tf_row["id"]] == [], \
        "channel left TRANSIENT_FAILURE while every backend was down"
    assert pool.metrics().one_hot("ccpool_channel_state", target="t") == "TRANSIENT_FAILURE"

    # A wait_for_ready pick issued now is answered once a backend is back.
    answer = {}
    waiter = threading.Thread(target=lambda: answer.setdefault("r", pool.pick("t", wait_for_ready=True, timeout_ms=8000)))
    waiter.start()
    time.sleep(0.3)
    restarted_at = b1.start().started_at
    row = pool.wait_history(lambda e: e["scope"] == "channel" and e["to"] == "READY" and e["id"] > tf_row["id"],
                            10, "channel READY", target="t")
    record("5 all down", "recovery time (one backend restarted → channel READY)", f"{(ts(row) - restarted_at) * 1000:.1f} ms")
    assert row["from"] == "TRANSIENT_FAILURE", row
    waiter.join(10)
    assert answer["r"].status == 200 and answer["r"].json()["address"] == b1.address, answer["r"].text
    m = pool.metrics()
    assert m.value("ccpool_picks_total", target="t") == 3
    assert m.value("ccpool_pick_failures_total", target="t") == 2
    assert_consistent(pool)


def test_scenario_6_address_update_keeps_connection(make_backend, make_ccpool, record):
    a, b, c = make_backend("a"), make_backend("b"), make_backend("c")
    pool = make_ccpool()
    r = pool.put_target("t", target_spec([a.address, b.address]))
    assert r.status == 201, r.text
    pool.wait_all_ready(["t"])
    pool.wait_quiescent()
    before = {s["addresses"][0]: s for s in pool.target("t")["subchannels"]}
    last_id = pool.history()[-1]["id"]

    at = time.time()
    r = pool.put_target("t", target_spec([a.address, c.address]))
    assert r.status == 200, r.text
    assert r.json()["target"] == f"ipv4:{a.address},{c.address}", r.text

    def updated():
        t = pool.target("t")
        subs = {s["addresses"][0]: s for s in t["subchannels"]}
        return subs if set(subs) == {a.address, c.address} and all(
            s["state"] == "READY" for s in subs.values()) else None
    after = harness.wait_until(updated, 10, "subchannels of the new address list READY")
    assert after[a.address]["id"] == before[a.address]["id"], "kept address got a new subchannel"
    assert after[a.address]["state_since"] == before[a.address]["state_since"], "kept subchannel changed state"
    assert after[c.address]["id"] not in {s["id"] for s in before.values()}
    time.sleep(0.5)
    rows = [e for e in pool.history(target="t") if e["id"] > last_id]
    assert [e for e in rows if e["subchannel"] == before[a.address]["id"]] == [], "kept connection transitioned"
    assert [e for e in rows if e["scope"] == "channel"] == [], "channel transitioned"
    removed = [e for e in rows if e["subchannel"] == before[b.address]["id"]]
    assert [e["to"] for e in removed] == ["SHUTDOWN"], removed
    assert removed[0]["reason"] == "subchannel shutdown", removed
    new = [e for e in rows if e["subchannel"] == after[c.address]["id"]]
    assert [e["to"] for e in new] == ["CONNECTING", "READY"], new
    record("6 address update", "new address READY after PUT", f"{(ts(new[-1]) - at) * 1000:.1f} ms")
    m = pool.metrics()
    assert m.one_hot("ccpool_subchannel_state", target="t", address=a.address) == "READY"
    assert m.one_hot("ccpool_subchannel_state", target="t", address=c.address) == "READY"
    assert m.value("ccpool_subchannel_state_transitions_total", target="t", address=b.address, to="SHUTDOWN") == 1
    assert m.value("ccpool_subchannel_open_connections", target="t", security_level="none") == 2
    assert_consistent(pool)
