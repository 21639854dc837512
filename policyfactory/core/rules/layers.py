"""Layers and the model's shape: names, inputs, wiring and wrappers."""

from ..ruletype import INVALID, Rule

DUPLICATE_LAYER_NAME = Rule(
    "duplicate-layer-name", INVALID,
    "Two layers have the same name.",
    "Layer names identify slots in findings, `allow:` entries and derived seeds, and Keras "
    "requires them to be unique in a model. Unnamed layers get Keras-style names (`dense`, "
    "`dense_1`, ...) that never collide with names already taken.",
    bad="layers:\n"
        "  - {type: Dense, name: dense_a, units: 32}\n"
        "  - {type: Dense, name: dense_a, units: 8}\n",
    good="layers:\n"
         "  - {type: Dense, name: dense_a, units: 32}\n"
         "  - {type: Dense, name: dense_b, units: 8}\n",
    fix="Rename one of the layers, or leave the name out to get a generated one.",
)


INPUTS_IN_SEQUENTIAL = Rule(
    "inputs-in-sequential", INVALID,
    "A layer names `inputs:` in a sequential model (one with top-level `input:`).",
    "A sequential model runs its layers in order, so per-layer `inputs:` would be ignored. "
    "Per-layer `inputs:` belong to the functional form, which declares named top-level "
    "`inputs:` instead of `input:`.",
    bad="input: {shape: [16]}\n"
        "layers:\n"
        "  - {type: Dense, name: encoder, inputs: [x], units: 32}\n",
    good="inputs:\n"
         "  x: {shape: [16]}\n"
         "layers:\n"
         "  - {type: Dense, name: encoder, inputs: [x], units: 32}\n",
    fix="Drop the layer's `inputs:`, or switch to the functional form with top-level `inputs:`.",
)


MODEL_INPUTS = Rule(
    "model-inputs", INVALID,
    "The model has neither or both of `input:` and `inputs:`, or `outputs:` without `inputs:`.",
    "A model is either sequential (`input: {shape: [...]}`, layers run in order) or "
    "functional (named `inputs:`, optional `outputs:`). Without an input Keras cannot build "
    "it; with both forms its shape would be ambiguous.",
    bad="kind: model\nversion: 1\nlayers:\n  - {type: Dense, units: 1}\n",
    good="kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, units: 1}\n",
    fix="Give exactly one of `input:` (sequential) or `inputs:` (functional, with `outputs:`).",
)


WRAPPER_LAYER = Rule(
    "wrapper-layer", INVALID,
    "A wrapper given a layer it cannot wrap (Bidirectional needs a recurrent layer).",
    "`Bidirectional` runs its layer forwards and a rebuilt copy backwards, so the layer must "
    "be recurrent. In Python, `LayerFactory.Bidirectional` needs a layer made by the same "
    "factory (or an explicit `backward_layer=`), so that the backward copy gets its own seeds.",
    bad="input: {shape: [10, 8]}\nlayers:\n"
        "  - type: Bidirectional\n"
        "    layer: {type: Dense, units: 16}\n",
    good="input: {shape: [10, 8]}\nlayers:\n"
         "  - type: Bidirectional\n"
         "    layer: {type: LSTM, units: 16}\n",
    fix="Wrap a recurrent layer (LSTM, GRU, SimpleRNN, RNN) made by this factory.",
)


UNKNOWN_OPERATION = Rule(
    "unknown-operation", INVALID,
    "An `op:` entry names an operation outside policyfactory's closed list.",
    "A model file may apply Keras operations to tensors as Keras's functional API does (`x * 2`, "
    "`keras.ops.concatenate`), written as entries like layers: `{op: multiply, inputs: [x], value: 2.0}`. "
    "The operations are a closed list mapped to Keras in policyfactory's code (arithmetic, activations, "
    "concatenate, reshape, mean, sum); a file never names a function to run.",
    bad="inputs: {x: {shape: [4]}}\nlayers:\n  - {op: evaluate, inputs: [x]}\n",
    good="inputs: {x: {shape: [4]}}\nlayers:\n  - {op: multiply, inputs: [x], value: 2.0}\n",
    fix="Use an operation of the list the message gives, or a catalog layer.",
)


CALL_ENTRY = Rule(
    "call-entry", INVALID,
    "A `call:` entry that does not name an earlier layer, or gives the layer arguments again.",
    "`{call: enc, inputs: [b]}` applies the layer `enc` again, with the same weights (a siamese tower, "
    "weight tying): one layer, several calls. It names a layer entry written above it, and takes only "
    "`call:`, `name:` and `inputs:`; the layer's arguments are those of its own entry.",
    bad="inputs: {a: {shape: [4]}, b: {shape: [4]}}\nlayers:\n"
        "  - {type: Dense, name: enc, inputs: [a], units: 3}\n"
        "  - {call: encoder, inputs: [b]}\n"
        "outputs: [enc, enc_call]\n",
    good="inputs: {a: {shape: [4]}, b: {shape: [4]}}\nlayers:\n"
         "  - {type: Dense, name: enc, inputs: [a], units: 3}\n"
         "  - {call: enc, inputs: [b]}\n"
         "outputs: [enc, enc_call]\n",
    fix="Name a layer entry written above the call, and give arguments on that entry only.",
)
