"""The one YAML loader: safe values, marks, YAML 1.2 numbers, limits."""

import pytest

from policyfactory.core.findings import InvalidInput
from policyfactory.core.yamlload import Limits, load_bytes, load_file, load_text


def one_finding(fn, *a, **k):
    with pytest.raises(InvalidInput) as ei:
        fn(*a, **k)
    assert len(ei.value.findings) == 1
    return ei.value.findings[0]


def test_yaml12_scalars_and_strings_that_yaml11_would_convert():
    doc = load_text("a: 1e-4\nb: no\nc: 1:30\nd: 0777\ne: 2024-01-01\nf: on\ng: 0o17\nh: ~\ni: 'yes'\n")
    v = doc.value
    assert v["a"] == pytest.approx(1e-4) and isinstance(v["a"], float)
    assert v["b"] == "no" and v["f"] == "on"
    assert v["c"] == "1:30" and v["d"] == "0777" and v["e"] == "2024-01-01"
    assert v["g"] == 15 and v["h"] is None and v["i"] == "yes"


def test_marks_point_at_values_and_keys():
    doc = load_text("top:\n  items:\n    - alpha\n    - beta\n")
    assert doc.mark(("top", "items", 1)) == (4, 7)
    assert doc.key_mark(("top", "items")) == (2, 3)
    assert doc.mark(("top", "items", 5, "deeper")) == (3, 5)  # nearest recorded parent: the list


def test_python_tags_are_refused_before_anything_is_built(tmp_path):
    marker = tmp_path / "ran"
    text = f"x: !!python/object/apply:os.system ['touch {marker}']\n"
    f = one_finding(load_text, text, "p.yaml")
    assert f.rule == "yaml-tag" and (f.line, f.column) == (1, 4)
    assert not marker.exists()


@pytest.mark.parametrize("text,rule,line", [
    ("a: 1\nb:\n  c: 1\n  c: 2\n", "yaml-duplicate-key", 4),
    ("base: &b {x: 1}\nm:\n  <<: *b\n  y: 1\n  y: 2\n", "yaml-duplicate-key", 5),
    ("a: 1\n---\nb: 2\n", "yaml-multiple-documents", 2),
    ("", "yaml-empty", 1),
    ("# only a comment\n", "yaml-empty", 1),
    ("a: [1, 2\n", "yaml-syntax", 2),
    ("a: &x [*x]\n", "yaml-alias", 1),
    ("a: *nope\n", "yaml-alias", 1),
    ("? [1]\n: 2\n", "yaml-key", 1),
])
def test_hazards_are_one_finding_with_a_line(text, rule, line):
    f = one_finding(load_text, text, "h.yaml")
    assert f.rule == rule and f.line == line and f.file == "h.yaml"


def test_merge_keys_merge_and_explicit_keys_win():
    doc = load_text("base: &b {x: 1, y: 1}\nm:\n  <<: *b\n  y: 2\n")
    assert doc.value["m"] == {"x": 1, "y": 2}


def test_alias_copies_are_independent_values():
    doc = load_text("a: &a {k: [1]}\nb: *a\n")
    doc.value["a"]["k"].append(2)
    assert doc.value["b"] == {"k": [1]}


def test_billion_laughs_is_refused_fast_before_expansion():
    lol = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    assert len(lol.encode()) < 400
    f = one_finding(load_text, lol, "bomb.yaml")
    assert f.rule == "limit-nodes" and "alias expansion" in f.message
    # refused before expansion: nothing near the limit was ever built (time: benchmarks/)


def test_depth_limit():
    f = one_finding(load_text, "[" * 200 + "]" * 200, "deep.yaml")
    assert f.rule == "limit-depth"


def test_file_level_errors(tmp_path):
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"a: 1\nb: \x00\n")
    assert one_finding(load_file, str(nul)).rule == "yaml-encoding"
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"a: caf\xe9\n")
    f = one_finding(load_file, str(bad))
    assert f.rule == "yaml-encoding" and (f.line, f.column) == (1, 7)
    assert one_finding(load_file, str(tmp_path / "missing.yaml")).rule == "file-unreadable"
    assert one_finding(load_file, str(tmp_path)).rule == "file-unreadable"
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 2000 + "\n")
    assert one_finding(load_file, str(big), Limits(max_bytes=1000)).rule == "limit-file-size"


def test_node_limit_counts_expanded_aliases():
    text = "a: &a [1,2,3,4,5,6,7,8,9,10]\nb: [*a, *a, *a]\n"
    assert load_text(text).value["b"][2][9] == 10
    assert one_finding(load_text, text, "n.yaml", Limits(max_nodes=30)).rule == "limit-nodes"


def test_bom_is_accepted():
    assert load_bytes(b"\xef\xbb\xbfa: 1\n", "bom.yaml").value == {"a": 1}


@pytest.mark.parametrize(("text", "col"), [('name: "\\UFFFFFFFF"\n', 8), ('name:   "ab\\U0011FFFF"\n', 12)])
def test_an_escape_past_unicode_is_a_located_finding_with_pure_python_pyyaml(monkeypatch, text, col):
    """Found by an attack pass: PyYAML's pure-Python scanner (used where libyaml is not installed) raises
    OverflowError or ValueError on such an escape, which ended in an internal error; libyaml reports it as YAML."""
    import yaml

    from policyfactory.core import yamlload

    for loader in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        monkeypatch.setattr(yamlload, "_Loader", loader)
        with pytest.raises(yamlload.InvalidInput) as err:
            yamlload.load_text("kind: model\n" + text, "m.yaml")
        [finding] = err.value.findings
        assert finding.rule == "yaml-syntax" and finding.line == 2
        if loader is yaml.SafeLoader:
            assert finding.column == col and "no Unicode character" in finding.message
