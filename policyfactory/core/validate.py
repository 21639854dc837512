"""`validate`: judge policy and model files from the files alone (no Keras).

`check_path` is the one entry every command goes through (validate, explain,
graph, build, audit of a model file): it loads the file, checks it and, for a
model, returns the one `Plan` the other commands read.

Example::

    >>> from policyfactory import validate
    >>> [f.rule for f in validate("examples/shared_he_normal.yaml")]
    ['sharing-violation']
"""

from __future__ import annotations

import os
from typing import Any, Union

from .findings import Finding, InvalidInput, sorted_findings
from .modelfile import ModelSpec, PolicyLoader, check_model
from .plan import Plan
from .policy import Policy, check_policy_loaded, check_policy_path
from .records import replace
from .references import BUILTIN_POLICIES, builtin_path, declares_kind, is_python, policy_problem, resolve_in_project
from .result import ValidationResult
from .resultcache import Store, digest, self_contained
from .rules.policies import POLICY_INVALID, POLICY_UNKNOWN
from .rules.schemarules import SCHEMA_KIND, SCHEMA_TOP_LEVEL
from .safeio import note_dependency, recording_reads
from .text import plural, shorten, shown
from .yamlload import DEFAULT_LIMITS, Limits, Loaded, load_bytes, load_file, plain_copy

PolicyArg = Union[str, os.PathLike, Policy, None]  # a built-in name, a path, or a Policy; None: the file's own

KIND_CHOICES = ("policy", "model")


def chosen_policy(override: str | os.PathLike | Policy, file: str, limits: Limits = DEFAULT_LIMITS,
                  allow_outside: bool = False) -> tuple[Policy | None, list[Finding]]:
    """The policy the caller chose (`--policy`, settings, `policy=`): a Policy, a built-in name or a path."""
    if isinstance(override, Policy):
        return override, []
    given = os.fspath(override)
    if builtin_path(given) is None:
        note_dependency()  # a policy file named by the caller: its result depends on that file
    problem = policy_problem(given)
    if problem:
        return None, [Finding(file, 1, 1, POLICY_UNKNOWN, f"--policy {shown(given)}: {problem}")]
    return check_policy_path(builtin_path(given) or given, limits, allow_outside=allow_outside)


def _policy_loader(override: PolicyArg, limits: Limits, allow_outside: bool, origin: str = "") -> PolicyLoader:
    """Resolve a model's policy: the override (the caller's own choice, from `origin`) or the file's `policy:`
    (confined). An override that replaces the policy the file names says so in every message naming it."""

    def load(ref: str, loaded: Loaded) -> tuple[Policy | None, list[Finding]]:
        if override is not None:
            policy, findings = chosen_policy(override, loaded.file, limits, allow_outside)
            own = loaded.value.get("policy") if isinstance(loaded.value, dict) else None
            if policy is not None and isinstance(own, str) and own != policy.name:
                policy = replace(policy, replaced=f"{origin or 'policy='}, in place of the file's own "
                                                              f"policy: {shorten(own)}")
            return policy, findings
        path, outside = resolve_in_project(ref, loaded, ("policy",), allow_outside=allow_outside)
        if outside is not None or path is None:
            return None, [outside] if outside else []
        if not os.path.isfile(path):
            return None, [loaded.finding(("policy",), POLICY_UNKNOWN,
                                         f"policy {shown(ref)} names no built-in policy ({', '.join(BUILTIN_POLICIES)}) "
                                         f"and no file (looked for {path})")]
        if builtin_path(ref) is None and declares_kind(path, limits) != "policy":
            return None, [loaded.finding(("policy",), POLICY_INVALID,
                                         f"policy {shown(ref)} is not a policy file (no top-level 'kind: policy')")]
        policy, findings = check_policy_path(path, limits, allow_outside=allow_outside)
        if policy is None:
            findings = [loaded.finding(("policy",), POLICY_INVALID,
                                       f"policy {shown(ref)} is not valid (see the findings in {path})")] + findings
        return policy, findings

    return load


