"""The documentation (issue 22, Docs): the rule pages are what the registry gives, every rule is in the
site's nav and rules index, every relative link resolves, and the README stays a five-minute introduction."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from policyfactory.core.rules import RULES

ROOT_PATH = Path(ROOT)
DOCS = ROOT_PATH / "docs"
README_MAX_LINES = 300


def _generator():
    spec = importlib.util.spec_from_file_location("gen_rule_docs", ROOT_PATH / "scripts" / "gen_rule_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_rule_pages_are_what_the_registry_generates(tmp_path):
    gen = _generator()
    gen.write(tmp_path)
    fresh = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.md")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in (DOCS / "rules").glob("*.md")}
    assert sorted(fresh) == sorted(committed), "run: python scripts/gen_rule_docs.py"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"out of date (run: python scripts/gen_rule_docs.py): {stale}"
    assert set(fresh) == {"index.md"} | {f"{r}.md" for r in RULES}


def test_generator_check_mode_agrees():
    proc = subprocess.run([sys.executable, "scripts/gen_rule_docs.py", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def _nav_pages(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _nav_pages(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _nav_pages(value)


def test_nav_and_rules_index_list_every_rule():
    config = yaml.safe_load((ROOT_PATH / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["name"] == "material" and config.get("strict") is True
    pages = list(_nav_pages(config["nav"]))
    assert len(pages) == len(set(pages)), "a page is listed twice in the nav"
    for rule in RULES:
        assert f"rules/{rule}.md" in pages, f"mkdocs.yml nav lacks rule {rule}"
    index = (DOCS / "rules" / "index.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"[`{rule}`]({rule}.md)" in index, f"docs/rules/index.md lacks rule {rule}"
    # every page of docs/ is in the nav (mkdocs --strict warns too, but only where mkdocs is installed)
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert on_disk == set(pages), f"in docs/ but not in the nav: {sorted(on_disk - set(pages))}; " \
                                  f"in the nav but missing: {sorted(set(pages) - on_disk)}"


_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _relative_links(path: Path):
    text = _CODE.sub("", _FENCE.sub("", path.read_text(encoding="utf-8")))
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL (http:, mailto:) or an anchor on the same page
        yield target


def _markdown_files():
    return [ROOT_PATH / "README.md", *sorted(DOCS.rglob("*.md"))]


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: p.relative_to(ROOT_PATH).as_posix())
def test_every_relative_link_resolves(path):
    broken = []
    for target in _relative_links(path):
        file_part = target.split("#", 1)[0]
        if not (path.parent / file_part).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT_PATH)}: links to missing files: {broken}"


def test_readme_is_a_five_minute_introduction():
    lines = (ROOT_PATH / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move the detail into docs/"
    text = "\n".join(lines)
    for heading in ("## Install", "## Quick start", "## Commands", "## Documentation"):
        assert heading in text
    # every command the CLI has is in the README's table
    for command in ("validate", "explain", "graph", "build", "audit", "export", "rules", "config", "declare", "schema"):
        assert f"| `{command}" in text, command
    # install lines are true for a clone: no install from an index, a pre-commit rev that is a commit hash
    assert "pip install policyfactory" not in text and "pip install 'policyfactory[" not in text
    revs = re.findall(r"^\s*rev:\s*(\S+)", text, re.M)
    assert revs and all(re.fullmatch(r"[0-9a-f]{40}", r) for r in revs), revs


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    assert (tmp_path / "site" / "rules" / "sharing-violation" / "index.html").exists()
