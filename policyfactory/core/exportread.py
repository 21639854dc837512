"""Reading a `.keras` file as data: its `config.json` and the Keras version in its `metadata.json`.

Why TF-free: a `.keras` file is a zip archive whose `config.json` describes the
model as plain JSON; reading it with the one bounded archive reader
(`zipread.open_archive`) never loads weights, deserializes objects or runs code.
"""

from __future__ import annotations

import json
import os

from .findings import Finding, InvalidInput
from .rules.tools import EXPORT_INPUT
from .zipread import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, open_archive, parse_json

MAX_METADATA_BYTES = 1024 * 1024


def read_keras_config(path: str, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) -> tuple[dict, str | None]:
    """The parsed `config.json` of a `.keras` file, and the Keras version in its `metadata.json` (if any).

    Read by the one bounded archive reader the audit uses too (`zipread.open_archive`): a regular
    file only, members counted and their compression checked before any is read, each read and
    the JSON parse bounded, so a zip bomb or a lying header costs at most the limits.
    """

    def unreadable(message: str) -> InvalidInput:
        return InvalidInput(Finding(path, 1, 1, EXPORT_INPUT, message))

    def refuse(what: str, message: str) -> InvalidInput:
        if what == "format":
            return unreadable("not a .keras file (a zip archive with config.json); for a legacy .h5 file, "
                              "load it in Python and use pf.export(model)")
        return unreadable(message)

    if not os.path.exists(path):
        raise unreadable("no such file")
    if os.path.isdir(path):
        raise unreadable("is a directory (a SavedModel folder?): export reads .keras files")
    with open_archive(path, limits, refuse) as archive:
        data = archive.read("config.json", limits.max_config_bytes)
        if data is None:
            raise unreadable("the archive has no config.json: not a Keras 3 .keras file")
        meta = archive.read("metadata.json", MAX_METADATA_BYTES)
    config = parse_json(data, "config.json", unreadable, limits.max_json_values)
    if not isinstance(config, dict):
        raise unreadable("config.json does not hold a model config (a JSON object)")
    return config, _keras_version(meta)


def _keras_version(meta: bytes | None) -> str | None:
    try:
        value = json.loads(meta) if meta else None
    except (ValueError, RecursionError):
        return None
    version = value.get("keras_version") if isinstance(value, dict) else None
    return version if isinstance(version, str) else None
