"""Python sources and notebooks: what `validate` reports when it reads Keras code (never running it)."""

from ..ruletype import INVALID, WARNING, Rule

PYTHON_SYNTAX = Rule(
    "python-syntax", INVALID,
    "A Python source, or a notebook's code cell, does not parse.",
    "`validate` reads `.py` files and the code cells of `.ipynb` notebooks with Python's own "
    "parser (`ast`) and never imports or runs them. A file that does not parse cannot be "
    "judged: the finding gives the line and column the parser stopped at (and the cell, "
    "in a notebook).",
    bad="import keras\nlayer = keras.layers.Dense(8, kernel_initializer=\"he_normal\"\n",
    good="import keras\nlayer = keras.layers.Dense(8, kernel_initializer=\"he_normal\")\n",
    fix="Fix the syntax error at the line given (Python itself reports the same).",
    example="source",
)

NOTEBOOK_FORMAT = Rule(
    "notebook-format", INVALID,
    "An `.ipynb` file is not a Jupyter notebook: not JSON, or no list of cells.",
    "A notebook is JSON with a `cells` list whose code cells hold `source` text (nbformat 4). "
    "A file named `.ipynb` that is not one cannot be judged; its cells are not guessed at.",
    bad="",
    good="",
    fix="Save the notebook again from Jupyter, or rename a file that is not one.",
    example="none",
)

ALLOW_COMMENT = Rule(
    "allow-comment", INVALID,
    "An inline `# policyfactory: allow[RULE] reason` comment without a rule or a reason.",
    "A comment `# policyfactory: allow[RULE] reason` on the line of any slot of a sharing group "
    "suppresses that group's finding, as a model file's `allow:` entry does. The reason is "
    "required, so that every suppression says why; a comment that names no rule, or gives no "
    "reason, is refused rather than silently ignored.",
    bad="import keras\n"
        "init = keras.initializers.HeNormal()\n"
        "a = keras.layers.Dense(8, kernel_initializer=init)\n"
        "b = keras.layers.Dense(8, kernel_initializer=init)  # policyfactory: allow[sharing-violation]\n",
    good="import keras\n"
         "init = keras.initializers.HeNormal()\n"
         "a = keras.layers.Dense(8, kernel_initializer=init)\n"
         "b = keras.layers.Dense(8, kernel_initializer=init)  # policyfactory: allow[sharing-violation] tied on purpose\n",
    fix="Write the comment as `# policyfactory: allow[sharing-violation] why this sharing is deliberate`.",
    example="source",
)

UNKNOWN_ORIGIN = Rule(
    "unknown-origin", WARNING,
    "A parameter reaches several slots: they share one object if a caller passes an object.",
    "When a function or layer passes one of its parameters (or `clone_initializer` of it) to "
    "several slots, the slots share one object if the caller passes an initializer object, and "
    "are fresh if it passes a string or a config. The source alone cannot tell which, so this "
    "rule is off by default; turn it on with `[tool.policyfactory.severity] unknown-origin = "
    "\"warning\"` to see every such place. Calls in the files checked together are followed, "
    "so a caller that passes one object is a `sharing-violation` whatever this rule says.",
    bad="import keras\n"
        "def block(init):\n"
        "    return [keras.layers.Dense(8, kernel_initializer=init),\n"
        "            keras.layers.Dense(8, kernel_initializer=init)]\n",
    good="import keras\n"
         "def fresh(init):  # a new object from the given one's config (keras_hub calls it clone_initializer)\n"
         "    init = keras.initializers.get(init)\n"
         "    return init.__class__.from_config(init.get_config())\n"
         "def block(init):\n"
         "    return [keras.layers.Dense(8, kernel_initializer=fresh(init)),\n"
         "            keras.layers.Dense(8, kernel_initializer=fresh(init))]\n",
    fix="Give each slot its own copy (a new object from `init`'s config at each use, or a string), "
        "so the slots are fresh whatever the caller passes.",
    example="source",
    enabled=False,
)