def validate_loaded(loaded: Loaded, *, policy: PolicyArg = None, limits: Limits = DEFAULT_LIMITS,
                    expect: str | None = None, allow_outside: bool = False, policy_origin: str = "") -> ValidationResult:
    data = loaded.value
    kind = data.get("kind") if isinstance(data, dict) else None
    if not isinstance(data, dict):
        hint = " (Python on standard input: give --stdin-filename NAME.py)" if loaded.file == "<stdin>" else ""
        return ValidationResult([loaded.finding((), SCHEMA_TOP_LEVEL,
                                                f"top level must be a mapping with 'kind: policy' or 'kind: model'{hint}")])
    if kind not in KIND_CHOICES:
        where = ("kind",) if "kind" in data else ()
        msg = ("missing 'kind:' (policy or model)" if "kind" not in data
               else f"'kind' must be policy or model, got {kind!r}")
        return ValidationResult([loaded.finding(where, SCHEMA_KIND, msg)])
    if expect is not None and kind != expect:
        return ValidationResult([loaded.finding(("kind",), SCHEMA_KIND, f"expected a {expect} file, got kind: {kind}")])
    if kind == "policy":
        pol, findings = check_policy_loaded(loaded, limits, allow_outside=allow_outside)
        summary = f"policy {shown(pol.name)} ({plural(len(pol.rules), 'rule')})" if pol else ""
        return ValidationResult(findings, kind, summary, policy=pol)
    check = check_model(loaded, _policy_loader(policy, limits, allow_outside, policy_origin), limits)
    summary = ""
    if check.spec is not None and check.plan is not None and check.policy is not None:
        summary = model_summary(check.spec.name, sum(n.is_layer for n in check.spec.layers), check.plan,
                                graph_words(check.spec))
    return ValidationResult(check.findings, kind, summary, check.spec, check.policy, check.plan, check.judged)


def graph_words(spec: ModelSpec) -> str:
    """', 4 operations, 1 layer called 2 times': what a model's graph holds besides layers ('' when nothing)."""
    ops = sum(n.kind == "op" for n in spec.layers)
    calls = spec.calls()
    text = f", {plural(ops, 'operation')}" if ops else ""
    if calls:
        text += ", " + plural(len(calls), "layer") + " called " + (
            f"{len(next(iter(calls.values()))) + 1} times" if len(calls) == 1 else "several times")
    return text


def model_summary(name: str, n_layers: int, plan: Plan, extra: str = "") -> str:
    """'model 'x' (3 layers, 1 sharing group, policy 'recurrent')' and what the groups are."""
    groups = plan.sharing_groups()
    text = (f"model {shown(name)} ({plural(n_layers, 'layer')}{extra}, {plural(len(groups), 'sharing group')}, "
            f"policy {plan.policy.title})")
    allowed = [g for g in groups if g.allowed]
    if allowed:
        text += "; " + "; ".join(g.summary() for g in allowed)
    return text


def check_sources(paths: list[tuple[str, bytes | None]], *, policy: PolicyArg = None, limits: Limits = DEFAULT_LIMITS,
                  allow_outside: bool = False, policy_origin: str = "") -> ValidationResult:
    """Check Python sources and notebooks together (an object made in one may reach slots in another).

    They are read with `ast`, never run; the policy is the caller's (a source names none), `strict` by default.
    `summary` holds one line per file that writes component slots (`file: summary`, newline-separated).
    """
    from .pycheck import check_paths

    pol, findings = chosen_policy(policy if policy is not None else "strict", paths[0][0] if paths else "<python>",
                                  limits, allow_outside)
    if pol is None:
        return ValidationResult(findings, "python")
    result = check_paths(paths, pol, limits)
    summary = "\n".join(f"{path}: {line}" for path, line in result.summaries.items())
    return ValidationResult(findings + result.findings, "python", summary, policy=pol, plan=result.plan)


