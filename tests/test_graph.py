"""`graph` writes DOT whose edges are exactly the sharing groups `explain` reports."""

import json
import os
import re
import shutil

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


def test_svg_falls_back_to_dot_without_graphviz_or_renders_with_it(tmp_path):
    out = tmp_path / "sharing.svg"
    r = run_cli("graph", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(out))
    assert r.returncode == 0
    if shutil.which("dot"):
        assert out.read_text().lstrip().startswith(("<?xml", "<svg"))
    else:
        assert (tmp_path / "sharing.dot").read_text().startswith("digraph")
        assert "not on the PATH" in r.stderr


def test_graph_of_an_invalid_file_writes_nothing(tmp_path, write):
    bad = write("bad.yaml", "kind: model\nversion: 1\ninput: {shape: [2]}\nlayers: [{type: Lambda}]\n")
    out = tmp_path / "g.dot"
    r = run_cli("graph", bad, "-o", str(out))
    assert r.returncode == 2 and not out.exists()
