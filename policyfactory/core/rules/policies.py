"""Policy files: `extends:`, rule ids, reasons and rules that can never match."""

from ..ruletype import INVALID, Rule

POLICY_UNKNOWN = Rule(
    "policy-unknown", INVALID,
    "A policy name that is neither a built-in policy nor an existing file.",
    "A model's `policy:`, `--policy` and `LayerFactory(policy)` take a built-in name "
    "(`strict`, `recurrent`, `stateless`) or a path to a policy file (relative to the model "
    "file). The message suggests the closest built-in name.",
    bad="policy: strickt\n",
    good="policy: strict\n",
    fix="Use a built-in policy name or the path of an existing policy file.",
)


POLICY_INVALID = Rule(
    "policy-invalid", INVALID,
    "The policy a model names has findings of its own.",
    "A model cannot be judged against a policy that is not valid. The policy's own findings "
    "follow this one, in the policy file.",
    bad="policy: policies/team.yaml   # a policy file with findings of its own\n",
    fix="Fix the findings reported in the policy file, then validate the model again.",
    example="shell",
)


POLICY_EXTENDS_MISSING = Rule(
    "policy-extends-missing", INVALID,
    "`extends:` names no built-in policy and no file.",
    "`extends:` takes a built-in policy name or a path relative to the policy file. The "
    "message suggests the closest built-in name.",
    bad="kind: policy\nversion: 1\nname: team\nextends: strickt\n",
    good="kind: policy\nversion: 1\nname: team\nextends: strict\n",
    fix="Correct the name or the path of the extended policy.",
)


POLICY_EXTENDS_INVALID = Rule(
    "policy-extends-invalid", INVALID,
    "The policy named by `extends:` has findings of its own.",
    "A policy that extends an invalid one cannot be resolved: the parent's rules come first "
    "and its defaults apply. The parent's findings follow this one.",
    bad="extends: base.yaml   # a policy file with findings of its own\n",
    fix="Fix the findings reported in the extended policy file first.",
    example="shell",
)


POLICY_EXTENDS_CYCLE = Rule(
    "policy-extends-cycle", INVALID,
    "Policies extend each other in a cycle.",
    "`extends:` chains must end in a policy that extends nothing; a cycle has no first "
    "policy to put rules and defaults in order. The message shows the chain of files.",
    bad="# a.yaml\nextends: b.yaml\n# b.yaml\nextends: a.yaml\n",
    fix="Break the cycle: one of the policies must not extend the other.",
    example="shell",
)


POLICY_DUPLICATE_RULE_ID = Rule(
    "policy-duplicate-rule-id", INVALID,
    "Two rules of a policy (or of it and the policy it extends) have the same id.",
    "A rule id is shown in every finding the rule decides and may be named by `allow:` "
    "entries, so it must identify one rule. The check also covers the rules of the policy "
    "named by `extends:`.",
    bad="extends: stateless\n"
        "rules:\n"
        "  - id: stateless-constraints\n"
        "    component: constraint\n"
        "    share: deny\n",
    good="extends: stateless\n"
         "rules:\n"
         "  - id: no-shared-constraints\n"
         "    component: constraint\n"
         "    share: deny\n",
    fix="Give the rule an id of its own.",
    example="policy",
)


POLICY_MISSING_REASON = Rule(
    "policy-missing-reason", INVALID,
    "A rule with `share: allow` gives no `reason:`.",
    "Allowing a component to be shared is a deliberate decision, and the reason is what a "
    "reviewer reads when a finding is not raised. It is required on allow rules, optional "
    "on deny rules.",
    bad="rules:\n"
        "  - id: shared-norms\n"
        "    component: constraint\n"
        "    classes: [UnitNorm]\n"
        "    share: allow\n",
    good="rules:\n"
         "  - id: shared-norms\n"
         "    component: constraint\n"
         "    classes: [UnitNorm]\n"
         "    share: allow\n"
         "    reason: UnitNorm is a pure function of the weights.\n",
    fix="Add `reason:` saying why sharing is safe here.",
    example="policy",
)


POLICY_ROLE_NOT_IN_LAYER = Rule(
    "policy-role-not-in-layer", INVALID,
    "A role in a rule's `roles:` that none of its layer types has for that component kind.",
    "A rule covers a slot when the slot's layer type and role fit. A role that no listed "
    "layer type has for the rule's `component:` can never be covered, which usually means "
    "the wrong layer type or kind.",
    bad="rules:\n"
        "  - id: dense-recurrent\n"
        "    component: initializer\n"
        "    layers: [Dense]\n"
        "    roles: [recurrent]\n"
        "    share: deny\n",
    good="rules:\n"
         "  - id: lstm-recurrent\n"
         "    component: initializer\n"
         "    layers: [LSTM]\n"
         "    roles: [recurrent]\n"
         "    share: deny\n",
    fix="List layer types that have this role, or correct the role or the component kind.",
    example="policy",
)


POLICY_RULE_NEVER_MATCHES = Rule(
    "policy-rule-never-matches", INVALID,
    "A policy rule that can never match any sharing group.",
    "A rule whose layer types have no slot of its component kind, or a `within-layer` rule "
    "where no listed layer type has two such slots with its roles, can decide nothing. "
    "It is almost always a mistake in `layers:`, `roles:`, `component:` or `scope:`.",
    bad="rules:\n"
        "  - id: dense-tied\n"
        "    component: initializer\n"
        "    layers: [Dense]\n"
        "    roles: [kernel]\n"
        "    scope: within-layer\n"
        "    share: deny\n",
    good="rules:\n"
         "  - id: lstm-tied\n"
         "    component: initializer\n"
         "    layers: [LSTM]\n"
         "    roles: [kernel, recurrent]\n"
         "    scope: within-layer\n"
         "    share: deny\n",
    fix="Correct the rule's `layers:`, `roles:`, `component:` or `scope:`, or remove it.",
    example="policy",
)
