"""A folder of many files: checked on every core (core/parallel.py) and each policy read once (core/policy.py's
memo). Both are only faster: the findings, their order and what an edited policy says must not change."""

import os
import shutil

import pytest
from conftest import EXAMPLES, TIED_MODEL, run_cli

from policyfactory.core import parallel
from policyfactory.core.validate import check_path, check_paths

TEAM = """kind: policy
version: 1
name: team
defaults: {{initializer: {share}, regularizer: deny, constraint: deny}}
"""


@pytest.fixture
def folder(tmp_path):
    """40 model files naming one policy that allows initializer sharing; every fifth has an error of its own."""
    (tmp_path / "team.yaml").write_text(TEAM.format(share="allow"))
    for i in range(40):
        units = "four" if i % 5 == 0 else 2
        (tmp_path / f"m{i:02d}.yaml").write_text(TIED_MODEL.format(name=f"m{i}", policy="./team.yaml", units=units))
    return tmp_path


def _paths(folder):
    return sorted(str(p) for p in folder.glob("m*.yaml"))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forking is POSIX only")
def test_files_checked_in_forked_processes_give_what_one_process_gives(folder):
    paths = _paths(folder)
    one = [check_path(p) for p in paths]
    shared = parallel.map_forked(lambda p: check_path(p), paths, workers=3)
    assert [r.findings for r in shared] == [r.findings for r in one]
    assert [r.summary for r in shared] == [r.summary for r in one]
    assert sum(bool(r.findings) for r in shared) == 8  # the 8 files with an error, each at its own line
    assert all(f.file.endswith(("m00.yaml", "m05.yaml", "m10.yaml", "m15.yaml", "m20.yaml", "m25.yaml",
                                "m30.yaml", "m35.yaml")) and f.line == 11 for r in shared for f in r.findings)
    assert [r.findings for r in check_paths(paths)] == [r.findings for r in one]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forking is POSIX only")
def test_a_child_that_fails_has_its_share_checked_again_here(tmp_path):
    """A child that dies (here: its share raises) costs time, not results: the parent checks that share itself,
    and an error the share really raises is raised here, as without forking."""
    parent = os.getpid()
    marker = tmp_path / "child-ran"

    def fragile(x):
        if os.getpid() != parent:
            marker.write_text("yes")
            raise RuntimeError("only in the child")
        return x * 2

    assert parallel.map_forked(fragile, list(range(10)), workers=2) == [x * 2 for x in range(10)]
    assert marker.read_text() == "yes"  # the child did run, and failed
    with pytest.raises(ZeroDivisionError):
        parallel.map_forked(lambda x: 1 // (x - 7), list(range(10)), workers=2)


def test_the_cli_reports_a_folder_as_a_sequential_run_would(folder):
    """Through the CLI (which forks for 40 files on a machine with several cores): the findings of the files in
    error, sorted, and an ok line for each of the others."""
    r = run_cli("validate", ".", cwd=str(folder))
    assert r.returncode == 2, r.stderr
    errors = [line for line in r.stdout.splitlines() if " error " in line]
    assert [e.split(":")[0] for e in errors] == [f"./m{i:02d}.yaml" for i in range(0, 40, 5)]
    assert all(":11:" in e and "'four'" in e for e in errors)
    oks = [line for line in r.stdout.splitlines() if ": ok, model" in line]
    assert len(oks) == 32 and oks == sorted(oks)


def test_a_policy_edited_between_two_checks_is_read_again(folder):
    """The memo of resolved policies is checked against the files on every use: an edit to the policy, or to a
    policy it extends, is seen by the next check in the same process, even an edit that keeps the size."""
    model = str(folder / "m01.yaml")
    assert check_path(model).findings == []
    team = folder / "team.yaml"
    team.write_text(TEAM.format(share="deny "))  # the same size: the modification time tells
    assert [f.rule for f in check_path(model).findings] == ["sharing-violation"]
    base = folder / "base.yaml"
    base.write_text("kind: policy\nversion: 1\nname: base\ndefaults: {initializer: allow}\n")
    team.write_text("kind: policy\nversion: 1\nname: team\nextends: ./base.yaml\n")
    assert check_path(model).findings == []
    base.write_text("kind: policy\nversion: 1\nname: base\ndefaults: {initializer: deny}\n")
    assert [f.rule for f in check_path(model).findings] == ["sharing-violation"]


def test_a_policy_removed_between_two_checks_is_missed(folder):
    model = str(folder / "m01.yaml")
    assert check_path(model).findings == []
    os.remove(folder / "team.yaml")
    assert [f.rule for f in check_path(model).findings] == ["policy-unknown"]


def test_the_examples_copied_five_times_give_five_times_their_report(tmp_path):
    """The shipped examples (their policies built-in names) copied 5 times: each ok line and each violation of the
    examples alone, 5 times."""
    alone = run_cli("validate", EXAMPLES)
    for k in range(5):
        shutil.copytree(EXAMPLES, tmp_path / f"copy{k}")
    many = run_cli("validate", str(tmp_path))
    assert alone.returncode == many.returncode == 1, many.stdout + many.stderr  # shared_he_normal.yaml: a violation
    for what in (": ok, ", " error sharing-violation: "):
        n_alone = sum(what in line for line in alone.stdout.splitlines())
        assert n_alone and sum(what in line for line in many.stdout.splitlines()) == 5 * n_alone


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forking is POSIX only")
def test_no_child_can_be_started_and_the_parent_checks_every_share(tmp_path):
    """Found by an attack pass: with the process or file limit reached, os.fork or os.pipe raised, and a folder of
    32 files or more ended in an internal error (a run served from the cache forks nothing and succeeded). Here the
    file limit is set to the files already open, so the pipe of every child fails, for real."""
    import subprocess
    import sys

    code = ("import os, resource\nfrom policyfactory.core import parallel\n"
            "n = len(os.listdir('/proc/self/fd')) if os.path.isdir('/proc/self/fd') else 16\n"
            "resource.setrlimit(resource.RLIMIT_NOFILE, (n, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
            "print(parallel.map_forked(lambda x: x * 2, list(range(40)), workers=3) == [x * 2 for x in range(40)])\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "True", r.stdout + r.stderr
