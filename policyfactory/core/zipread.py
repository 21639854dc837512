"""Bounded reads of members of a zip archive (a `.keras` file), shared by `export` and `audit`.

A member's declared size is checked before a byte of it is read, and the read
itself is bounded, so an archive that lies in its headers (or a zip bomb) costs
at most the limit. The caller says how a refusal reads (which rule, which
words) by the exception factory it passes.

    >>> import io, zipfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as zf:
    ...     zf.writestr("config.json", '{"a": 1}')
    >>> read_member(zipfile.ZipFile(buf), "config.json", 100, ValueError)
    b'{"a": 1}'
    >>> read_member(zipfile.ZipFile(buf), "config.json", 4, ValueError)
    Traceback (most recent call last):
    ...
    ValueError: refused: config.json declares 8 bytes, more than the limit (4 bytes)
    >>> parse_json('{"a": 1, "a": 2}', "config.json", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: config.json repeats the key 'a' in one object: which one Keras reads is not defined, so the file is not judged
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from typing import Any

from .text import shown

MAX_CONFIG_BYTES = 64 * 1024 * 1024  # a model's config.json larger than this is refused before it is read


def size_text(n: int) -> str:
    """A byte count as people read it: MiB from one MiB up."""
    return f"{n / (1024 * 1024):,.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def read_member(zf: zipfile.ZipFile, name: str, limit: int, refuse: Callable[[str], Exception]) -> bytes | None:
    """The bytes of member `name` (None when the archive has none), refused over `limit` bytes."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limit:
        raise refuse(f"refused: {name} declares {size_text(info.file_size)}, more than the limit "
                     f"({size_text(limit)})")
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise refuse(f"refused: {name} is larger than it declares and than the limit ({size_text(limit)})")
    return data


def parse_json(data: bytes | str, what: str, refuse: Callable[[str], Exception]) -> Any:
    """JSON data, or `refuse` with the parser's first words (never the whole text)."""
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates)
    except _Duplicate as exc:
        raise refuse(f"{what} repeats the key {shown(exc.args[0])} in one object: which one Keras reads is "
                     f"not defined, so the file is not judged") from None
    except (ValueError, RecursionError) as exc:
        raise refuse(f"{what} is not valid JSON: {str(exc)[:200]}") from None


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out
