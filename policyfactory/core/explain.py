"""`explain`: every slot of a model file, its component, seed and sharing group with the verdict.

Computed from the file alone by the same `Planner` the factory builds with, so
the seeds shown are the seeds the build uses (when the file sets `seed:`).
"""

from __future__ import annotations

import json

from .findings import Finding
from .validate import validate_path
from .yamlload import DEFAULT_LIMITS, Limits

COLUMNS = ("layer", "arg", "component", "seed", "group", "verdict")


def _component(row) -> str:
    if row["class_name"] is None:
        return "-"
    extra = {k: v for k, v in row["config"].items() if k != "seed"}
    args = ", ".join(f"{k}={v!r}" for k, v in extra.items())
    return f"{row['class_name']}({args})"


def _seed(row, reproducible: bool) -> str:
    if row["seed"] is None:
        return "-"
    if row["seed_source"] in ("derived",) and not reproducible:
        return "random (no seed:)"
    return f"{row['seed']} ({row['seed_source']})"


def rows_for(planner, reproducible: bool) -> list[dict]:
    return [dict(r, component=_component(r), seed_text=_seed(r, reproducible)) for r in planner.report()]


def render_table(rows: list[dict]) -> str:
    cells = [("layer", "slot", "component", "seed", "sharing group", "verdict")]
    for r in rows:
        group = f"{r['group']} ({r['group_size']} slots)" if r["group"] else "-"
        verdict = r["verdict"] + (f" by {r['decided_by']}" if r["decided_by"] else "")
        cells.append((r["layer"], r["arg"], r["component"], r["seed_text"], group, verdict))
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(cells[0]))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def explain_path(path: str, *, policy=None, fmt: str = "text", limits: Limits = DEFAULT_LIMITS) -> tuple[list[Finding], str]:
    result = validate_path(path, policy=policy, limits=limits, expect="model")
    if result.planner is None:
        return result.findings, ""
    reproducible = result.spec.seed is not None
    rows = rows_for(result.planner, reproducible)
    if fmt == "json":
        keep = ("layer", "layer_type", "arg", "kind", "role", "class_name", "config", "seed", "seed_source",
                "group", "group_size", "verdict", "decided_by")
        out = {"model": result.spec.name, "policy": result.policy.name,
               "slots": [{k: r[k] for k in keep} for r in rows],
               "findings": [f.as_json() for f in result.findings]}
        return result.findings, json.dumps(out, indent=2)
    head = f"model '{result.spec.name}' under policy '{result.policy.name}'"
    return result.findings, head + "\n" + render_table(rows)
