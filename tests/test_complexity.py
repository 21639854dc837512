"""No function of the package over cyclomatic complexity 20, by radon's measure (ruff's C901 counts no boolean
operators, so it lets through functions radon, and a reader, find too branchy)."""

import os

import pytest
from conftest import ROOT

radon = pytest.importorskip("radon.complexity")

LIMIT = 20


def test_no_function_over_the_complexity_limit():
    over = []
    for folder, _, files in os.walk(os.path.join(ROOT, "policyfactory")):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as fh:
                    blocks = radon.cc_visit(fh.read())
                over += [f"{os.path.relpath(path, ROOT)}:{b.lineno} {b.fullname} {b.complexity}"
                         for b in blocks if b.complexity > LIMIT]
    assert not over, over


def test_the_measure_sees_branches():
    """The check can fail: a function with 21 branches is over the limit."""
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(21))
    (block,) = radon.cc_visit(f"def f(x):\n{body}    return -1\n")
    assert block.complexity > LIMIT
