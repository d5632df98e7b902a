"""The pool, with real processes: targets reach READY and /v1/targets, /v1/history, /metrics and picks
agree; exposition formats pass promtool and a real Prometheus."""

import time

import pytest

import harness
from harness import assert_consistent, target_spec


def test_pool_ready_and_consistent(make_backend, make_ccpool, make_prometheus, record):
    b1, b2, bare = make_backend("b1"), make_backend("b2"), make_backend("bare", health=False)
    targets = {
        "rr-two": target_spec([b1.address, b2.address]),
        "pf-one": target_spec([b1.address], lb="pick_first", health=None),
        "rr-nohealth": target_spec([bare.address, b2.address], health=None),
        "legacy-rr": target_spec([b1.address, b2.address], lb="legacy_round_robin", health=None),
    }
    pool = make_ccpool(targets=targets)
    started = time.monotonic()
    pool.wait_all_ready(targets)
    record("pool consistency", "4 targets / 7 subchannels READY after start", f"{time.monotonic() - started:.3f} s")
    prom = make_prometheus([pool.port])

    # Picks: every answer names a READY subchannel of the target, round_robin rotates over both.
    status = pool.targets()
    for name in targets:
        ready = {s["id"]: s for s in status[name]["subchannels"] if s["state"] == "READY"}
        seen = set()
        for _ in range(10):
            r = pool.pick(name)
            assert r.status == 200, r.text
            body = r.json()
            assert body["subchannel"] in ready, (name, body, ready)
            assert body["address"] in ready[body["subchannel"]]["addresses"]
            seen.add(body["subchannel"])
        if name.startswith("rr"):
            assert len(seen) == 2, f"round_robin {name} picked only {seen}"
    r = pool.pick("does-not-exist")
    assert r.status == 404 and r.error_code(), r.text

    summary = assert_consistent(pool)
    m = pool.metrics()
    for name in targets:
        assert m.value("ccpool_picks_total", target=name) == 10
        assert m.value("ccpool_pick_failures_total", target=name) == 0
    # Health as the API and the metrics see it.
    for s in status["rr-nohealth"]["subchannels"] + status["pf-one"]["subchannels"]:
        assert s["health"] in ("DISABLED",), s
    for s in status["rr-two"]["subchannels"]:
        assert s["health"] == "SERVING"
        assert m.one_hot("ccpool_health_check_status", key="status", target="rr-two", address=s["addresses"][0]) == "SERVING"

    # Availability from the history.
    a = pool.get_json("/v1/targets/rr-two/availability?window=1h")
    assert set(a) >= {"window_seconds", "ready_seconds", "ready_fraction", "transitions"}, a
    assert a["window_seconds"] == 3600 and 0 < a["ready_fraction"] <= 1 and a["transitions"] >= 2, a

    # The real Prometheus scrapes it every second (it negotiates OpenMetrics) and sees the same.
    prom.wait_scraped()
    prom.wait_value('count(ccpool_channel_state{state="READY"} == 1)', len(targets))
    assert prom.scalar("ccpool_targets") == len(targets)
    assert prom.scalar('sum(ccpool_subchannel_state{state="READY"})') == 7
    assert prom.scalar('sum(ccpool_picks_total)') == 10 * len(targets)
    # ... and keeps succeeding: no failed scrape for a few seconds.
    time.sleep(3)
    assert prom.scalar('min_over_time(up{job="ccpool"}[10s])') == 1
    assert prom.scalar('scrape_samples_scraped{job="ccpool"}') > 100
    record("pool consistency", "history rows checked against counters", summary["events"])


def _text_scrape(make_backend, make_ccpool):
    b = make_backend("b")
    pool = make_ccpool(targets={"t": target_spec([b.address])})
    pool.wait_all_ready(["t"])
    pool.pick("t")
    r = pool.get("/metrics")
    assert r.status == 200
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return r.text


def test_exposition_text_parses_and_lints(make_backend, make_ccpool):
    """promtool parses the 0.0.4 body (exit 1 would be a parse error) and finds no lint problem."""
    text = _text_scrape(make_backend, make_ccpool)
    code, output = harness.promtool_check(text)
    assert code in (0, 3), output
    problems = [l for l in output.splitlines() if l.strip()]
    assert problems == [], f"promtool check metrics (text 0.0.4) reports: {problems}"
    m = harness.Metrics(text)
    names = [f.name for f in m.families]
    assert len(names) == len(set(names)), "a family appears twice"
    for name in names:
        assert name.startswith(("ccpool_", "process_")), name


def test_exposition_text_promtool_clean(make_backend, make_ccpool):
    text = _text_scrape(make_backend, make_ccpool)
    code, output = harness.promtool_check(text)
    assert code == 0, output


def test_exposition_openmetrics(make_backend, make_ccpool):
    """OpenMetrics 1.0: exact content type, `# EOF`, and a strict parse (prometheus_client's
    OpenMetrics parser). promtool 2.42's `check metrics` reads only the 0.0.4 text format, so the
    OpenMetrics body is checked by the parser here and by the real Prometheus scrape in
    test_pool_ready_and_consistent (Prometheus 2.42 asks for OpenMetrics first)."""
    b = make_backend("b")
    pool = make_ccpool(targets={"t": target_spec([b.address])})
    pool.wait_all_ready(["t"])
    r = pool.get("/metrics", headers={"Accept": harness.OPENMETRICS_ACCEPT})
    assert r.status == 200
    assert r.headers["content-type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8"
    assert r.text.endswith("# EOF\n")
    m = harness.Metrics(r.text, openmetrics=True)
    text = pool.metrics()
    assert m.value("ccpool_targets") == text.value("ccpool_targets") == 1
    assert m.one_hot("ccpool_channel_state", target="t") == "READY"
    names = [f.name for f in m.families]
    assert len(names) == len(set(names)), "a family appears twice"
