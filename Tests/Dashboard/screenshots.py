#!/usr/bin/env python3
"""Screenshots of the two dashboard pages, for the README: Tests/Dashboard/screenshots/{dashboard,target}.png.

Runs the same environment as check_dom.py (real grpcio backends, ccpool from CCPOOL_BIN, default
.build/debug/ccpool) with more targets, and first seeds the database with an hour of history of an earlier
run (flaps, a GOAWAY, a health check going NOT_SERVING, an outage, then a restart), so the timeline has
something to show. The seeded rows are ordinary history rows written before the service starts.

Needs chromium (exit 1 without it). Usage: screenshots.py [OUTPUT_DIR]
"""

import os
import random
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dashboard_env import DashboardEnv, chromium, screenshot  # noqa: E402

HOUR = 3600 * 1_000_000


class SeededEnv(DashboardEnv):
    """DashboardEnv whose database holds an earlier run's history before ccpool starts."""

    EXTRA = [  # (name, kind, team): kind "ok" → a healthy backend, "refused" → a closed port, "lazy" → idle
        ("auth-tokens", "ok", "identity"), ("billing-events", "ok", "billing"), ("catalog", "ok", "stock"),
        ("geo-lookup", "refused", "maps"), ("media-store", "ok", "media"), ("notifications", "ok", "comms"),
        ("orders-api", "ok", "orders"), ("recommendations", "lazy", "ml"), ("shipping-quotes", "refused", "orders"),
        ("users", "ok", "identity"),
    ]

    def extra_targets(self, closed):
        lines = []
        for name, kind, team in self.EXTRA:
            address = {"ok": self.inv.address, "refused": f"127.0.0.1:{closed}", "lazy": self.inv.address}[kind]
            lines.append(f'  - name: {name}\n    target: "ipv4:{address}"\n    labels: {{team: {team}}}\n'
                         + ('    backoff: {"base_delay": "1s", "max_delay": "5s"}\n' if kind == "refused" else "")
                         + ("    idle: lazy\n" if kind == "lazy" else ""))
        return "".join(lines)

    def before_start(self):
        """Migrates the database and writes the earlier run's history."""
        db = os.path.join(self.work, "ccpool.db")
        subprocess.run([self.binary, "migrate", "--database", db], check=True, capture_output=True)
        now = int(time.time() * 1_000_000)
        end = now - 20 * 1_000_000  # the earlier run stopped 20 s ago
        start = now - HOUR - 5 * 60 * 1_000_000
        rng = random.Random(7)
        rows = []

        def ev(t, scope, sub, address, frm, to, reason, target="payments"):
            rows.append((t, target, scope, sub, address, frm, to, reason))

        pay = [f"127.0.0.1:{p.port}" for p in self.pay]
        subs = {101: pay[0], 102: pay[1], 103: pay[2]}
        ev(start, "channel", None, None, "IDLE", "CONNECTING", "resolving " + ",".join(pay))
        for sid, addr in subs.items():
            ev(start + 1000, "subchannel", sid, addr, "IDLE", "CONNECTING", "connect requested")
            ev(start + 9000, "subchannel", sid, addr, "CONNECTING", "READY", "health: SERVING")
        ev(start + 9100, "channel", None, None, "CONNECTING", "READY", "subchannel 101 READY: health: SERVING")
        # -50 min: a GOAWAY on 101, reconnected at once.
        t = now - 50 * 60 * 1_000_000
        ev(t, "subchannel", 101, subs[101], "READY", "IDLE", "GOAWAY (NO_ERROR)")
        ev(t + 2000, "subchannel", 101, subs[101], "IDLE", "CONNECTING", "connect requested")
        ev(t + 40000, "subchannel", 101, subs[101], "CONNECTING", "READY", "health: SERVING")
        # 103's health check flaps NOT_SERVING a few times.
        for minutes in (44, 27, 12):
            t = now - minutes * 60 * 1_000_000 + rng.randrange(0, 30_000_000)
            ev(t, "subchannel", 103, subs[103], "READY", "TRANSIENT_FAILURE", "health check failed: NOT_SERVING")
            back = t + rng.randrange(60, 240) * 1_000_000
            ev(back, "subchannel", 103, subs[103], "TRANSIENT_FAILURE", "READY", "health: SERVING")
        # -36 min: the whole backend pool goes away for about 3 minutes.
        t = now - 36 * 60 * 1_000_000
        for i, (sid, addr) in enumerate(subs.items()):
            ev(t + i * 400_000, "subchannel", sid, addr, "READY", "IDLE", "connection reset")
            ev(t + i * 400_000 + 1000, "subchannel", sid, addr, "IDLE", "CONNECTING", "connect requested")
            ev(t + i * 400_000 + 3000, "subchannel", sid, addr, "CONNECTING", "TRANSIENT_FAILURE", "connection refused")
        ev(t + 800_100, "channel", None, None, "READY", "CONNECTING", "no READY subchannel")
        ev(t + 803_500, "channel", None, None, "CONNECTING", "TRANSIENT_FAILURE", "all subchannels in TRANSIENT_FAILURE")
        back = t + 190 * 1_000_000
        for i, (sid, addr) in enumerate(subs.items()):
            ev(back + i * 900_000, "subchannel", sid, addr, "TRANSIENT_FAILURE", "CONNECTING", "backoff elapsed")
            ev(back + i * 900_000 + 12_000, "subchannel", sid, addr, "CONNECTING", "READY", "health: SERVING")
        ev(back + 12_100, "channel", None, None, "TRANSIENT_FAILURE", "READY", "subchannel 101 READY: health: SERVING")
        # The earlier run stops: SHUTDOWN for everything.
        for sid, addr in subs.items():
            ev(end, "subchannel", sid, addr, "READY", "SHUTDOWN", "service stopping")
        ev(end + 10, "channel", None, None, "READY", "SHUTDOWN", "service stopping")
        # legacy-auth has been refusing connections all along.
        t = start
        state = "IDLE"
        ev(t, "channel", None, None, "IDLE", "CONNECTING", "resolving", target="legacy-auth")
        ev(t + 2000, "channel", None, None, "CONNECTING", "TRANSIENT_FAILURE", "connection refused", target="legacy-auth")
        ev(end + 10, "channel", None, None, "TRANSIENT_FAILURE", "SHUTDOWN", "service stopping", target="legacy-auth")

        rows.sort(key=lambda r: r[0])
        # The schema of migrations/0002: target names interned in history_targets, scope and states as codes,
        # each (subchannel, target) pair in history_subchannels.
        scopes = {"channel": 0, "subchannel": 1}
        states = {"IDLE": 0, "CONNECTING": 1, "READY": 2, "TRANSIENT_FAILURE": 3, "SHUTDOWN": 4}
        con = sqlite3.connect(db)
        with con:
            for name in sorted({r[1] for r in rows}):
                con.execute("INSERT OR IGNORE INTO history_targets (name) VALUES (?)", (name,))
            ids = dict(con.execute("SELECT name, id FROM history_targets"))
            con.executemany("INSERT INTO events (ts, target_id, scope, subchannel, address, from_state, to_state, reason) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [(t, ids[target], scopes[scope], sub, address, states[frm], states[to], reason)
                             for (t, target, scope, sub, address, frm, to, reason) in rows])
            con.execute("INSERT OR REPLACE INTO history_subchannels (subchannel, target_id, last_id) "
                        "SELECT subchannel, target_id, max(id) FROM events WHERE subchannel IS NOT NULL "
                        "GROUP BY subchannel, target_id")
            first, last, max_ts = con.execute("SELECT min(id), max(id), max(ts) FROM events").fetchone()
            con.execute("INSERT INTO event_batches (first_id, last_id, max_ts) VALUES (?, ?, ?)", (first, last, max_ts))
        con.close()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "screenshots")
    browser = chromium()
    if browser is None:
        print("screenshots: chromium not found (apt-get install -y chromium)", file=sys.stderr)
        return 1
    os.makedirs(out, exist_ok=True)
    with SeededEnv(verbose=os.environ.get("VERBOSE") == "1") as env:
        env.scenario()
        time.sleep(2)
        dashboard = os.path.join(out, "dashboard.png")
        target = os.path.join(out, "target.png")
        screenshot(browser, env.base + "/", dashboard, width=1360, height=1160)
        screenshot(browser, env.base + "/ui/targets/payments", target, width=1360, height=1900)
    print(dashboard)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
