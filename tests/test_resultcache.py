"""The results cache (core/resultcache.py): a second run prints what the first did, and a result is used again only
while everything it depends on is unchanged. Every test here runs the real command on real files; the conftest gives
each test its own cache folder (POLICYFACTORY_CACHE_DIR)."""

import builtins
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import EXAMPLES, ROOT, TIED_MODEL, TIED_POLICY, run_cli

from policyfactory.core import resultcache
from policyfactory.core.backend import resolve_backend, use_backend
from policyfactory.core.findings import Finding
from policyfactory.core.result import ValidationResult
from policyfactory.core.safeio import recording_reads
from policyfactory.core.validate import check_path

CORPUS = os.path.join(ROOT, "tests", "corpus")

MODEL = TIED_MODEL.replace("{name}", "m").replace("{units}", "2")  # format(policy=...)


def _stores():
    return sorted(glob.glob(os.path.join(os.environ["POLICYFACTORY_CACHE_DIR"], "*.json")))


def _entries():
    out = {}
    for store in _stores():
        with open(store, encoding="utf-8") as fh:
            out.update(json.load(fh)["entries"])
    return out


def _same_run(first, second):
    assert (second.returncode, second.stdout, second.stderr) == (first.returncode, first.stdout, first.stderr)


@pytest.fixture
def project(tmp_path):
    """A project of 40 files: the examples, the built-in policies and the corpus of broken files (forked when
    checked, as a folder this size is), with a pyproject.toml so paths stay inside it."""
    (tmp_path / "pyproject.toml").write_text("")
    folder = tmp_path / "files"
    folder.mkdir()
    sources = sorted(glob.glob(os.path.join(EXAMPLES, "*.yaml")) + glob.glob(os.path.join(CORPUS, "*.yaml"))
                     + glob.glob(os.path.join(ROOT, "policies", "*.yaml")))
    for src in sources:
        shutil.copy(src, folder / f"{os.path.basename(os.path.dirname(src))}_{os.path.basename(src)}")
    assert len(sources) >= 32  # enough to be shared among the cores
    return tmp_path


