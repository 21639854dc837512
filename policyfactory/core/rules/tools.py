"""Build, audit, export and the command line: what Keras refuses, outputs, archives, settings."""

from ..ruletype import INVALID, Rule

KERAS_ERROR = Rule(
    "keras-error", INVALID,
    "Keras refused to construct or connect a layer that passed validation.",
    "`validate` checks argument names, types and the values Keras refuses, and follows the "
    "shapes the file states, but some problems only Keras finds when it connects the layers "
    "(a `Normalization` given a list of floats as `mean` without its `variance`). The finding is placed at the "
    "layer and carries Keras's message; nothing is written.",
    bad="input: {shape: [4]}\nlayers:\n  - {type: Normalization, mean: [0.5, 0.5, 0.5, 0.5]}\n",
    good="input: {shape: [4]}\nlayers:\n  - {type: Normalization, mean: [0.5, 0.5, 0.5, 0.5], "
         "variance: [1.0, 1.0, 1.0, 1.0]}\n",
    fix="Change the argument or the connection that Keras names in the message.",
    example="build",
)


OUTPUT_PATH = Rule(
    "output-path", INVALID,
    "An output path that cannot be written, or holds a file that must not be replaced.",
    "`build` writes a `.keras` file and `graph` a picture or a DOT file, each through a "
    "temporary file renamed into place when complete. A missing folder, a name without the "
    "`.keras` suffix or a write error leaves any existing file untouched. An output that is an "
    "input or a policy the run reads, a symbolic link, a directory, a FIFO or a device is refused; "
    "`build` replaces a file under a name it chose (beside the model, in an `-o` folder) only when "
    "`build` wrote it, so a trained model saved under that name is kept: `-o OTHER.keras` writes "
    "elsewhere, `--overwrite` replaces it on purpose.",
    bad="policyfactory build examples/forecaster.yaml -o out/forecaster.h5\n",
    good="policyfactory build examples/forecaster.yaml -o forecaster.keras\n",
    fix="Write into an existing folder, with `.keras` for `build` and .svg/.png/.pdf/.dot for `graph`.",
    example="shell",
)


AUDIT_INPUT = Rule(
    "audit-input", INVALID,
    "`audit` was given a file that is neither a saved Keras model nor a model YAML.",
    "`audit` reads `.keras` archives, Keras 3 and Keras 2 `.h5` files (recognised by their "
    "content, not their name) and model YAML files. Other files, such as a SavedModel folder or "
    "a checkpoint, are not read.",
    bad="policyfactory audit saved_model.pb\n",
    good="policyfactory audit model.keras model.h5\n",
    fix="Save the model as `.keras` (`model.save(\"model.keras\")`) or `.h5`, or audit its model YAML.",
    example="shell",
)


AUDIT_LOAD = Rule(
    "audit-load", INVALID,
    "A saved model file that cannot be read: a corrupt archive, a missing member, bad JSON.",
    "The audit reads a `.keras` file's `config.json` as JSON data and its `model.weights.h5` "
    "with h5py, and a `.h5` file's `model_config` attribute and weights; it never deserializes "
    "or runs anything. A truncated or corrupt file, an archive without those members, or weights "
    "saved as `.npz` cannot be judged.",
    bad="policyfactory audit truncated.keras   # a download that stopped half-way\n",
    fix="Save the model again, or audit the live model with `pf.audit(model)`.",
    example="shell",
)


LIMIT_ARCHIVE = Rule(
    "limit-archive", INVALID,
    "An archive member over the size limit, or compressed beyond the ratio limit (a zip bomb).",
    "Keras stores the members of a `.keras` archive uncompressed. Before reading anything, the "
    "audit refuses a `config.json` declared larger than the limit (32 MiB), and any member over "
    "1 MiB whose declared size is more than 100 times what the archive stores: a few megabytes "
    "that would expand to gigabytes in memory. The same size limit applies to a `.h5` file's "
    "`model_config` attribute.",
    bad="bomb.keras   # config.json: 2 GB declared, 2 MB stored\n",
    fix="Do not open the file with Keras either; re-save the model from its source with `model.save()`.",
    example="shell",
)


H5_REFUSED = Rule(
    "h5-refused", INVALID,
    "An HDF5 weights file uses a feature the audit does not follow (links, plugins, huge chunks).",
    "Keras writes plain HDF5: groups, and unfiltered datasets in the same file. The audit follows "
    "no external or soft links (they could open other files), reads no virtual or external "
    "datasets, loads no filter plugins, refuses compressed chunks over 64 MiB (each is "
    "decompressed whole) and bounds the nesting and the number of objects.",
    bad="weights.h5   # a dataset that is an external link to /etc/passwd\n",
    fix="Save the weights again with Keras (`model.save()` or `model.save_weights()`).",
    example="shell",
)


