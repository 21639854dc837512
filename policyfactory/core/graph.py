"""`graph`: a picture of the sharing in a model file (Graphviz DOT, or SVG/PNG/PDF when `dot` is installed).

Layers are boxes holding their slots; each sharing group is one component node
with an edge to every slot it serves, green where the policy allows the group
and red where it refuses it. Built from the same `Plan` rows as `explain`.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from .findings import Finding, InvalidInput
from .rules.tools import OUTPUT_PATH

ALLOWED, DENIED, FRESH = "#2e7d32", "#c62828", "#9e9e9e"


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def slot_id(row: dict[str, Any]) -> str:
    return f"slot:{row['layer']}.{row['arg']}"


def group_id(label: str) -> str:
    return f"group:{label}"


def to_dot(rows: list[dict], title: str) -> str:
    lines = [f"digraph {_q(title)} {{", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];', f"  label={_q(title)}; labelloc=t;"]
    layers: dict[str, list[dict]] = {}
    for r in rows:
        if r["class_name"] is not None:
            layers.setdefault(r["layer"], []).append(r)
    for i, (layer, slots) in enumerate(layers.items()):
        lines.append(f"  subgraph {_q(f'cluster_{i}')} {{")
        title = f"{layer} ({slots[0]['layer_type']})"
        lines.append(f"    label={_q(title)}; style=rounded; color=\"#607d8b\";")
        for r in slots:
            color = FRESH if not r["group"] else (ALLOWED if r["verdict"] == "allowed" else DENIED)
            seed = f"\nseed {r['seed']}" if r["seed"] is not None else ("\nseed random" if r["random"] else "")
            lines.append(f"    {_q(slot_id(r))} [shape=box, color={_q(color)}, "
                         f"label={_q(r['arg'] + chr(10) + r['class_name'] + seed)}];")
        lines.append("  }")
    groups: dict[str, list[dict]] = {}
    for r in rows:
        if r["group"]:
            groups.setdefault(r["group"], []).append(r)
    for label, members in groups.items():
        allowed = members[0]["verdict"] == "allowed"
        color = ALLOWED if allowed else DENIED
        text = f"{label}\n{members[0]['kind']} {members[0]['class_name']}\n{members[0]['verdict']} by {members[0]['decided_by']}"
        lines.append(f"  {_q(group_id(label))} [shape=ellipse, style=filled, fillcolor=\"#ffffff\", "
                     f"color={_q(color)}, penwidth=2, label={_q(text)}];")
        for r in members:
            lines.append(f"  {_q(group_id(label))} -> {_q(slot_id(r))} [color={_q(color)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_text: str, fmt: str, output: str = "<graph>") -> bytes | None:
    """Rendered bytes from Graphviz, or None when `dot` is not on the PATH; `InvalidInput` when it fails."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InvalidInput(Finding(output, 1, 1, OUTPUT_PATH, f"Graphviz 'dot' did not run: {exc}")) from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InvalidInput(Finding(output, 1, 1, OUTPUT_PATH,
                                   f"Graphviz 'dot -T{fmt}' failed: {err[0] if err else f'exit {done.returncode}'}"))
    return done.stdout
