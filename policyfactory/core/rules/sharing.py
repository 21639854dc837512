"""Policy findings (exit 1): sharing a policy denies, and weights drawn from one stream."""

from ..ruletype import POLICY, WARNING, Rule

SHARING_VIOLATION = Rule(
    "sharing-violation", POLICY,
    "A sharing group that the policy does not allow.",
    "A sharing group is the slots that receive one component instance (`{shared: NAME}`, "
    "or one object passed to several layers), or one initializer class with one explicit "
    "seed. Keras 3 initializers are stateless, so such slots start from one random stream "
    "and their weights are identical or correlated. The finding names every slot of the "
    "group and the rule or default that refused it.",
    bad="shared:\n"
        "  he: {initializer: HeNormal}\n"
        "layers:\n"
        "  - {type: Dense, name: dense_a, units: 64, kernel_initializer: {shared: he}}\n"
        "  - {type: Dense, name: dense_b, units: 64, kernel_initializer: {shared: he}}\n",
    good="layers:\n"
         "  - {type: Dense, name: dense_a, units: 64, kernel_initializer: he_normal}\n"
         "  - {type: Dense, name: dense_b, units: 64, kernel_initializer: he_normal}\n",
    fix="Write the component inline in each slot (fresh per slot), use a policy whose rule "
        "allows the group, or add `allow: [{rule: sharing-violation, slots: "
        "[dense_a.kernel_initializer, dense_b.kernel_initializer], reason: ...}]`.",
)


CORRELATED_WEIGHTS = Rule(
    "correlated-weights", POLICY,
    "Weights hold identical or exactly proportional values: one random stream drew them all.",
    "`audit` compares the leading values of every pair of weights, in live and saved models "
    "alike, and joins pairs into groups: one finding per group names every weight. Identical "
    "values, or a correlation above 0.999, mean one initializer stream was drawn several times "
    "(a shared or identically seeded initializer), which makes units learn the same thing. "
    "Weights initialized deterministically (zeros, ones, normalization statistics) are skipped, "
    "and training moves the weights apart, so audit freshly built models.",
    bad="init = keras.initializers.HeNormal(seed=1)\n"
        "model = keras.Sequential([keras.Input((32,)),\n"
        "                          keras.layers.Dense(64, kernel_initializer=init),\n"
        "                          keras.layers.Dense(64, kernel_initializer=init)])\n"
        "pf.audit(model)\n",
    good="f = pf.LayerFactory(seed=1)\n"
         "model = keras.Sequential([keras.Input((32,)),\n"
         "                          f.Dense(64, kernel_initializer=\"he_normal\"),\n"
         "                          f.Dense(64, kernel_initializer=\"he_normal\")])\n"
         "pf.audit(model)\n",
    fix="Give each slot its own initializer (LayerFactory, or a model YAML without `shared:`), "
        "allow the group in the policy, or name its weights in an `audit --allow FILE` entry.",
    example="python",
)


ALLOW_NOT_PERMITTED = Rule(
    "allow-not-permitted", POLICY,
    "A model file's `allow:` entry under a policy that forbids suppressions.",
    "A policy with `allow_suppressions: false` (or one that extends such a policy) does not let "
    "model files silence its findings: every `allow:` entry is a finding, and the violations it "
    "would have suppressed are reported as well.",
    bad="# the policy says: allow_suppressions: false\nallow:\n  - {rule: sharing-violation, reason: tied on purpose}\n",
    good="# ask the policy owner for a rule that allows the sharing, with its reason\n",
    fix="Remove the allow: entry and fix the sharing, or change the policy (its owner decides).",
    example="shell",
)


UNUSED_ALLOW = Rule(
    "unused-allow", WARNING,
    "An `allow:` entry (model file, `audit --allow` file) or inline allow comment that suppresses no finding.",
    "An `allow:` entry names a finding's rule (or the policy rule id that decided it) and, "
    "optionally, the slots of the group. One that matches nothing is stale or mistyped, and "
    "would hide a future finding it was never meant for.",
    bad="layers:\n"
        "  - {type: Dense, name: dense_a, units: 64, kernel_initializer: he_normal}\n"
        "  - {type: Dense, name: dense_b, units: 64, kernel_initializer: he_normal}\n"
        "allow:\n"
        "  - rule: sharing-violation\n"
        "    slots: [dense_a.kernel_initializer, dense_b.kernel_initializer]\n"
        "    reason: Tied initial weights on purpose.\n",
    good="layers:\n"
         "  - {type: Dense, name: dense_a, units: 64, kernel_initializer: he_normal}\n"
         "  - {type: Dense, name: dense_b, units: 64, kernel_initializer: he_normal}\n",
    fix="Remove the entry, or correct its `rule:` or `slots:` to match the finding.",
)
