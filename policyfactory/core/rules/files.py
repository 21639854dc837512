"""Files: reading inputs, and paths written in files that would leave the project."""

from ..ruletype import INVALID, Rule

FILE_UNREADABLE = Rule(
    "file-unreadable", INVALID,
    "A path that does not exist, is a directory, or cannot be read.",
    "Every command reads its input files itself. A missing file, a directory or a permission "
    "error is reported as a finding at line 1 of the path rather than as a traceback.",
    bad="policyfactory validate models/\n",
    good="policyfactory validate models/*.yaml\n",
    fix="Check the path (and its permissions); pass files, not directories.",
    example="shell",
)


PATH_OUTSIDE_PROJECT = Rule(
    "path-outside-project", INVALID,
    "A path written in a file (`policy:`, `extends:`, a settings file's `policy`) leaves the project.",
    "A file may refer only to files inside the project that holds it: the nearest folder above "
    "it with `.git` or `pyproject.toml`, else its own folder. Symbolic links are resolved first. "
    "The `policy` of `[tool.policyfactory]` or `policyfactory.toml` is confined the same way. "
    "The target is not read, so a model file cannot make the tool read (and echo) `/etc/shadow` "
    "or a secret next to the repository. Pass --allow-outside to accept such paths on purpose.",
    bad="policy: ../../../etc/passwd\n",
    good="policy: policies/team.yaml\n",
    fix="Move the policy into the project and refer to it by a relative path, or pass --allow-outside.",
    example="shell",
)


FILE_PATH_ARGUMENT = Rule(
    "file-path-argument", INVALID,
    "A layer argument that Keras would read as a file path is given as a string.",
    "Lookup and vectorization layers (`StringLookup`, `IntegerLookup`, `TextVectorization`) read "
    "`vocabulary` and `idf_weights` from a file when they are strings, and `build` would copy that "
    "file into the saved model. Model files accept them only as inline lists.",
    bad="layers:\n  - {type: StringLookup, vocabulary: /etc/shadow}\n",
    good="layers:\n  - {type: StringLookup, vocabulary: [cat, dog, bird]}\n",
    fix="Write the vocabulary inline as a list.",
)
