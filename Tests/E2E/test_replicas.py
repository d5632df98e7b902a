"""One pool, many replicas: three real `ccpool serve` processes (`--shard-count 3`, each its own
database) that know each other through `--peers`, so that any one of them answers for the whole pool.

Everything runs on 127.0.0.1 with real grpcio backends; every wait is bounded and every process is
stopped by PID by the fixtures.
"""

from __future__ import annotations

import datetime
import os
import re
import signal
import time
import urllib.parse

import harness
from harness import ADMIN_TOKEN, Response, http_request, target_spec, wait_until

PEER_TIMEOUT = 0.7  # seconds: --peer-timeout of every replica here
FORWARDED = "X-CCPool-Forwarded-By"


def start_replicas(make_ccpool, config: dict, count: int = 3) -> list[harness.CCPool]:
    replicas = [make_ccpool(name=f"replica{i}", targets=config, start=False) for i in range(count)]
    peers = ",".join(f"http://127.0.0.1:{r.port}" for r in replicas)
    for i, r in enumerate(replicas):
        r.extra_args = ["--shard-index", str(i), "--shard-count", str(count), "--peers", peers,
                        "--peer-timeout", f"{int(PEER_TIMEOUT * 1000)}ms"]
        r.start(wait=False)
    for r in replicas:
        r.wait_healthy()
    return replicas


def local_names(pool: harness.CCPool) -> set[str]:
    return {t["name"] for t in pool.get_json("/v1/targets?replicas=local")["targets"]}


def owner_named(message: str) -> int | None:
    """The owner a 404 of `?replicas=local` names ("owned by replica 2 of 3"); None when the asked one owns it."""
    match = re.search(r"owned by replica (\d+) of", message)
    return int(match.group(1)) if match else None


def owner_of(pool: harness.CCPool, name: str, index: int) -> int:
    r = pool.get(f"/v1/targets/{name}?replicas=local")
    if r.status == 200:
        return index
    assert r.status == 404, r.text
    owner = owner_named(r.json()["error"]["message"])
    return index if owner is None else owner


def local_history(pool: harness.CCPool) -> list[dict]:
    body = pool.get_json("/v1/history?replicas=local&limit=10000")
    assert "next_cursor" not in body and "partial" not in body, body.keys()
    return body["events"]


def merged_history(pool: harness.CCPool, limit: int) -> tuple[list[dict], int]:
    events, cursor, pages = [], None, 0
    for _ in range(10_000):
        query = {"limit": str(limit)}
        if cursor:
            query["cursor"] = cursor
        body = pool.get_json("/v1/history?" + urllib.parse.urlencode(query))
        assert body["partial"] is False, body
        assert len(body["events"]) <= limit
        events.extend(body["events"])
        pages += 1
        cursor = body.get("next_cursor")
        if not cursor:
            return events, pages
    raise AssertionError("history paging did not end")


def parse_time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def expected_merge(histories: list[list[dict]]) -> list[tuple[int, dict]]:
    """Each replica's history in its own order, merged by time (ties to the lower replica index)."""
    heads = [0] * len(histories)
    out = []
    while True:
        best = None
        for r, events in enumerate(histories):
            if heads[r] < len(events) and (best is None or parse_time(events[heads[r]]["time"])
                                           < parse_time(histories[best][heads[best]]["time"])):
                best = r
        if best is None:
            return out
        out.append((best, histories[best][heads[best]]))
        heads[best] += 1


