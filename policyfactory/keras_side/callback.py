"""`SharingCheck`: audit a model for shared components as `fit` starts, before its first training step.

Why a callback: a component object shared by accident (one `HeNormal()` passed
to two layers) gives identical or correlated initial weights, and training
moves them apart until no audit of the saved model can tell. `fit` is the last
point at which the live model still shows the sharing, and the one step every
training run goes through. `SharingCheck` runs the live audit (`pf.audit`,
the one engine) in `on_train_begin`: error findings raise `PolicyViolation`
before any weight changes, or, with ``on_violation="warn"``, become Python
warnings and training goes on.

    >>> import keras, numpy as np, policyfactory as pf
    >>> init = keras.initializers.HeNormal()
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, name="a", kernel_initializer=init),
    ...                           keras.layers.Dense(1, name="b", kernel_initializer=init)])
    >>> model.compile("sgd", "mse")
    >>> try:
    ...     model.fit(np.ones((2, 4)), np.ones((2, 1)), callbacks=[pf.SharingCheck()], verbose=0)
    ... except pf.PolicyViolation as err:
    ...     print(err.findings[0].rule, err.findings[0].data["slots"])
    sharing-violation ['a.kernel_initializer', 'b.kernel_initializer']
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import keras

from ..core.findings import Finding, PolicyViolation
from ..core.policy import Policy, load_policy
from .audit import audit

__all__ = ["SharingCheck"]

ON_VIOLATION = ("raise", "warn")


class SharingCheck(keras.callbacks.Callback):
    """A `keras.callbacks.Callback` that audits the model being trained in `on_train_begin`.

    `policy` is a built-in policy name, a path or a `Policy` (as `pf.audit`
    takes; `None` lets `pf.audit` choose, `strict`). With
    ``on_violation="raise"`` (the default) error findings raise
    `PolicyViolation` before the first training step; with ``"warn"`` each
    becomes a `UserWarning` naming its rule and slots, and training continues.
    Findings that are warnings are always warned. The last audit's findings
    are kept in `.findings`.
    """

    def __init__(self, policy: str | os.PathLike | Policy | None = None, on_violation: str = "raise") -> None:
        super().__init__()
        if not isinstance(on_violation, str) or on_violation not in ON_VIOLATION:
            raise ValueError(f"on_violation must be 'raise' or 'warn', got {on_violation!r}")
        # a policy given is loaded now: a misspelt name fails where the callback is made, not at fit
        self.policy: Policy | None = load_policy(policy) if policy is not None else None
        self.on_violation = on_violation
        self.findings: list[Finding] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        model = self.model
        name = getattr(model, "name", None)
        self.findings = audit(model, policy=self.policy, file=f"<model {name}>" if name else "<model>")
        errors = [f for f in self.findings if f.severity == "error"]
        for f in self.findings:
            if f.severity != "error" or self.on_violation == "warn":
                warnings.warn(f"{f.text()} (slots: {', '.join(f.data.get('slots', [])) or '-'})", UserWarning,
                              stacklevel=2)
        if errors and self.on_violation == "raise":
            raise PolicyViolation(errors, "SharingCheck: the model shares components its policy denies; "
                                          "training stopped before its first step:")
