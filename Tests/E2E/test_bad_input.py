"""Scenario 10: bad input changes nothing and never breaks the service.

Invalid config on SIGHUP, malformed and unauthorized admin requests, hostile query parameters and
target names. Every refusal is a JSON error of the documented shape (docs/api.md, "Rules for every route") with a 4xx status, never a 5xx, and
afterwards the targets, their subchannels and the history are exactly as before.
"""

import subprocess
import time

import pytest

import harness
from harness import ADMIN_TOKEN, assert_consistent, target_spec


def world(pool):
    """What must not change: targets with subchannel ids and state times, and the history."""
    targets = {n: (t["target"], t["state"], t["state_since"], t["labels"],
                   tuple((s["id"], tuple(s["addresses"]), s["state"], s["state_since"]) for s in t["subchannels"]))
               for n, t in pool.targets().items()}
    return targets, len(pool.history())


def is_error_shape(r) -> bool:
    try:
        e = r.json()["error"]
        return isinstance(e["code"], str) and e["code"] and isinstance(e["message"], str) and e["message"]
    except (ValueError, KeyError, TypeError):
        return False


@pytest.fixture
def steady(make_backend, make_ccpool):
    """A ccpool with one config target and one admin target, all READY and quiet."""
    b = make_backend("b")
    pool = make_ccpool(targets={"cfg": target_spec([b.address])})
    assert pool.put_target("adm", target_spec([b.address])).status == 201
    pool.wait_all_ready(["cfg", "adm"])
    pool.wait_quiescent()
    return pool, b


INVALID_CONFIGS = {
    "yaml-syntax": "targets:\n  - name: x\n    target: [unclosed\n",
    "bad-target-uri": '{"targets": [{"name": "x", "target": "ipv4:127.0.0.1:99999"}]}',
    "duplicate-names": '{"targets": [{"name": "x", "target": "ipv4:127.0.0.1:1"}, {"name": "x", "target": "ipv4:127.0.0.1:2"}]}',
    "bad-duration": '{"targets": [{"name": "x", "target": "ipv4:127.0.0.1:1", "keepalive": {"time": "soon"}}]}',
    "bad-name": '{"targets": [{"name": "no spaces allowed", "target": "ipv4:127.0.0.1:1"}]}',
    "bad-service-config": '{"targets": [{"name": "x", "target": "ipv4:127.0.0.1:1", "service_config": "{not json"}]}',
    "unix-with-authority": '{"targets": [{"name": "x", "target": "unix://host/run/x.sock"}]}',
    "missing-target": '{"targets": [{"name": "x"}]}',
}


