"""`explain`: every slot of a model file, its component, seed and sharing group with the verdict.

Read from the one `Plan` that `validate` judges and `build` instantiates, so
the seeds shown are the seeds the build uses: numbers when the file sets
`seed:`, "random" (drawn once per build) when it does not.

    >>> import json
    >>> findings, text = explain_path("examples/forecaster.yaml", fmt="json")
    >>> doc = json.loads(text)
    >>> doc["seed"], doc["slots"][0]["arg"], doc["slots"][0]["seed_source"]
    (7, 'kernel_initializer', 'derived')
"""

from __future__ import annotations

import json
from typing import Any

from .findings import Finding, sorted_findings
from .plan import Plan
from .text import escape, shown
from .validate import PolicyArg, ValidationResult, check_path
from .yamlload import DEFAULT_LIMITS, Limits

JSON_KEYS = ("layer", "layer_type", "arg", "kind", "role", "class_name", "config", "seed", "seed_source",
             "projection_seeds", "random", "group", "group_size", "verdict", "decided_by")


def _component(row: dict[str, Any]) -> str:
    extra = {k: v for k, v in row["config"].items() if k != "seed"}
    args = ", ".join(f"{k}={v!r}" for k, v in extra.items())
    return f"{row['class_name']}({args})"


def seed_text(row: dict[str, Any]) -> str:
    """How a slot's seed reads: a number with its source, 'random per build', or '-' (deterministic)."""
    if row["seed"] is None:
        return "random per build (no seed:)" if row["random"] else "-"
    projections = row.get("projection_seeds")
    return f"{row['seed']} ({row['seed_source']}" + (f"; projections {', '.join(map(str, projections))})"
                                                     if projections else ")")


def rows_for(plan: Plan) -> list[dict[str, Any]]:
    """The plan's rows with the text columns explain and graph show."""
    rows = plan.rows()
    for r in rows:
        r["component"] = _component(r)
        r["seed_text"] = seed_text(r)
    return rows


def render_table(rows: list[dict[str, Any]]) -> str:
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


def explain_path(path: str, *, policy: PolicyArg = None, fmt: str = "text", limits: Limits = DEFAULT_LIMITS,
                 allow_outside: bool = False, data: bytes | None = None, policy_origin: str = ""
                 ) -> tuple[list[Finding], str]:
    """(findings, output): the table (text) or document (JSON) of a model file's plan.

    An invalid file has no plan: text output is empty (the caller prints the
    findings), JSON output is `{"findings": [...]}`.
    """
    result = check_path(path, policy=policy, limits=limits, expect="model", allow_outside=allow_outside, data=data,
                        policy_origin=policy_origin)
    findings = sorted_findings(result.findings)
    if fmt == "json":
        return findings, json.dumps(explain_document(path, result, findings), indent=2)
    if result.plan is None or result.spec is None:
        return findings, ""
    head = f"model {shown(result.spec.name)} under policy {result.plan.policy.title}"
    if result.spec.seed is None:
        head += " (no seed: derived seeds are drawn once per build)"
    calls = "".join(f"\nlayer {shown(layer)} is called {len(again) + 1} times (one set of weights): first as "
                    f"{shown(layer)}, then as {', '.join(shown(a) for a in again)}"
                    for layer, again in result.spec.calls().items())
    return findings, head + calls + "\n" + render_table(rows_for(result.plan))


def explain_document(path: str, result: ValidationResult, findings: list[Finding]) -> dict[str, Any]:
    """The JSON document of one checked model file: its slots and groups, or only its findings."""
    if result.plan is None or result.spec is None:
        return {"file": escape(path), "findings": [f.as_json() for f in findings]}
    rows = rows_for(result.plan)
    return {"file": escape(path), "model": result.spec.name, "policy": result.plan.policy.name,
            "seed": result.spec.seed,
            "calls": {layer: [layer, *again] for layer, again in result.spec.calls().items()},
            "slots": [{k: r[k] for k in JSON_KEYS} for r in rows],
            "groups": [{"label": g.label, "kind": g.kind, "class_name": g.class_name,
                        "slots": [s.label() for s in g.slots], "verdict": g.word(),
                        "decided_by": g.verdict.decided_by, "allow_reason": g.suppressed_by}
                       for g in result.plan.sharing_groups()],
            "findings": [f.as_json() for f in findings]}
