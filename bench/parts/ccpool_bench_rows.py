"""Turns ccpool-bench's JSON lines (stdin) into table rows."""
import json
import sys

import lib

for line in sys.stdin:
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    ratio = float(r["ratio"])
    if r["unit"] == "picks/s":
        goal, verdict = "ratio >= 0.33 (within 3x of the floor)", lib.verdict(ratio >= 0.33)
    else:
        goal, verdict = "none stated", ""
    lib.row(r["figure"], f"{r['ccpool']:,} {r['unit']}", f"{r['reference']:,} ({r['reference_name']})",
            ratio, goal, verdict)