ARGUMENT_INVALID = Rule(
    "argument-invalid", INVALID,
    "A bad argument to a Python API call or a command-line option.",
    "Public functions and command-line options check their arguments (types and allowed "
    "values) and report a finding with exit 2 rather than a traceback from deep inside. "
    "The message names the argument and what it accepts.",
    bad="pf.register_component(\"initialiser\", MyInitializer)\n",
    good="pf.register_component(\"initializer\", MyInitializer)\n",
    fix="Pass an argument of the type and value the message names.",
    example="python",
)


SETTINGS_INVALID = Rule(
    "settings-invalid", INVALID,
    "The project settings ([tool.policyfactory] or policyfactory.toml) cannot be used.",
    "The settings file is not valid TOML, or names a setting that does not exist, gives one a "
    "value of the wrong type or out of range, names no rule under `severity`, or a policy that "
    "is neither built in nor a file. No command runs on settings it cannot read: it would judge "
    "files by other rules than the project's.",
    bad="[tool.policyfactory]\nformatt = \"json\"\n",
    good="[tool.policyfactory]\nformat = \"json\"\n",
    fix="Correct the setting at the reported line; `policyfactory config` shows what is in force.",
    example="shell",
)


EXPORT_INPUT = Rule(
    "export-input", INVALID,
    "`export` was given a file it cannot read as a `.keras` model.",
    "`export` reads the `config.json` member of a `.keras` file (a zip archive) as data: it "
    "never loads weights, deserializes objects or runs code. A missing file, a file that is "
    "not a zip (a legacy `.h5` file, a SavedModel folder), a missing or oversized "
    "`config.json` (over 64 MB) or one that is not JSON is refused.",
    bad="policyfactory export model.h5\n",
    good="policyfactory export model.keras -o model.yaml\n",
    fix="Save the model as `.keras` (`model.save(\"model.keras\")`), or export the live model with `pf.export(model)`.",
    example="shell",
)


EXPORT_UNSUPPORTED = Rule(
    "export-unsupported", INVALID,
    "A part of a Keras model that the model file format cannot express.",
    "The model file describes catalog layers, operations on tensors from a closed list "
    "(`add`, `multiply`, `concatenate`, `reshape`, `mean`, activations ...), further calls of a "
    "layer and nested models called once (written in their place). A Keras operation outside "
    "that list (`keras.ops.cumsum`), a nested model called twice, a subclassed model, a layer "
    "with several outputs, call arguments other than its inputs, and configuration values that "
    "are Keras objects rather than data cannot be written. One finding per cause lists where it "
    "occurs. Nothing is exported.",
    bad="x = keras.ops.cumsum(keras.layers.Dense(8)(inp), axis=-1)\npf.export(keras.Model(inp, x))\n",
    good="x = keras.layers.Dense(8)(inp) * 2.0  # an operation of the list\npf.export(keras.Model(inp, x))\n",
    fix="Write that part with catalog layers or operations of the list (docs/formats/model.md, Operations on tensors), or call a "
        "nested model's layers directly; then export again.",
    example="python",
)


DECLARED_IMPORT = Rule(
    "declared-import", INVALID,
    "A declared layer class cannot be imported for `build` or `audit`.",
    "A project declares its own layer classes as data (`[tool.policyfactory.layers.NAME]`, written by "
    "`policyfactory declare MODULE:CLASS --write`). `validate`, `explain` and `graph` need nothing more; "
    "`build` and `audit` import the module the declaration names, from the settings file's folder. "
    "A module that cannot be imported, or that has no such class, stops the command.",
    bad="[tool.policyfactory.layers.Scale]\nmodule = \"mypkg.layerz\"\nclass = \"Scale\"\n",
    good="[tool.policyfactory.layers.Scale]\nmodule = \"mypkg.layers\"\nclass = \"Scale\"\n",
    fix="Correct `module` and `class`, or run `policyfactory declare mypkg.layers:Scale --write` again.",
    example="shell",
)


DECLARED_STALE = Rule(
    "declared-stale", INVALID,
    "A declared layer class no longer matches its declaration.",
    "`build` and `audit` import a declared class and compare it with its declaration: an argument "
    "the declaration lists that the class no longer takes, an argument it now requires, or other "
    "component slots mean that files validated against the declaration may not build.",
    bad="# the class gained a required argument since it was declared\n",
    good="policyfactory declare mypkg.layers:Scale --write\n",
    fix="Run `policyfactory declare MODULE:CLASS --write` again, then `policyfactory validate` your model files.",
    example="shell",
)