def test_scenario_10_invalid_config_on_sighup(steady, record):
    pool, _ = steady
    good = pool.config_path.read_text()
    before = world(pool)
    for i, (label, text) in enumerate(INVALID_CONFIGS.items(), start=1):
        pool.config_path.write_text(text)
        # check-config refuses it with file:line:col.
        out = subprocess.run([str(pool.binary), "check-config", str(pool.config_path)], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 1, f"{label}: check-config exit {out.returncode}: {out.stdout}{out.stderr}"
        assert f"{pool.config_path}:" in out.stdout + out.stderr, f"{label}: no file:line:col in {out.stdout}{out.stderr}"
        pool.sighup()
        harness.wait_until(lambda: pool.metrics().value("ccpool_config_reload_failures_total") == i, 10,
                           f"reload failure {i} counted ({label})")
        assert world(pool) == before, f"{label}: something changed after a rejected reload"
    m = pool.metrics()
    assert m.value("ccpool_config_reloads_total") == len(INVALID_CONFIGS)
    assert pool.log_text().count("configuration reload rejected") == len(INVALID_CONFIGS)
    pool.config_path.write_text(good)
    pool.sighup()
    harness.wait_until(lambda: pool.metrics().value("ccpool_config_reloads_total") == len(INVALID_CONFIGS) + 1, 10,
                       "good reload")
    assert pool.metrics().value("ccpool_config_reload_failures_total") == len(INVALID_CONFIGS)
    assert world(pool) == before
    record("10 bad input", "invalid configs rejected on SIGHUP", len(INVALID_CONFIGS))


def test_scenario_10_malformed_and_unauthorized_admin(steady, record):
    pool, b = steady
    before = world(pool)
    good = target_spec([b.address])
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    cases = [
        # (label, method, path, body, headers, allowed statuses)
        ("no token", "PUT", "/v1/targets/new", good, {}, {401}),
        ("wrong token", "PUT", "/v1/targets/new", good, {"Authorization": "Bearer wrong"}, {401, 403}),
        ("token prefix", "PUT", "/v1/targets/new", good, {"Authorization": f"Bearer {ADMIN_TOKEN[:-1]}"}, {401, 403}),
        ("token plus byte", "PUT", "/v1/targets/new", good, {"Authorization": f"Bearer {ADMIN_TOKEN}x"}, {401, 403}),
        ("basic scheme", "PUT", "/v1/targets/new", good, {"Authorization": f"Basic {ADMIN_TOKEN}"}, {401, 403}),
        ("empty bearer", "PUT", "/v1/targets/new", good, {"Authorization": "Bearer "}, {401, 403}),
        ("no token delete", "DELETE", "/v1/targets/adm", None, {}, {401}),
        ("wrong token delete", "DELETE", "/v1/targets/adm", None, {"Authorization": "Bearer nope"}, {401, 403}),
        ("not json", "PUT", "/v1/targets/new", "{target: nope", bearer, {400}),
        ("json array", "PUT", "/v1/targets/new", [good], bearer, {400}),
        ("json string", "PUT", "/v1/targets/new", '"ipv4:127.0.0.1:1"', bearer, {400}),
        ("empty body", "PUT", "/v1/targets/new", "", bearer, {400}),
        ("missing target", "PUT", "/v1/targets/new", {"labels": {"a": "b"}}, bearer, {400}),
        ("target not a string", "PUT", "/v1/targets/new", {"target": 42}, bearer, {400}),
        ("bad port", "PUT", "/v1/targets/new", {"target": "ipv4:127.0.0.1:99999"}, bearer, {400}),
        ("empty target", "PUT", "/v1/targets/new", {"target": ""}, bearer, {400}),
        ("unix authority", "PUT", "/v1/targets/new", {"target": "unix://host/x.sock"}, bearer, {400}),
        ("bad duration", "PUT", "/v1/targets/new", dict(good, keepalive={"time": "forever"}), bearer, {400}),
        ("negative duration", "PUT", "/v1/targets/new", dict(good, backoff={"base_delay": "-1s"}), bearer, {400}),
        ("bad service config", "PUT", "/v1/targets/new", dict(good, service_config="{nope"), bearer, {400}),
        ("bad idle", "PUT", "/v1/targets/new", dict(good, idle="sometimes"), bearer, {400}),
        ("labels not strings", "PUT", "/v1/targets/new", dict(good, labels={"a": [1]}), bearer, {400}),
        ("tls file missing", "PUT", "/v1/targets/new",
         dict(good, tls={"enabled": True, "ca_file": "/nonexistent/ca.pem"}), bearer, {400}),
        ("name with space", "PUT", "/v1/targets/bad%20name", good, bearer, {400}),
        ("name too long", "PUT", "/v1/targets/" + "n" * 129, good, bearer, {400}),
        ("name dotdot slash", "PUT", "/v1/targets/..%2F..%2Fetc", good, bearer, {400, 404}),
        ("name unicode", "PUT", "/v1/targets/%C3%A9t%C3%A9", good, bearer, {400}),
        ("name NUL", "PUT", "/v1/targets/a%00b", good, bearer, {400}),
        ("body too large", "PUT", "/v1/targets/new", dict(good, labels={"k": "v" * (2 << 20)}), bearer, {413}),
        ("config target put", "PUT", "/v1/targets/cfg", good, bearer, {409}),
        ("config target delete", "DELETE", "/v1/targets/cfg", None, bearer, {409}),
        ("unknown delete", "DELETE", "/v1/targets/nope", None, bearer, {404}),
        ("pick bad json", "POST", "/v1/targets/adm/pick", "{", {}, {400}),
        ("pick bad timeout", "POST", "/v1/targets/adm/pick", {"timeout_ms": -5}, {}, {400}),
        ("pick huge timeout", "POST", "/v1/targets/adm/pick", {"timeout_ms": 10 ** 12}, {}, {400}),
        ("pick wrong type", "POST", "/v1/targets/adm/pick", {"wait_for_ready": "yes"}, {}, {400}),
    ]
    problems = []
    for label, method, path, body, headers, allowed in cases:
        r = pool.request(method, path, body=body, headers=headers)
        if r.status not in allowed or not is_error_shape(r):
            problems.append(f"{label}: {method} {path[:60]} -> {r.status} {r.text[:200]!r} (wanted {sorted(allowed)})")
    after = world(pool)
    assert problems == [], "\n".join(problems)
    # The only history rows since are none; no target appeared or changed.
    assert after == before, "an admin request that was refused changed something"
    assert "new" not in pool.targets()
    # HTTP counters refresh with the next state change or within a second (MetricsEndpoint's cache).
    def codes():
        return {l["code"] for l, v in pool.metrics().select("ccpool_http_requests_total") if v > 0}
    try:
        harness.wait_until(lambda: {"400", "401", "409"} <= codes(), 3, "4xx codes counted")
    except harness.WaitTimeout:
        pytest.fail(f"ccpool_http_requests_total codes after the refusals: {sorted(codes())}")
    record("10 bad input", "malformed/unauthorized admin requests refused", len(cases))


def test_scenario_10_body_too_large_is_counted(steady):
    pool, b = steady
    r = pool.request("PUT", "/v1/targets/new", body=dict(target_spec([b.address]), labels={"k": "v" * (2 << 20)}),
                     admin=True)
    assert r.status == 413 and r.error_code(), r.text
    harness.wait_until(lambda: any(l["code"] == "413" and v >= 1 for l, v in
                                   pool.metrics().select("ccpool_http_requests_total")), 3,
                       "the 413 counted in ccpool_http_requests_total")


def test_scenario_10_admin_disabled_without_token(make_backend, make_ccpool):
    b = make_backend("b")
    pool = make_ccpool(token=None)
    r = pool.request("PUT", "/v1/targets/x", body=target_spec([b.address]),
                     headers={"Authorization": "Bearer anything"})
    assert r.status == 403 and r.error_code() == "admin_disabled", r.text
    r = pool.request("DELETE", "/v1/targets/x", headers={"Authorization": "Bearer anything"})
    assert r.status == 403 and r.error_code() == "admin_disabled", r.text
    assert pool.targets() == {}


HOSTILE_GETS = [
    "/v1/history?limit=0", "/v1/history?limit=10001", "/v1/history?limit=-1", "/v1/history?limit=abc",
    "/v1/history?limit=1e3", "/v1/history?limit=99999999999999999999999", "/v1/history?since=yesterday",
    "/v1/history?until=2026-13-45T99:99:99Z", "/v1/history?since=1e400", "/v1/history?to=BOGUS",
    "/v1/history?to=ready%00", "/v1/history?scope=everything", "/v1/history?subchannel=-1",
    "/v1/history?subchannel=abc", "/v1/history?cursor=garbage", "/v1/history?cursor=%27%20OR%201%3D1%20--",
    "/v1/history?cursor=" + "A" * 4000, "/v1/history?unknown=1", "/v1/history?limit=1&limit=2",
    "/v1/history?target=%27%20OR%201%3D1%20--", "/v1/history?target=%zz", "/v1/history?target=" + "t" * 5000,
    "/v1/history?target=a%00b", "/v1/history?%00=1", "/v1/history?&&&=&=",
    "/v1/targets/adm/availability?window=-1h", "/v1/targets/adm/availability?window=abc",
    "/v1/targets/adm/availability?window=0s", "/v1/targets/adm/availability?window=99999999999h",
    "/v1/targets/adm/availability?bogus=1",
    "/v1/targets/..%2F..%2Fetc%2Fpasswd", "/v1/targets/%00", "/v1/targets/" + "x" * 5000,
    "/v1/targets/%C3%A9", "/v1/targets/a%2Fb", "/v1/targets/%zz", "/../../etc/passwd",
    "/v1/targets/adm/../../../etc/passwd", "/v1/targets/adm/pick", "/nope", "/v1", "/v1/history/1",
]


def test_scenario_10_hostile_queries(steady, record):
    pool, _ = steady
    before = world(pool)
    problems = []
    for path in HOSTILE_GETS:
        r = pool.get(path)
        ok = 400 <= r.status < 500 and is_error_shape(r)
        if not ok:
            problems.append(f"GET {path[:80]} -> {r.status} {r.text[:160]!r}")
    for method, path in [("DELETE", "/metrics"), ("POST", "/v1/targets"), ("PATCH", "/v1/targets/adm"),
                         ("PUT", "/v1/history"), ("POST", "/healthz"), ("GET", "/v1/targets/adm/pick")]:
        r = pool.request(method, path, body={} if method in ("POST", "PUT", "PATCH") else None,
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        if r.status != 405 or not is_error_shape(r):
            problems.append(f"{method} {path} -> {r.status} {r.text[:160]!r} (wanted 405)")
    # Valid but odd: a name nobody has, a well-formed filter that matches nothing.
    for path in ["/v1/history?target=nobody", "/v1/history?target=adm&to=SHUTDOWN",
                 "/v1/history?since=0&until=1", "/v1/history?limit=10000"]:
        r = pool.get(path)
        if r.status != 200:
            problems.append(f"GET {path} -> {r.status} {r.text[:160]!r} (wanted 200)")
    assert problems == [], "\n".join(problems)
    assert pool.get("/healthz").status == 200
    assert world(pool) == before
    time.sleep(1.1)
    m = pool.metrics()
    assert sum(v for l, v in m.select("ccpool_http_requests_total") if l["code"].startswith("4")) >= len(HOSTILE_GETS)
    assert sum(v for l, v in m.select("ccpool_http_requests_total") if l["code"].startswith("5")) == 0
    assert_consistent(pool)
    record("10 bad input", "hostile GETs/methods answered 4xx", len(HOSTILE_GETS) + 6)
