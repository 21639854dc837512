"""`graph` writes DOT whose edges are exactly the sharing groups `explain` reports."""

import json
import os
import re
import shutil
import sys

import pytest
from conftest import EXAMPLES, run_cli

EDGE = re.compile(r'^\s*"group:(?P<group>(?:[^"\\]|\\.)*)" -> "slot:(?P<slot>[^"]+)" \[color="(?P<color>[^"]+)"\];$')


@pytest.mark.parametrize("name", ["forecaster", "shared_he_normal", "functional", "regularized"])
def test_dot_edges_match_explain(name, tmp_path):
    path = os.path.join(EXAMPLES, name + ".yaml")
    out = tmp_path / "sharing.dot"
    r = run_cli("graph", path, "-o", str(out))
    assert r.returncode in (0, 1) and out.exists(), r.stdout + r.stderr
    edges = set()
    for line in out.read_text().splitlines():
        m = EDGE.match(line)
        if m:
            edges.add((m["group"].replace("\\'", "'"), m["slot"], m["color"]))
    rows = json.loads(run_cli("explain", "--format", "json", path).stdout)["slots"]
    expected = {(row["group"], f"{row['layer']}.{row['arg']}", "#2e7d32" if row["verdict"] == "allowed" else "#c62828")
                for row in rows if row["group"]}
    assert edges == expected
    if name in ("forecaster", "shared_he_normal"):
        assert edges  # these examples do share something


def test_svg_renders_with_graphviz_and_without_it_is_a_finding_not_a_silent_dot(tmp_path):
    out = tmp_path / "sharing.svg"
    r = run_cli("graph", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(out))
    if shutil.which("dot"):
        assert r.returncode == 0 and out.read_text().lstrip().startswith(("<?xml", "<svg"))
    no_dot = {"PATH": os.path.dirname(sys.executable)}  # the venv's python, and no Graphviz
    r = run_cli("graph", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(tmp_path / "other.svg"), env=no_dot)
    assert r.returncode == 2 and "output-path" in r.stdout and "-o other.dot" in r.stdout
    assert list(tmp_path.iterdir()) == ([out] if out.exists() else [])  # nothing written


def test_graph_of_an_invalid_file_writes_nothing(tmp_path, write):
    bad = write("bad.yaml", "kind: model\nversion: 1\ninput: {shape: [2]}\nlayers: [{type: Lambda}]\n")
    out = tmp_path / "g.dot"
    r = run_cli("graph", bad, "-o", str(out))
    assert r.returncode == 2 and not out.exists()
