"""Turns PrometheusEmitBench's JSON lines (stdin) into table rows."""
import json
import sys

import lib

for line in sys.stdin:
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    same = r["ccpool_samples"] == r["reference_samples"] and r["ccpool_families"] == r["reference_families"]
    note = "same series" if same else "SERIES DIFFER"
    lib.row(f"/metrics render, {r['label']} series (text format), median of {r['rounds']}",
            f"{r['ccpool_ms']:.2f} ms ({r['ccpool_samples']:,} samples, {r['ccpool_bytes']:,} B)",
            f"{r['reference_ms']:.2f} ms (swift-prometheus 2.4.1 emit; {r['reference_samples']:,} samples, "
            f"{r['reference_bytes']:,} B; {note})",
            r["reference_ms"] / r["ccpool_ms"],
            # The goal: rendering 100,000 series at least 2x faster than swift-prometheus, same run.
            "ratio >= 2 (ratio = reference time / ccpool time)" if r["label"] == "100k"
            else "none stated (ratio = reference time / ccpool time)",
            lib.verdict(same and r["reference_ms"] / r["ccpool_ms"] >= 2) if r["label"] == "100k" else "")
