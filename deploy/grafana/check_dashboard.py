#!/usr/bin/env python3
"""Checks deploy/grafana/ccpool.json without a Grafana server.

1. Structure Grafana relies on: unique panel ids, gridPos inside the 24-column grid without overlaps,
   every query with an expr and a unique refId per panel, every $variable used is defined, the data
   source is the dashboard's variable, the panels the README lists are there.
2. Grafana's own typed model: the dashboard is decoded with grafana-foundation-sdk (its classes are
   generated from Grafana's schemas: dashboard, each panel kind's options, the Prometheus query) and
   encoded again; every field of the file must survive. A field the schema does not know, or one put
   where the schema does not expect it, is dropped by the decoder and reported here.

Run: python3 deploy/grafana/check_dashboard.py [FILE]. Exit 1 on any problem.
"""
import json
import re
import sys
from pathlib import Path

DASHBOARD = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("ccpool.json")
# What an operator looks for first (the fleet) and for one target.
REQUIRED_PANELS = [
    "Channels by state", "State transitions per second", "Disconnections by reason", "Connection attempts",
    "History queue depth", "History writes and drops", "Scrape duration", "Channel state: $target",
    "Subchannel states: $target",
]
BUILTIN_VARIABLES = {"__rate_interval", "__interval", "__range", "__name"}

problems: list[str] = []


def problem(message: str) -> None:
    problems.append(message)


def structure(d: dict) -> None:
    variables = {v["name"] for v in d.get("templating", {}).get("list", [])}
    ids = [p.get("id") for p in d["panels"]]
    if len(ids) != len(set(ids)) or None in ids:
        problem(f"panel ids must be unique and present: {ids}")
    titles = [p.get("title", "") for p in d["panels"]]
    for title in REQUIRED_PANELS:
        if title not in titles:
            problem(f"panel {title!r} is missing")
    cells: dict[tuple[int, int], str] = {}
    for p in d["panels"]:
        title = p.get("title", "?")
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] < 0 or g["x"] + g["w"] > 24 or g["h"] < 1:
            problem(f"{title}: gridPos {g} is not inside the 24-column grid")
            continue
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    problem(f"{title} overlaps {cells[(x, y)]} at column {x}, row {y}")
                    break
                cells[(x, y)] = title
            else:
                continue
            break
        text = json.dumps(p)
        for name in set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text)):
            if name not in variables and name not in BUILTIN_VARIABLES:
                problem(f"{title}: uses ${name}, which is not a dashboard variable")
        if p["type"] == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            problem(f"{title}: its data source must be the $datasource variable")
        targets = p.get("targets", [])
        if not targets:
            problem(f"{title}: no query")
        refs = [t.get("refId") for t in targets]
        if len(refs) != len(set(refs)):
            problem(f"{title}: refIds repeat: {refs}")
        for t in targets:
            if not isinstance(t.get("expr"), str) or not t["expr"].strip():
                problem(f"{title}: query {t.get('refId')} has no expr")


def missing(original, decoded, path: str = "") -> list[str]:
    """Paths of `original` that `decoded` lacks or changed."""
    if isinstance(original, dict):
        if not isinstance(decoded, dict):
            return [path or "/"]
        out = []
        for key, value in original.items():
            if key not in decoded:
                out.append(f"{path}/{key}")
            else:
                out += missing(value, decoded[key], f"{path}/{key}")
        return out
    if isinstance(original, list):
        if not isinstance(decoded, list) or len(decoded) != len(original):
            return [path]
        out = []
        for i, (a, b) in enumerate(zip(original, decoded)):
            out += missing(a, b, f"{path}[{i}]")
        return out
    return [] if original == decoded else [f"{path} ({original!r} became {decoded!r})"]


def schema(d: dict) -> None:
    try:
        from grafana_foundation_sdk.cog.encoder import JSONEncoder
        from grafana_foundation_sdk.cog.plugins import register_default_plugins
        from grafana_foundation_sdk.models.dashboard import Dashboard
    except ImportError:
        problem("grafana-foundation-sdk is not installed (pip install grafana-foundation-sdk)")
        return
    register_default_plugins()
    try:
        model = Dashboard.from_json(d)
    except Exception as error:  # the decoder raises whatever a wrong type makes it raise
        problem(f"Grafana's dashboard model cannot decode it: {type(error).__name__}: {error}")
        return
    decoded = json.loads(json.dumps(model, cls=JSONEncoder))
    for path in missing(d, decoded):
        problem(f"not in Grafana's dashboard schema (dropped or changed by its decoder): {path}")


def main() -> int:
    try:
        d = json.loads(DASHBOARD.read_text())
    except (OSError, json.JSONDecodeError) as error:
        print(f"{DASHBOARD}: {error}")
        return 1
    structure(d)
    schema(d)
    for p in problems:
        print(f"problem: {DASHBOARD.name}: {p}")
    queries = sum(len(p.get("targets", [])) for p in d["panels"])
    print(f"dashboard: {len(d['panels'])} panels, {queries} queries, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