def test_replicas_answer_for_the_whole_pool(make_backend, make_ccpool, record):
    started = time.monotonic()
    backends = [make_backend(f"b{i}", health=False) for i in range(3)]
    names = [f"svc-{i:02d}" for i in range(30)]
    config = {n: target_spec([backends[i % 3].address], health=None) for i, n in enumerate(names)}
    replicas = start_replicas(make_ccpool, config)
    owned = [local_names(r) for r in replicas]
    assert set().union(*owned) == set(names) and sum(len(o) for o in owned) == 30, [sorted(o) for o in owned]
    owner = {n: i for i, o in enumerate(owned) for n in o}
    replicas[0].wait_all_ready(names)

    # From any replica: every target once, sorted, whole.
    for i, r in enumerate(replicas):
        t0 = time.monotonic()
        body = r.get_json("/v1/targets")
        record("replicas", f"merged /v1/targets from replica {i} (s)", time.monotonic() - t0)
        assert [t["name"] for t in body["targets"]] == names, i
        assert body["partial"] is False and "missing_replicas" not in body

    # Every target's page, pick and availability from every replica (the owner answers, the others relay).
    for n in names:
        address = backends[names.index(n) % 3].address
        for i, r in enumerate(replicas):
            t = r.target(n)
            assert t["name"] == n and t["state"] == "READY", (i, t)
            p = r.pick(n)
            assert p.status == 200 and p.json()["address"] == address, (i, n, p.text)
            a = r.get(f"/v1/targets/{n}/availability?window=1h")
            assert a.status == 200 and set(a.json()) == {"window_seconds", "ready_seconds", "ready_fraction", "transitions"}, a.text
            page = r.get(f"/ui/targets/{n}")
            assert page.status == 200 and n in page.text and "text/html" in page.headers["content-type"], (i, n, page.status)
        # The replica-only answer stays available: a non-owner names the owner.
        other = (owner[n] + 1) % 3
        r = replicas[other].get(f"/v1/targets/{n}?replicas=local")
        assert r.status == 404 and owner_named(r.json()["error"]["message"]) == owner[n], r.text
    bad = replicas[0].get("/v1/targets?replicas=some")
    assert bad.status == 400 and bad.error_code() == "invalid_parameter", bad.text
    dashboard = replicas[1].get("/")
    assert dashboard.status == 200 and all(n in dashboard.text for n in names) and 'id="partial"' not in dashboard.text

    # History: paged by 7 from one replica equals the three local histories merged by time.
    for r in replicas:
        r.wait_quiescent()
    for _ in range(5):
        histories = [local_history(r) for r in replicas]
        paged, pages = merged_history(replicas[1], limit=7)
        if [local_history(r) for r in replicas] == histories:
            break
    want = expected_merge(histories)
    key = lambda e: (e["id"], e["target"], e["time"], e["scope"], e["to"])
    assert len(paged) == len(want) == sum(len(h) for h in histories) > 30
    assert len({(owner[e["target"]], e["id"]) for e in paged}) == len(paged), "an event repeated"
    assert [key(e) for e in paged] == [key(e) for _, e in want]
    record("replicas", "history events paged by 7 over 3 replicas (pages)", f"{len(paged)} ({pages})")
    # A one-replica cursor ("id:5") is not a cursor of the merged history.
    bad = replicas[1].get("/v1/history?cursor=aWQ6NQ")
    assert bad.status == 400 and bad.error_code() == "invalid_parameter", bad.text

    # Admin PUT through a non-owner lands on the owner (which authorises) and survives its restart.
    candidates = (f"admin-{k}" for k in range(100))
    name = next(c for c in candidates if owner_of(replicas[0], c, 0) != 0)
    home = owner_of(replicas[0], name, 0)
    spec = target_spec([backends[0].address], health=None)
    denied = replicas[0].request("PUT", f"/v1/targets/{name}", body=spec)
    assert denied.status == 401 and denied.headers.get("www-authenticate") == "Bearer", denied.text
    wrong = replicas[0].request("PUT", f"/v1/targets/{name}", body=spec, headers={"Authorization": "Bearer nope"})
    assert wrong.status == 403, wrong.text
    created = replicas[0].put_target(name, spec)
    assert created.status == 201 and created.json()["name"] == name, created.text
    assert name in local_names(replicas[home]) and name not in local_names(replicas[0])
    replicas[home].terminate()
    replicas[home].start()
    assert name in local_names(replicas[home])
    replicas[0].wait_target_state(name, "READY")
    assert [t["name"] for t in replicas[(home + 1) % 3].get_json("/v1/targets")["targets"]] == sorted(names + [name])

    # A replica down: lists say so within the deadline, its targets answer 503 naming it.
    dead = 2
    replicas[dead].kill9()
    for i in (0, 1):
        t0 = time.monotonic()
        body = replicas[i].get_json("/v1/targets")
        elapsed = time.monotonic() - t0
        assert elapsed < PEER_TIMEOUT + 1.0, elapsed
        assert body["partial"] is True and [m["replica"] for m in body["missing_replicas"]] == [dead], body
        assert body["missing_replicas"][0]["url"] == f"http://127.0.0.1:{replicas[dead].port}"
        assert {t["name"] for t in body["targets"]} == (set(names) | {name}) - owned[dead] - ({name} if home == dead else set())
        history = replicas[i].get_json("/v1/history?limit=5")
        assert history["partial"] is True and history["missing_replicas"][0]["replica"] == dead and history["next_cursor"]
        page = replicas[i].get("/")
        assert page.status == 200 and 'id="partial"' in page.text and f"replica {dead}" in page.text
        for n in sorted(owned[dead])[:1]:
            for r in (replicas[i].get(f"/v1/targets/{n}"), replicas[i].pick(n), replicas[i].get(f"/v1/targets/{n}/availability")):
                assert r.status == 503 and r.error_code() == "replica_unavailable", r.text
                assert f"replica {dead}" in r.json()["error"]["message"], r.text
        record("replicas", f"partial /v1/targets with replica {dead} killed, from replica {i} (s)", elapsed)

    # A replica that hangs (SIGSTOP): the list waits at most the peer timeout.
    os.kill(replicas[1].pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        body = replicas[0].get_json("/v1/targets")
        elapsed = time.monotonic() - t0
    finally:
        os.kill(replicas[1].pid, signal.SIGCONT)
    reasons = {m["replica"]: m["reason"] for m in body["missing_replicas"]}
    assert set(reasons) == {1, dead} and "no answer within" in reasons[1], body
    assert PEER_TIMEOUT * 0.9 <= elapsed < PEER_TIMEOUT + 1.0, elapsed
    record("replicas", "partial /v1/targets with a stopped replica (s)", elapsed)

    # Back again: whole.
    replicas[dead].start()
    wait_until(lambda: replicas[0].get_json("/v1/targets")["partial"] is False, 15, "the pool whole again")
    assert [t["name"] for t in replicas[0].get_json("/v1/targets")["targets"]] == sorted(names + [name])
    n = sorted(owned[dead])[0]
    assert replicas[0].target(n)["name"] == n

    # No loops: a forwarded request for a target the receiver does not own is an error, never forwarded
    # again, both when sent by hand and from a replica configured with another shard count.
    n = sorted(owned[2])[0]
    direct = replicas[0].get(f"/v1/targets/{n}", headers={FORWARDED: "1"})
    assert direct.status == 421 and direct.error_code() == "misdirected_request", direct.text
    stray = make_ccpool(name="stray", targets={}, start=False)
    stray.extra_args = ["--shard-index", "0", "--shard-count", "2", "--peers",
                        f"http://127.0.0.1:{stray.port},http://127.0.0.1:{replicas[1].port}"]
    stray.start()
    candidates = (f"loop-{k}" for k in range(200))
    looped = next(c for c in candidates if owner_of(stray, c, 0) == 1 and owner_of(replicas[1], c, 1) != 1)
    answer = stray.get(f"/v1/targets/{looped}")
    assert answer.status == 421 and answer.error_code() == "misdirected_request", answer.text
    assert "disagree" in answer.json()["error"]["message"]

    # The peer families, on a scrape promtool accepts.
    m = replicas[0].metrics()
    peer1 = f"http://127.0.0.1:{replicas[1].port}"
    assert m.value("ccpool_peer_requests_total", peer=peer1, outcome="answered") > 0
    assert m.value("ccpool_peer_requests_total", peer=peer1, outcome="timeout") >= 1
    assert m.sum("ccpool_peer_requests_total", outcome="unreachable") >= 1
    assert m.value("ccpool_peer_request_duration_seconds_count", peer=peer1) > 0
    status, output = harness.promtool_check(m.text)
    assert status == 0 or all("_count" in line for line in output.strip().splitlines()), output
    record("replicas", "whole scenario (s)", time.monotonic() - started)
