"""The balancers tell the truth, against real grpcio backends and the real binary.

- pick_first with health checking: a NOT_SERVING backend makes the channel TRANSIENT_FAILURE and
  picks fail; SERVING brings READY back on the same connection.
- pick_first with health checking: a backend that drops the connection before its first health
  answer fails the pass; once a real backend serves on that port the channel is READY.
- legacy_pick_first: a SIGHUP that appends an address keeps the READY SubConn (grpc-go v1.20's
  UpdateAddresses), with no channel flap.
- Concurrent PUTs of one new name build one runtime: one connection, and every subchannel gets
  its SHUTDOWN when the target is deleted.
"""

import subprocess
import sys
import threading

import harness
from harness import target_spec

DROP_SCRIPT = harness.HERE / "peers" / "drop_before_answer.py"


def established_to(port: int) -> int:
    """Client sockets on this machine connected to 127.0.0.1:port (from /proc/net/tcp)."""
    count = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == "01" and int(remote.split(":")[1], 16) == port:
                count += 1
    return count


def channel_rows(pool, name):
    return [e for e in pool.history(target=name) if e["scope"] == "channel"]


def test_pick_first_follows_health(make_backend, make_ccpool):
    backend = make_backend("pf-health")
    pool = make_ccpool(targets={"t": target_spec([backend.address], lb="pick_first")})
    pool.wait_target_state("t", "READY")
    assert pool.pick("t").status == 200

    backend.set_health("NOT_SERVING")
    pool.wait_target_state("t", "TRANSIENT_FAILURE", timeout=10)
    r = pool.pick("t")
    assert r.status == 503 and r.error_code() == "no_ready_subchannel", r.text
    assert "NOT_SERVING" in r.json()["error"]["message"], r.text

    backend.set_health("SERVING")
    pool.wait_target_state("t", "READY", timeout=10)
    assert pool.pick("t").json()["address"] == backend.address
    pool.wait_history(lambda e: e["scope"] == "channel" and e["from"] == "TRANSIENT_FAILURE", 10, "TF→READY row",
                      target="t")
    moves = [(e["from"], e["to"]) for e in channel_rows(pool, "t")]
    assert moves == [("IDLE", "CONNECTING"), ("CONNECTING", "READY"), ("READY", "TRANSIENT_FAILURE"),
                     ("TRANSIENT_FAILURE", "READY")], moves
    assert pool.metrics().sum("ccpool_transition_rule_violations_total") == 0


def test_pick_first_connection_dropped_before_first_health_answer(workdir, make_ccpool):
    reservation = harness.PortReservation()
    log = open(workdir / "drop.log", "ab")
    dropper = subprocess.Popen([sys.executable, str(DROP_SCRIPT), str(reservation.port)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=log, start_new_session=True)
    log.close()
    harness.REGISTRY.add(dropper)
    assert dropper.stdout.readline().decode().startswith("listening")
    backend = None
    try:
        pool = make_ccpool(targets={"t": target_spec([reservation.address], lb="pick_first")})
        lost = pool.wait_history(lambda e: e["scope"] == "subchannel" and (e["from"], e["to"]) == ("CONNECTING", "IDLE"),
                                 15, "CONNECTING→IDLE row", target="t")
        assert "connection" in lost["reason"], lost
        # The pass failed instead of waiting for ever.
        pool.wait_target_state("t", "TRANSIENT_FAILURE", timeout=10)

        harness.stop_pid(dropper)
        backend = harness.Backend(workdir, "after-drop", reservation=reservation).start()
        pool.wait_target_state("t", "READY", timeout=15)
        assert pool.pick("t").json()["address"] == reservation.address
        assert pool.metrics().sum("ccpool_transition_rule_violations_total") == 0
    finally:
        harness.stop_pid(dropper)
        if backend is not None:
            backend.close()
        else:
            reservation.close()


def test_legacy_pick_first_append_keeps_connection(make_backend, make_ccpool):
    b = [make_backend(f"legacy{i}") for i in range(3)]
    spec = lambda addrs: target_spec(addrs, lb="legacy_pick_first", health=None)  # noqa: E731
    pool = make_ccpool(targets={"t": spec([b[0].address, b[1].address])})
    pool.wait_target_state("t", "READY")
    before = pool.target("t")["subchannels"]
    assert len(before) == 1, before
    only = before[0]["id"]
    pool.wait_history(lambda e: e["scope"] == "channel" and e["to"] == "READY", 10, "READY row", target="t")
    channel_before = channel_rows(pool, "t")

    pool.write_config({"t": spec([x.address for x in b])})
    pool.sighup()
    harness.wait_until(lambda: len(pool.target("t")["subchannels"][0]["addresses"]) == 3, 10,
                       "the SubConn lists three addresses")
    after = pool.target("t")
    assert [s["id"] for s in after["subchannels"]] == [only], after
    assert after["state"] == "READY" and after["subchannels"][0]["state"] == "READY", after
    rows = pool.history(target="t", subchannel=only)
    assert [(e["from"], e["to"]) for e in rows] == [("IDLE", "CONNECTING"), ("CONNECTING", "READY")], rows
    assert channel_rows(pool, "t") == channel_before
    assert established_to(b[0].port) == 1


def test_concurrent_puts_of_one_new_name_build_one_runtime(make_backend, make_ccpool):
    backend = make_backend("put-race")
    pool = make_ccpool()
    spec = target_spec([backend.address], lb="pick_first", health=None)
    statuses = []
    start = threading.Barrier(16)

    def put():
        start.wait()
        statuses.append(pool.put_target("race", spec).status)

    threads = [threading.Thread(target=put) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [200] * 15 + [201], statuses
    pool.wait_target_state("race", "READY")
    harness.wait_until(lambda: established_to(backend.port) == 1, 5, "one connection to the backend")
    pool.wait_history(lambda e: e["scope"] == "subchannel" and e["to"] == "READY", 10, "READY row", target="race")
    created = {e["subchannel"] for e in pool.history(target="race") if e["scope"] == "subchannel"}
    assert len(created) == 1, created

    assert pool.delete_target("race").status == 204
    harness.wait_until(lambda: established_to(backend.port) == 0, 10, "no connection left")
    pool.wait_history(lambda e: e["scope"] == "subchannel" and e["to"] == "SHUTDOWN", 10, "SHUTDOWN row", target="race")
    shut = [e for e in pool.history(target="race") if e["to"] == "SHUTDOWN"]
    assert {e["subchannel"] for e in shut if e["scope"] == "subchannel"} == created
    assert sum(1 for e in shut if e["scope"] == "channel") == 1
