"""Names and components: layer types, component classes, arguments and values."""

from ..ruletype import INVALID, Rule

ARGUMENT_VALUE = Rule(
    "argument-value", INVALID,
    "An argument value that Keras would refuse: out of range, not one of its choices, or not finite.",
    "`validate` knows the ranges and choices of common arguments without Keras (sizes and "
    "strides at least 1, rates in [0, 1), `padding`, `data_format`, `VarianceScaling` mode and "
    "distribution, dtypes, shape dimensions) and refuses NaN and infinite numbers anywhere, so "
    "whatever `validate` passes, `build` builds.",
    bad="layers:\n  - {type: Dropout, rate: 5}\n",
    good="layers:\n  - {type: Dropout, rate: 0.5}\n",
    fix="Use a value in the range or one of the choices the message lists.",
)


NAME_INVALID = Rule(
    "name-invalid", INVALID,
    "A model, input or layer name that Keras does not accept.",
    "Keras refuses names with `/` (it separates weight paths), and empty names. Names with "
    "control characters would corrupt saved weight paths too.",
    bad="layers:\n  - {type: Dense, name: enc/dense, units: 4}\n",
    good="layers:\n  - {type: Dense, name: enc_dense, units: 4}\n",
    fix="Use letters, digits, `_`, `-` and `.` in names.",
)


UNKNOWN_LAYER_TYPE = Rule(
    "unknown-layer-type", INVALID,
    "A layer type that is not in the catalog.",
    "Layer types resolve only through the catalog (every public Keras 3 layer and its "
    "aliases) and classes registered from Python with `register_layer`. In a model file an "
    "unknown type cannot be built; in a policy's `layers:` it would make the rule match "
    "nothing; in a model being exported it is a custom class, refused by name. The message "
    "suggests the closest name.",
    bad="input: {shape: [10, 8]}\nlayers:\n  - {type: LSTMM, units: 32}\n",
    good="input: {shape: [10, 8]}\nlayers:\n  - {type: LSTM, units: 32}\n",
    fix="Correct the type name; for a class of your own, declare it once with `policyfactory declare MODULE:CLASS --write` "
        "(settings are read from the current folder up), or register it from Python with `register_layer`.",
)


LAYER_NOT_ALLOWED = Rule(
    "layer-not-allowed", INVALID,
    "A layer type that would run code given as data (Lambda and the like).",
    "`Lambda`, `TFSMLayer`, `JaxLayer`, `FlaxLayer` and `TorchModuleWrapper` run a function, "
    "module or SavedModel given as data, so a YAML file naming them could run arbitrary code; "
    "they are excluded from the catalog, in a model file and in a policy's `layers:` alike. "
    "The message gives the reason for the excluded type.",
    bad="layers:\n  - {type: Lambda, function: double}\n",
    good="layers:\n  - {type: Rescaling, scale: 2.0}\n",
    fix="Use a catalog layer that does the same, or register a layer class from Python.",
)


UNKNOWN_COMPONENT_CLASS = Rule(
    "unknown-component-class", INVALID,
    "An initializer, regularizer or constraint class that is not in the catalog.",
    "Component classes resolve only through the catalog (Keras's built-in initializers, "
    "regularizers and constraints with their aliases) and classes registered from Python "
    "with `register_component`. The message suggests the closest name of the slot's kind.",
    bad="layers:\n  - {type: Dense, units: 8, kernel_initializer: HeNormall}\n",
    good="layers:\n  - {type: Dense, units: 8, kernel_initializer: HeNormal}\n",
    fix="Correct the class name, or register the class with `register_component(kind, cls)`.",
)


COMPONENT_WRONG_KIND = Rule(
    "component-wrong-kind", INVALID,
    "A component class of another kind, such as a regularizer where an initializer is expected.",
    "Every slot takes one component kind, given by its name (`*_initializer`, "
    "`*_regularizer`, `*_constraint`), and every policy rule covers one `component:` kind. "
    "A class of another kind in a model slot or in a rule's `classes:` can never fit.",
    bad="layers:\n  - {type: Dense, units: 8, kernel_initializer: L2}\n",
    good="layers:\n  - {type: Dense, units: 8, kernel_initializer: he_normal, kernel_regularizer: L2}\n",
    fix="Move the class to a slot (or rule) of its own kind.",
)


COMPONENT_VALUE = Rule(
    "component-value", INVALID,
    "A component slot holds a value that is no name, no `{class_name, config}` and no `{shared:}`.",
    "A component is written as a Keras identifier (`he_normal`, `HeNormal`, `l2`), a config "
    "mapping `{class_name: ..., config: {...}}`, `{shared: NAME}`, or `null` for Keras's "
    "default. In Python, `LayerFactory.shared` needs `kind=` when the kind of a value cannot "
    "be told.",
    bad="layers:\n  - {type: Dense, units: 8, kernel_initializer: {name: he_normal}}\n",
    good="layers:\n  - {type: Dense, units: 8, kernel_initializer: he_normal}\n",
    fix="Write a name, `{class_name: ..., config: {...}}` or `{shared: NAME}`.",
)


