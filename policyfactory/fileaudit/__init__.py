"""The Keras-free audit: one engine for live models and saved files, and the readers of saved files.

Why a package of its own: the audit of a saved model needs `numpy` and `h5py`
(the `audit` extra) but neither Keras nor TensorFlow, and the core needs
neither. This package imports the standard library, numpy, h5py and
`policyfactory.core` only; the core never imports it, and the Keras side
(`keras_side/audit.py`) imports its engine to audit live models.

* `engine` -- the one engine: component groups judged by the policy, and
  weights drawn from one random stream found exactly and grouped. It takes
  plain records (slot uses, weight samples), so a live model and a file give
  the same findings with the same paths.
* `layout` -- which variable of which Keras layer an initializer slot makes.
* `configwalk` -- the component slots of a saved config's layers (walked by `core.kerasconfig`).
* `archive` -- bounded reading of `.keras` zip archives (limits, no bombs).
* `h5read` -- leading slices of the weights in Keras 3 and legacy HDF5 layouts.
* `files` -- `audit_file(path, ...)`: one file in, findings out.

Nothing read from a file chooses which Python code runs: configs are JSON
data, weights are numbers, and no object is ever deserialized.
"""