def test_a_second_run_prints_what_the_first_did_and_reads_its_results_from_the_cache(project):
    first = run_cli("validate", "files", cwd=project)
    assert first.returncode == 2 and "files/corpus_deep_nesting.yaml:5:67: error limit-depth" in first.stdout
    stored = _entries()
    assert len(stored) >= 30 and all(k.startswith("files/") for k in stored)
    _same_run(first, run_cli("validate", "files", cwd=project))
    _same_run(first, run_cli("validate", "--no-cache", "files", cwd=project))
    # served from the cache: the checks (and PyYAML) are never imported when every result is known
    code = (f"import sys\nfrom policyfactory.cli import main\nmain(['validate', '-q', *{sorted(stored)!r}])\n"
            "print('LOADED', sorted(m for m in ('yaml', 'policyfactory.core.modelfile') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=project)
    assert "LOADED []" in r.stdout, r.stdout + r.stderr


def test_json_output_of_cached_results_is_the_same(project):
    first = run_cli("validate", "--format", "json", "files", cwd=project)
    second = run_cli("validate", "--format", "json", "files", cwd=project)
    assert json.loads(second.stdout) == json.loads(first.stdout) and second.stdout == first.stdout


def test_an_edited_file_is_checked_again_even_with_the_same_size_and_time(tmp_path):
    path = tmp_path / "m.yaml"
    fine = MODEL.format(policy="strict").replace("{shared: he}", "HeNormal")
    path.write_text(fine)
    assert run_cli("validate", "m.yaml", cwd=tmp_path).returncode == 0
    stamp = os.stat(path)
    path.write_text(fine.replace("units: 2", "units: 0"))  # as long
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert os.stat(path).st_size == stamp.st_size
    r = run_cli("validate", "m.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "m.yaml:11:" in r.stdout


def test_a_result_that_read_another_file_is_never_kept(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "team.yaml").write_text(TIED_POLICY)
    (tmp_path / "m.yaml").write_text(MODEL.format(policy="team.yaml"))
    assert run_cli("validate", "m.yaml", cwd=tmp_path).returncode == 0
    assert "m.yaml" not in _entries()
    (tmp_path / "team.yaml").write_text(TIED_POLICY.replace("share: allow", "share: deny"))
    r = run_cli("validate", "m.yaml", cwd=tmp_path)
    assert r.returncode == 1 and "sharing-violation" in r.stdout


def test_a_missing_policy_file_is_looked_for_again(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "m.yaml").write_text(MODEL.format(policy="team.yaml"))
    assert "names no built-in policy" in run_cli("validate", "m.yaml", cwd=tmp_path).stdout
    (tmp_path / "team.yaml").write_text(TIED_POLICY)
    assert run_cli("validate", "m.yaml", cwd=tmp_path).returncode == 0


def test_a_policy_file_on_the_command_line_is_read_again(tmp_path):
    (tmp_path / "team.yaml").write_text(TIED_POLICY)
    (tmp_path / "m.yaml").write_text(MODEL.format(policy="strict"))
    assert run_cli("validate", "--policy", "team.yaml", "m.yaml", cwd=tmp_path).returncode == 0
    (tmp_path / "team.yaml").write_text(TIED_POLICY.replace("share: allow", "share: deny"))
    assert run_cli("validate", "--policy", "team.yaml", "m.yaml", cwd=tmp_path).returncode == 1


def test_settings_and_arguments_make_another_run(tmp_path):
    (tmp_path / "m.yaml").write_text(MODEL.format(policy="strict"))
    assert run_cli("validate", "m.yaml", cwd=tmp_path).returncode == 1
    (tmp_path / "policyfactory.toml").write_text('policy = "stateless"\n')
    r = run_cli("validate", "m.yaml", cwd=tmp_path)
    assert r.returncode == 1 and "policy 'stateless'" in r.stdout
    (tmp_path / "policyfactory.toml").unlink()
    assert run_cli("validate", "--policy", "recurrent", "m.yaml", cwd=tmp_path).returncode == 1
    assert run_cli("validate", "--max-bytes", "100", "m.yaml", cwd=tmp_path).returncode == 2
    r = run_cli("validate", "m.yaml", cwd=tmp_path, env={"KERAS_BACKEND": "jax"})
    assert r.returncode == 1 and len(_stores()) == 4  # strict, stateless, recurrent, JAX (a file over 100 bytes
    # was not read, so nothing was kept for it)


def test_the_path_as_given_names_the_findings_from_the_cache(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "m.yaml").write_text(MODEL.format(policy="strict"))
    first = run_cli("validate", "sub/m.yaml", cwd=tmp_path)
    second = run_cli("validate", "./sub/m.yaml", cwd=tmp_path)
    assert "./sub/m.yaml:" in second.stdout and first.stdout.replace("sub/m.yaml", "./sub/m.yaml") == second.stdout
    third = run_cli("validate", "m.yaml", cwd=tmp_path / "sub")
    assert third.stdout.startswith("m.yaml:")


@pytest.mark.parametrize("damage", ["not json", "[]", '{"format": 1}', "entries", "digest", "mode", "readable",
                                    "symlink"])
def test_a_damaged_or_foreign_store_is_ignored(tmp_path, damage):
    (tmp_path / "m.yaml").write_text(MODEL.format(policy="strict"))
    first = run_cli("validate", "m.yaml", cwd=tmp_path)
    [store] = _stores()
    with open(store, encoding="utf-8") as fh:
        data = json.load(fh)
    if damage == "entries":  # the digest of the file, a result that is not one
        data["entries"]["m.yaml"][1] = {"findings": [["m.yaml", 1, 1, "no-such-rule", "x"]]}
        text = json.dumps(data)
    elif damage == "digest":  # a result stored for other bytes: a crafted "ok"
        data["entries"]["m.yaml"] = [resultcache.digest(b"other"), {"kind": "model", "summary": "",
                                                                      "judged": True, "findings": []}]
        text = json.dumps(data)
    elif damage in ("mode", "readable", "symlink"):  # a crafted "ok" for these very bytes, where it may not be
        data["entries"]["m.yaml"][1]["findings"] = []
        text = json.dumps(data)
    else:
        text = damage
    os.unlink(store)
    if damage == "symlink":
        (tmp_path / "elsewhere.json").write_text(text)
        os.symlink(tmp_path / "elsewhere.json", store)
    else:
        with open(store, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(store, {"mode": 0o666, "readable": 0o644}.get(damage, 0o600))  # 0644: as git checks it out
    _same_run(first, run_cli("validate", "m.yaml", cwd=tmp_path))


def test_the_cache_lives_outside_the_project_and_can_be_turned_off(tmp_path):
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    (project / "m.yaml").write_text(MODEL.format(policy="strict"))
    env = {"POLICYFACTORY_CACHE_DIR": "", "HOME": str(home), "XDG_CACHE_HOME": ""}
    run_cli("validate", "m.yaml", cwd=project, env=env)
    assert os.listdir(project) == ["m.yaml"]
    [folder] = os.listdir(home / ".cache")
    assert folder == "policyfactory" and len(os.listdir(home / ".cache" / "policyfactory")) == 1
    assert oct(os.stat(home / ".cache" / "policyfactory").st_mode & 0o777) == "0o700"
    shutil.rmtree(home / ".cache")
    run_cli("validate", "m.yaml", cwd=project, env={**env, "POLICYFACTORY_NO_CACHE": "1"})
    run_cli("validate", "--no-cache", "m.yaml", cwd=project, env=env)
    assert not os.path.exists(home / ".cache") and os.listdir(project) == ["m.yaml"]


def _all_yaml():
    """Every YAML file of the project's tests and examples: references, extends, missing and outside paths."""
    found = []
    for pattern in ("examples/*.yaml", "policies/*.yaml", "tests/corpus/*.yaml", "tests/policies/**/*.yaml",
                    "tests/**/*.yaml"):
        found += glob.glob(os.path.join(ROOT, pattern), recursive=True)
    return sorted(set(found))


def test_a_result_is_kept_only_when_its_check_touched_no_other_file(tmp_path, monkeypatch):
    """The guard of the cache's soundness: every path a check stats, opens or resolves is watched at the
    operating system's door. A check called self-contained must have touched nothing but its file (and the
    package's own files), or a change elsewhere could leave a stale result."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "team.yaml").write_text(TIED_POLICY)
    (tmp_path / "link.yaml").symlink_to(tmp_path / "team.yaml")
    for name, policy in (("own.yaml", "team.yaml"), ("missing.yaml", "nowhere.yaml"), ("out.yaml", "../x.yaml"),
                         ("linked.yaml", "link.yaml"), ("builtin.yaml", "strict")):
        (tmp_path / name).write_text(MODEL.format(policy=policy))
    (tmp_path / "ext.yaml").write_text(TIED_POLICY.replace("extends: strict", "extends: team.yaml"))
    paths = _all_yaml() + sorted(str(p) for p in tmp_path.glob("*.yaml"))
    package = os.path.dirname(os.path.dirname(os.path.abspath(resultcache.__file__))) + os.sep
    backend = resolve_backend()
    for path in paths:  # modules the checks import on first use are imported now: their lookups are not the file's
        for policy in (None, "strict", str(tmp_path / "team.yaml"), str(tmp_path / "gone.yaml")):
            check_path(path, policy=policy)
    touched = []
    for module, name in ((os, "stat"), (os, "lstat"), (os, "open"), (os, "listdir"), (os, "scandir"),
                         (builtins, "open")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, **k: (touched.append(a[0] if a else "."),
                                                                       _real(*a, **k))[1])
    kept = 0
    for path in paths:
        for policy in (None, "strict", str(tmp_path / "team.yaml"), str(tmp_path / "gone.yaml")):
            touched.clear()
            with recording_reads() as reads, use_backend(backend):  # as the command runs a check: its backend
                check_path(path, policy=policy)                     # found first (and in the run's key)
            if resultcache.self_contained(path, reads) is None:
                continue
            kept += 1
            # the file (and, for a link, what it points to: read through it), the package's own files, and the
            # folders above them (real paths, compared in the cycle check of extends: with the built-in policies'
            # only: any other is a dependency, never kept)
            own = (os.path.abspath(path), os.path.realpath(path), package.rstrip(os.sep))
            others = {os.path.abspath(p) for p in touched if isinstance(p, str)}
            others = {p for p in others if not p.startswith(package)
                      and not any(p == o or o.startswith(p + os.sep) for o in own)}
            assert others == set(), (path, policy)
    assert kept >= 40
    assert all(resultcache.self_contained(p, [(p, b"x"), (None, None)]) is None for p in paths[:1])


def test_a_result_is_stored_only_when_it_comes_back_the_same():
    plain = ValidationResult([Finding("m.yaml", 3, 4, "sharing-violation", "x", data={"slots": ["a", "b"]})], "model")
    assert resultcache.result_from_json(resultcache.result_to_json(plain)) == plain
    tupled = ValidationResult([Finding("m.yaml", 3, 4, "sharing-violation", "x", data={"slots": ("a", "b")})])
    assert resultcache.result_to_json(tupled) is None  # JSON would give a list back
    good = ["m.yaml", 3, 4, "sharing-violation", "x", "error", "policy", {}, "", None]
    assert resultcache.result_from_json({"findings": [good], "kind": None, "summary": "", "judged": True})
    for i, wrong in ((0, None), (1, "3"), (2, True), (3, "no-such-rule"), (5, "bogus"), (6, "bogus"), (7, []),
                     (9, "z")):
        row = good[:i] + [wrong] + good[i + 1:]  # each would print wrongly or fail to sort: a damaged store
        assert resultcache.result_from_json({"findings": [row], "kind": None, "summary": "", "judged": True}) is None
    assert resultcache.result_from_json({"findings": [good[:-1]], "kind": None, "summary": "", "judged": 1}) is None
    for kind, summary in (("model", "ok \x1b[2J"), ("other", "")):  # a summary is printed as it is: no escapes
        assert resultcache.result_from_json({"findings": [], "kind": kind, "summary": summary, "judged": True}) is None


def test_a_changed_install_is_another_run(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (a / "m.py").write_text("x = 1\n")
    (a / "catalog.json").write_text("{}")
    before = resultcache.package_stamp(str(a))
    assert len(before) == 2
    shutil.copytree(a, b)  # a copy that keeps the times (cp -a, a Docker layer), then edited to the same size
    (b / "m.py").write_text("x = 2\n")
    os.utime(b / "m.py", ns=(os.stat(a / "m.py").st_atime_ns, os.stat(a / "m.py").st_mtime_ns))
    assert resultcache.package_stamp(str(b)) != before
    (a / "m.py").write_text("x = 3\n")  # edited in place, the same size
    os.utime(a / "m.py", ns=(os.stat(b / "m.py").st_atime_ns, os.stat(b / "m.py").st_mtime_ns))
    assert resultcache.package_stamp(str(a)) != before


def test_another_version_of_a_library_is_another_run(tmp_path, monkeypatch):
    """PyYAML without libyaml accepts less (a tab after a value); pydantic's words reach schema findings."""
    lib = tmp_path / "fakeyaml"
    lib.mkdir()
    (lib / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = resultcache.library_stamp(("fakeyaml",))
    (lib / "_yaml.so").write_text("")
    after = resultcache.library_stamp(("fakeyaml",))
    assert after != before and resultcache.library_stamp(("no_such_library_here",)) == [("no_such_library_here", None)]
    assert [name for name, *_ in resultcache.library_stamp()] == ["yaml", "pydantic", "pydantic_core"]


def test_a_relative_cache_folder_is_no_cache(tmp_path):
    """A relative folder would put the store inside whatever project a run is in, where a committed one is read."""
    (tmp_path / "m.yaml").write_text(MODEL.format(policy="strict"))
    r = run_cli("validate", "m.yaml", cwd=tmp_path, env={"POLICYFACTORY_CACHE_DIR": ".pfcache"})
    assert r.returncode == 1 and os.listdir(tmp_path) == ["m.yaml"]
