"""Turns history-bench's `BENCH {json}` lines (stdin) into table rows."""
import json
import sys

import lib

seen = set()
for line in sys.stdin:
    if not line.startswith("BENCH "):
        continue
    r = json.loads(line[len("BENCH "):])
    seen.add(r["figure"])
    if r["figure"] == "ingest":
        writer, bare, ratio = r["writer_eps"], r["bare_eps"], r["ratio"]
        lib.row(f"history ingest, {r['events']:,} events, {r['targets']:,} targets (median of {r['rounds']})",
                f"{writer:,.0f} events/s (HistoryWriter)", f"{bare:,.0f} events/s (bare batched insert, same schema)",
                ratio, ">= 150,000 events/s and ratio >= 0.8", lib.verdict(writer >= 150_000 and ratio >= 0.8))
    elif r["figure"] == "query":
        pressure = r.get("cpu_pressure_pct", -1)
        busy = f"; machine CPU pressure {pressure:.0f}%" if pressure >= 0 else ""
        lib.row(f"history: one target's newest 1,000 of {r['rows']:,} rows while ingesting "
                f"({r['offered_eps']:,} offered, {r['ingest_eps']:,.0f} committed events/s{busy})",
                f"p50 {r['newest_p50_ms']:.2f} ms, p99 {r['newest_p99_ms']:.2f} ms", "", None,
                "p99 < 20 ms", lib.verdict(r["newest_p99_ms"] < 20))
        lib.row("history: same, API form (target + since, 1,000 rows)",
                f"p50 {r['since_p50_ms']:.2f} ms, p99 {r['since_p99_ms']:.2f} ms", "", None, "none stated", "")
for figure in ("ingest", "query"):
    if figure not in seen:
        sys.exit(f"history-bench printed no {figure} figure")
