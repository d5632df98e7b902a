#!/usr/bin/env python3
"""Headless-Chromium check of the dashboard against a running ccpool with real backends.

Starts ccpool (CCPOOL_BIN, default .build/debug/ccpool) and Python grpcio health servers, makes some history,
then loads the pages in Chromium (`--dump-dom`) and checks the rendered DOM against the JSON API:

- `/`: one row per target of /v1/targets with its state badge, subchannel counts per state and labels; the
  counts per state at the top; a filter and sort kept in the form; the page also renders with JavaScript
  off, and with it on the first refresh through the API succeeds;
- `/ui/targets/{name}` for every target: channel badge, subchannel rows (id, state, health, address), and
  the timeline's segments equal to the segments recomputed here from /v1/history (state at the window's
  start from the last event before it; each event starts a segment; clipped to the window); the latest
  events table equal to the newest events of /v1/history; labels with markup shown as text;
- an unknown target is a 404 page.

The service changes while the check runs (a refused target keeps retrying), so each page is compared with
the API read just before and just after the dump, and the whole comparison is retried a few times.

Exit status 0 when every check passed. Without Chromium it skips (exit 0) unless CI=true (exit 1).
Stops every process it started, by PID, on every path.
"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dashboard_env import XSS_LABEL, XSS_NOTE, DashboardEnv, chromium, dump_dom, parse_html  # noqa: E402

ATTEMPTS = 5
failures = []


def check(condition, message):
    if not condition:
        raise Mismatch(message)


class Mismatch(Exception):
    pass


def micros(text):
    """RFC 3339 UTC with up to 6 fractional digits → integer microseconds (exact)."""
    import calendar
    date, clock = text.rstrip("Z").split("T")
    whole, _, fraction = clock.partition(".")
    y, mo, d = map(int, date.split("-"))
    h, mi, s = map(int, whole.split(":"))
    seconds = calendar.timegm((y, mo, d, h, mi, s))
    return seconds * 1_000_000 + int((fraction + "000000")[:6])


# ---- expected values from the API ----------------------------------------------------------------
def expected_segments(events, start, end, current_ids):
    """The timeline recomputed from /v1/history: {band: [(state, start, end, reason, event id)]}."""
    def band(ev):
        return "channel" if ev["scope"] == "channel" else f"subchannel-{ev['subchannel']}"

    before, inside = {}, {}
    for ev in events:  # in id order
        t = micros(ev["time"])
        if t < start:
            before[band(ev)] = ev
        elif t < end:
            inside.setdefault(band(ev), []).append(ev)
    bands = {"channel"} | set(inside) | {f"subchannel-{i}" for i in current_ids}
    bands |= {b for b, ev in before.items() if b != "channel" and ev["to"] != "SHUTDOWN"}
    result = {}
    for b in bands:
        segs, cur = [], None
        if b in before:
            ev = before[b]
            cur = [ev["to"], start, end, ev["reason"], ev["id"]]
        for ev in sorted(inside.get(b, []), key=lambda e: (micros(e["time"]), e["id"])):
            t = micros(ev["time"])
            if cur is not None:
                cur[2] = t
                if cur[2] > cur[1]:
                    segs.append(tuple(cur))
            cur = [ev["to"], t, end, ev["reason"], ev["id"]]
        if cur is not None and cur[2] > cur[1]:
            segs.append(tuple(cur))
        result[b] = segs
    return result


def subchannel_counts(target):
    counts = {}
    for s in target["subchannels"]:
        counts[s["state"]] = counts.get(s["state"], 0) + 1
    return counts


# ---- page checks -------------------------------------------------------------------------------
def overview_row_matches(row, target):
    try:
        badge = row.find("span", class_="badge")
        check(badge is not None and badge.get("data-state") == target["state"],
              f"{target['name']}: badge {badge and badge.get('data-state')} != {target['state']}")
        check(target["state"] in badge.text(), f"{target['name']}: badge text {badge.text()!r} lacks the state name")
        check(badge.find("span", class_="ic") is not None, f"{target['name']}: badge without its icon")
        cell = row.find("td", class_="subchannels")
        check(cell.get("data-count") == str(len(target["subchannels"])),
              f"{target['name']}: {cell.get('data-count')} subchannels shown, {len(target['subchannels'])} in the API")
        pips = {p.get("data-state"): int(p.get("data-count")) for p in cell.find_all("span", class_="pip")}
        check(pips == subchannel_counts(target), f"{target['name']}: subchannel counts {pips} != {subchannel_counts(target)}")
        chips = [c.text() for c in row.find_all("span", class_="chip")]
        labels = [f"{k}={v}" for k, v in sorted(target["labels"].items())]
        check(chips == labels, f"{target['name']}: labels {chips} != {labels}")
        link = row.find("a")
        check(link.get("href") == "/ui/targets/" + target["name"] and link.text() == target["name"],
              f"{target['name']}: link {link.get('href')}")
        return None
    except Mismatch as e:
        return str(e)


def check_overview(env, browser, path="/?per_page=500", script=True):
    for attempt in range(ATTEMPTS):
        before = {t["name"]: t for t in env.get_json("/v1/targets")["targets"]}
        # Without JavaScript a browser shows the HTML as served (Chromium's --dump-dom needs scripts on).
        dom = parse_html(dump_dom(browser, env.base + path) if script else env.get(path))
        after = {t["name"]: t for t in env.get_json("/v1/targets")["targets"]}
        try:
            check(set(before) == set(after), "targets changed during the dump")
            rows = {r.get("data-target"): r for r in dom.find_all("tr") if r.get("data-target")}
            check(set(rows) == set(after), f"rows {sorted(rows)} != targets {sorted(after)}")
            for name, row in rows.items():
                problems = [overview_row_matches(row, t) for t in (before[name], after[name])]
                check(None in problems, problems[-1] or "")
            for state in ("READY", "CONNECTING", "IDLE", "TRANSIENT_FAILURE", "SHUTDOWN"):
                shown = int(dom.find(id=f"count-{state}").text())
                options = {sum(t["state"] == state for t in snap.values()) for snap in (before, after)}
                check(shown in options, f"count of {state}: {shown}, API says {options}")
            check(dom.find(id="count-all").text() == str(len(after)), "total count")
            scripts = dom.find_all("script")
            check(len(scripts) == 1, f"{len(scripts)} script elements (a label was not escaped?)")
            live = dom.find(id="live")
            if script:
                check(live.text().startswith("live"), f"the live status says {live.text()!r}")
            else:
                check(live.find("noscript") is not None, "without JavaScript the page does not say it will reload")
                check(any(m.get("http-equiv") == "refresh" for m in dom.find_all("meta")), "no <noscript> refresh")
            return f"overview {path} ({'Chromium DOM' if script else 'as served, JavaScript off'}): {len(rows)} rows match /v1/targets"
        except Mismatch as e:
            last = str(e)
            time.sleep(0.5)
    raise Mismatch(f"overview {path}: {last} (after {ATTEMPTS} attempts)")


def check_filter(env, browser):
    dom = parse_html(dump_dom(browser, env.base + "/?filter=PAY&sort=state&per_page=25"))
    rows = [r.get("data-target") for r in dom.find_all("tr") if r.get("data-target")]
    check(rows == ["payments"], f"filter PAY shows {rows}")
    check(dom.find("input", id="filter").get("value") == "PAY", "the filter box lost its value")
    selected = [o.get("value") for o in dom.find("select", name="sort").find_all("option", selected=True)]
    check(selected == ["state"], f"sort select shows {selected}")
    check(dom.find(id="shown").text().startswith("1\u20131 of 1 matching"), dom.find(id="shown").text())
    bad = env.status("/?per_page=0")
    check(bad == 400, f"/?per_page=0 answered {bad}")
    return "filter/sort/per_page kept in the form; bad per_page is a 400 page"


def check_target(env, browser, name):
    for attempt in range(ATTEMPTS):
        before = env.target(name)
        dom = parse_html(dump_dom(browser, env.base + "/ui/targets/" + name))
        after = env.target(name)
        events = env.history(name)
        try:
            root = dom.find(id="target")
            check(root is not None and root.get("data-name") == name, "no #target root")
            channel = dom.find(id="channel-state").find("span", class_="badge").get("data-state")
            check(channel in (before["state"], after["state"]), f"channel badge {channel}, API {before['state']}/{after['state']}")

            rows = {r.get("data-id"): r for r in dom.find("table", id="subchannels").find_all("tr") if r.get("data-id")}
            ok_any = False
            for api in (before, after):
                subs = {str(s["id"]): s for s in api["subchannels"]}
                if set(subs) != set(rows):
                    continue
                good = True
                for sid, s in subs.items():
                    r = rows[sid]
                    state = r.find("td", class_="state").find("span", class_="badge").get("data-state")
                    address = r.find("td", class_="address").text()
                    good &= state == s["state"] and r.find("td", class_="health").text() == s["health"]
                    good &= address.startswith(s["connected_address"] or ", ".join(s["addresses"]))
                ok_any |= good
            check(ok_any, f"subchannel rows {sorted(rows)} do not match the API's {[s['id'] for s in after['subchannels']]}")

            svg = dom.find("svg", id="timeline")
            start, end = micros(svg.get("data-start")), micros(svg.get("data-end"))
            check(end - start == 3600 * 1_000_000, "the default window is not 1 h")
            shown = {}
            for g in svg.find_all("g", class_="band"):
                shown[g.get("data-band")] = [
                    (r.get("data-state"), micros(r.get("data-start")), micros(r.get("data-end")), r.get("data-reason"),
                     int(r.get("data-event")))
                    for r in g.find_all("rect", class_="seg")]
            expected = expected_segments(events, start, end, [int(i) for i in rows])
            check(set(shown) == set(expected), f"bands {sorted(shown)} != expected {sorted(expected)}")
            for band, segs in expected.items():
                if shown[band] != segs:
                    diff = next(((a, b) for a, b in zip(shown[band] + [None], segs + [None]) if a != b), None)
                    raise Mismatch(f"band {band}: {len(shown[band])} segments shown, {len(segs)} expected; "
                                   f"first difference (shown, expected): {diff}")
            titles = [r.find("title") for g in svg.find_all("g", class_="band") for r in g.find_all("rect", class_="seg")]
            check(all(t is not None and " \u2192 " in t.text() for t in titles), "a segment without its hover title")

            window_events = [e for e in events if start <= micros(e["time"]) < end]
            want = [str(e["id"]) for e in sorted(window_events, key=lambda e: -e["id"])[:50]]
            got = [r.get("data-id") for r in dom.find("table", id="events").find_all("tr") if r.get("data-id")]
            check(got == want, f"latest events {got[:5]}… != history {want[:5]}…")
            reasons = {str(e["id"]): e["reason"] for e in window_events}
            for r in dom.find("table", id="events").find_all("tr"):
                if r.get("data-id"):
                    check(r.find("td", class_="reason").text() == reasons[r.get("data-id")], "event reason differs")
            fraction = dom.find(id="avail-fraction").text()
            check(fraction.endswith("%"), f"availability shows {fraction!r}")
            check(len(dom.find_all("script")) == 1, "more than one script element")
            segments = sum(len(s) for s in shown.values())
            return f"/ui/targets/{name}: {len(rows)} subchannels, {len(shown)} bands, {segments} segments, " \
                   f"{len(got)} events match the API"
        except Mismatch as e:
            last = str(e)
            time.sleep(0.5)
    raise Mismatch(f"/ui/targets/{name}: {last} (after {ATTEMPTS} attempts)")


def check_escaping(env, browser):
    dom = parse_html(dump_dom(browser, env.base + "/ui/targets/flaky-backend"))
    chips = [c.text() for c in dom.find(id="labels").find_all("span", class_="chip")]
    check(chips == [f"note={XSS_NOTE}", f"team={XSS_LABEL}"], f"labels shown as {chips}")
    check(dom.find(id="labels").find("i") is None, "a label's <i> became an element")
    check(len(dom.find_all("script")) == 1, "a label's <script> became an element")
    return "labels with <script> and <i> show as text"


def check_404(env, browser):
    status = env.status("/ui/targets/no-such-target")
    check(status == 404, f"unknown target answered {status}")
    dom = parse_html(dump_dom(browser, env.base + "/ui/targets/no-such-target"))
    error = dom.find(id="error")
    check(error is not None and error.get("data-status") == "404", "no 404 error section")
    check("no-such-target" in error.text(), "the 404 page does not name the target")
    bad = env.status("/ui/targets/%3Cscript%3E")
    check(bad == 400, f"a name with markup answered {bad}")
    return "unknown target: 404 page; invalid name: 400 page"


def check_refresh(env, browser):
    """With JavaScript on and time running, the page's first refresh through the JSON API succeeds."""
    for path in ("/", "/ui/targets/legacy-auth"):
        dom = parse_html(dump_dom(browser, env.base + path, extra=["--virtual-time-budget=7000"]))
        live = dom.find(id="live").text()
        check(live.startswith("live \u00b7 updated"), f"{path}: after a refresh the status says {live!r}")
    return "auto-refresh through the JSON API ran without error on both pages"


def main():
    browser = chromium()
    if browser is None:
        message = "check_dom: chromium not found (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            print(message + "; failing because CI=true", file=sys.stderr)
            return 1
        print(message + "; skipped")
        return 0
    results = []
    with DashboardEnv(verbose=os.environ.get("VERBOSE") == "1") as env:
        env.scenario()
        names = [t["name"] for t in env.get_json("/v1/targets")["targets"]]
        steps = [lambda: check_overview(env, browser), lambda: check_overview(env, browser, script=False),
                 lambda: check_filter(env, browser)]
        steps += [(lambda n=n: check_target(env, browser, n)) for n in names]
        steps += [lambda: check_escaping(env, browser), lambda: check_404(env, browser),
                  lambda: check_refresh(env, browser)]
        for step in steps:
            try:
                results.append("PASS " + step())
            except Mismatch as e:
                results.append("FAIL " + str(e))
                failures.append(str(e))
            print(results[-1], flush=True)
    print(f"check_dom: {len(results) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