def check_path(path: str, *, policy: PolicyArg = None, limits: Limits = DEFAULT_LIMITS, expect: str | None = None,
               allow_outside: bool = False, data: bytes | None = None, policy_origin: str = "") -> ValidationResult:
    """Load and check one file: findings, and for a model its spec, policy and plan.

    `data` is the file's content when it does not come from `path` (standard
    input named by `--stdin-filename`): findings name `path`, and its relative
    references are read from `path`'s folder.
    """
    name = os.fspath(path)
    if expect == "model" and is_python(name):
        return ValidationResult([Finding(name, 1, 1, SCHEMA_KIND, "a Python source or notebook: 'policyfactory validate' "
                                         "judges it; explain, graph and build read model files")])
    try:
        loaded = (load_file(name, limits) if data is None
                  else load_bytes(data, name, limits, base_dir=os.path.dirname(os.path.abspath(name))))
    except InvalidInput as exc:
        return ValidationResult(exc.findings)
    return validate_loaded(loaded, policy=policy, limits=limits, expect=expect, allow_outside=allow_outside,
                           policy_origin=policy_origin)


def check_paths(paths: list[str], store: Store | None = None, **kwargs: Any) -> list[ValidationResult]:
    """`check_path` of each file with the same arguments, in order, shared among the cores when they are many
    (core/parallel.py). A result holds the findings, kind, summary and `judged`: the spec, policy and plan stay
    in the process that computed them.

    With a `store` (core/resultcache.py), the result of each check that read nothing but its file is kept there.
    """
    from .parallel import map_forked

    def one(path: str) -> tuple[ValidationResult, str | None]:
        with recording_reads() as reads:
            r = check_path(path, **kwargs)
        data = self_contained(path, reads) if store is not None else None
        return ValidationResult(r.findings, r.kind, r.summary, judged=r.judged), None if data is None else digest(data)

    results = []
    for path, (result, stamp) in zip(paths, map_forked(one, paths)):
        if store is not None and stamp is not None:
            store.add(path, stamp, result)
        results.append(result)
    return results


def validate_mapping(mapping: dict, *, policy: PolicyArg = None, limits: Limits = DEFAULT_LIMITS, name: str = "<mapping>",
                     base_dir: str | None = None, expect: str | None = None) -> ValidationResult:
    """Check an already-parsed mapping: copied as plain data first, under the loader's limits (cycles refused)."""
    try:
        value = plain_copy(mapping, name, limits)
    except InvalidInput as exc:
        return ValidationResult(exc.findings)
    loaded = Loaded(name, value, {}, {}, base_dir or os.getcwd())
    return validate_loaded(loaded, policy=policy, limits=limits, expect=expect)


def check_policy_argument(policy: object) -> None:
    if policy is not None and not isinstance(policy, (str, os.PathLike, Policy)):
        raise TypeError(f"policy= takes a built-in name, a path or a Policy, got {type(policy).__name__}")


def validate(path_or_mapping: Any, *, policy: PolicyArg = None) -> list[Finding]:
    """Validate a policy or model file (a path, or an already-parsed mapping), or a Python source or
    notebook (`.py`, `.ipynb`: read, never run), without Keras.

    Returns the findings (empty when all is well). `policy` overrides the
    policy a model file names (a built-in name, a path, or a `Policy`); a Python
    source is judged by `policy`, `strict` when none is given.

        >>> validate("policies/strict.yaml")
        []
    """
    return sorted_findings(_validate(path_or_mapping, policy))  # in the order the CLI prints them


def _validate(path_or_mapping: Any, policy: PolicyArg) -> list[Finding]:
    check_policy_argument(policy)
    if isinstance(path_or_mapping, dict):
        return validate_mapping(path_or_mapping, policy=policy).findings
    if not isinstance(path_or_mapping, (str, os.PathLike)):
        raise TypeError(f"validate takes a path or a mapping, got {type(path_or_mapping).__name__}")
    path = os.fspath(path_or_mapping)
    if is_python(path):
        from .settings import apply_severity  # rules that are off by default stay off

        return apply_severity(check_sources([(path, None)], policy=policy).findings, {})
    return check_path(path, policy=policy).findings