CONFIG_MODULE_KEY = Rule(
    "config-module-key", INVALID,
    "`module:` or `registered_name:` in a config: names resolve only through the catalog.",
    "Keras uses `module:` and `registered_name:` to import classes while deserializing; "
    "honouring them would let a data file load arbitrary Python modules. policyfactory "
    "refuses them anywhere in a model file instead of ignoring them silently.",
    bad="layers:\n"
        "  - type: Dense\n"
        "    units: 8\n"
        "    kernel_initializer: {module: keras.initializers, class_name: HeNormal, config: {}}\n",
    good="layers:\n"
         "  - type: Dense\n"
         "    units: 8\n"
         "    kernel_initializer: {class_name: HeNormal, config: {}}\n",
    fix="Remove `module:` and `registered_name:`; register custom classes from Python instead.",
)


CONFIG_OBJECT_NOT_ALLOWED = Rule(
    "config-object-not-allowed", INVALID,
    "A Keras object config (`{class_name: ...}`) in an argument that takes plain data.",
    "Keras object configs are read only in component slots, and only after the catalog has "
    "accepted their class and every argument. Any other argument takes plain data, so a "
    "config there is refused rather than deserialized.",
    bad="layers:\n"
        "  - {type: Dense, units: 8, dtype: {class_name: DTypePolicy, config: {name: mixed_float16}}}\n",
    good="layers:\n  - {type: Dense, units: 8, dtype: mixed_float16}\n",
    fix="Give the argument its plain value (a name, a number, a list).",
)


UNKNOWN_ARGUMENT = Rule(
    "unknown-argument", INVALID,
    "A layer or component argument that the catalog does not know.",
    "Layer arguments are checked against the catalog's constructor signature, and the "
    "`config:` of a component against the class's arguments. Keras would raise at build "
    "time or, worse, ignore the argument; the message suggests the closest name.",
    bad="layers:\n  - {type: Dense, unit: 8}\n",
    good="layers:\n  - {type: Dense, units: 8}\n",
    fix="Correct the argument's name, or remove it.",
)


MISSING_ARGUMENT = Rule(
    "missing-argument", INVALID,
    "A layer argument that Keras requires is missing.",
    "Some constructor arguments have no default (`units` of Dense and LSTM, `filters` and "
    "`kernel_size` of Conv2D). The file is refused at validation instead of failing later "
    "inside Keras.",
    bad="layers:\n  - {type: Dense, activation: relu}\n",
    good="layers:\n  - {type: Dense, units: 8, activation: relu}\n",
    fix="Add the argument named in the message.",
)


UNKNOWN_ACTIVATION = Rule(
    "unknown-activation", INVALID,
    "An activation name that Keras does not have.",
    "Activation arguments (`activation`, `recurrent_activation`, ...) take the name of a "
    "built-in Keras activation. The message suggests the closest name.",
    bad="layers:\n  - {type: Dense, units: 8, activation: rleu}\n",
    good="layers:\n  - {type: Dense, units: 8, activation: relu}\n",
    fix="Correct the activation's name.",
)


UNKNOWN_ROLE = Rule(
    "unknown-role", INVALID,
    "A role in a policy rule's `roles:` that no slot has.",
    "A role is the prefix of a slot's argument name (`kernel`, `bias`, `recurrent`, "
    "`embeddings`, `gamma`, ...). A role that no layer type has makes the rule match less "
    "than its author meant; the message suggests the closest role.",
    bad="rules:\n"
        "  - id: lstm-constraints\n"
        "    component: constraint\n"
        "    layers: [LSTM]\n"
        "    roles: [kernal, recurrent]\n"
        "    share: deny\n",
    good="rules:\n"
         "  - id: lstm-constraints\n"
         "    component: constraint\n"
         "    layers: [LSTM]\n"
         "    roles: [kernel, recurrent]\n"
         "    share: deny\n",
    fix="Correct the role's name (a slot argument's prefix), or use `\"*\"`.",
    example="policy",
)


UNKNOWN_REFERENCE = Rule(
    "unknown-reference", INVALID,
    "A layer's `inputs:` or the model's `outputs:` names no model input or earlier layer.",
    "In a functional model each layer takes its inputs from named model inputs or earlier "
    "layers, and `outputs:` names layers. A name that is not defined, or not yet defined at "
    "that point, cannot be connected; a layer of a model with several inputs must name its "
    "`inputs:`.",
    bad="inputs:\n"
        "  a: {shape: [16]}\n"
        "layers:\n"
        "  - {type: Dense, name: encoder_a, inputs: [a], units: 32}\n"
        "  - {type: Dense, name: head, inputs: [encoder], units: 1}\n"
        "outputs: [head]\n",
    good="inputs:\n"
         "  a: {shape: [16]}\n"
         "layers:\n"
         "  - {type: Dense, name: encoder_a, inputs: [a], units: 32}\n"
         "  - {type: Dense, name: head, inputs: [encoder_a], units: 1}\n"
         "outputs: [head]\n",
    fix="Name a model input or a layer defined above (the message suggests the closest name).",
)
