"""Allow files for `audit --allow FILE`: named sharing groups that an audit of saved models accepts.

A saved model has no model file to hold `allow:` entries, so an audit over a
zoo of checkpoints takes them from a file of their own. Each entry names a
finding's rule and the group it accepts, by weight paths or slot paths as the
audit prints them, and says why (required):

```yaml
allow:
  - rule: correlated-weights
    weights: [token_embedding/vars/0, token_embedding/vars/1]
    reason: Input and output embeddings start tied on purpose.
```

An entry suppresses a finding when its rule matches and every weight and slot
it names belongs to the finding's group. Read with the one YAML loader and
checked with Pydantic like every other file.

    >>> from .yamlload import load_text
    >>> allows, findings = check_allow_loaded(load_text(
    ...     "allow:\\n  - {rule: correlated-weights, weights: [a/kernel, b/kernel], reason: tied}\\n", "a.yaml"))
    >>> allows[0].weights, allows[0].line, findings
    (('a/kernel', 'b/kernel'), 2, [])
"""

from __future__ import annotations

from .findings import Finding, InvalidInput
from .plan import Allow
from .rules.schemarules import SCHEMA_MISSING_KEY, SCHEMA_TOP_LEVEL, SCHEMA_VALUE
from .schema import validate_as
from .yamlload import DEFAULT_LIMITS, Limits, Loaded, load_file


def check_allow_loaded(loaded: Loaded) -> tuple[tuple[Allow, ...], list[Finding]]:
    """(allow entries, findings) of a loaded allow file; every entry names weights or slots."""
    if not isinstance(loaded.value, dict):
        return (), [loaded.finding((), SCHEMA_TOP_LEVEL, "top level must be a mapping with an 'allow:' list")]
    model, findings = validate_as("AllowFile", loaded.value, loaded)
    if model is None:
        return (), findings
    out = []
    for i, entry in enumerate(model.allow):
        if not entry.weights and not entry.slots:
            findings.append(loaded.finding(("allow", i), SCHEMA_MISSING_KEY,
                                           "an allow entry names the group it accepts: give 'weights:' or 'slots:'"))
            continue
        if len(entry.weights) + len(entry.slots) < 2:
            # one name is no group: the entry would accept whatever else turns out to share with it
            key, names = ("weights", entry.weights) if entry.weights else ("slots", entry.slots)
            findings.append(loaded.finding(("allow", i, key), SCHEMA_VALUE,
                                           f"'{key}' names only '{names[0]}': a shared group has two or more "
                                           f"members; name every one the entry accepts"))
            continue
        line, col = loaded.mark(("allow", i))
        out.append(Allow(entry.rule, tuple(entry.slots), entry.reason.strip(), loaded.file, line, col,
                         tuple(entry.weights)))
    return tuple(out), findings


def load_allow_file(path: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Allow, ...]:
    """The entries of an allow file; raises `InvalidInput` with findings when it is not valid."""
    allows, findings = check_allow_loaded(load_file(path, limits))
    if findings:
        raise InvalidInput(findings)
    return allows
