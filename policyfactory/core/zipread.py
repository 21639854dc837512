"""The one bounded reader of zip archives (`.keras` files), shared by `export` and `audit`.

`open_archive` opens a regular file only (a FIFO or a device such as /dev/zero is
refused before a byte is read) and checks the archive's directory before any
member is read: the number of members, each compressed member's ratio of
declared to stored size (a zip bomb declares gigabytes and stores kilobytes) and
the declared size of all compressed members together. A member's declared size
is checked before it is read, and the read itself is bounded, so an archive that
lies in its headers costs at most the limit. JSON is parsed only when the number
of values it can hold (counted from its brackets and commas) is within a budget:
61 MiB of `[]` would take gigabytes as Python lists. The caller says how a
refusal reads (which rule, which words) by the function it passes.

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
    >>> parse_json("[" + "[]," * 10 + "[]]", "config.json", ValueError, max_values=10)
    Traceback (most recent call last):
    ...
    ValueError: refused: config.json holds up to 46 JSON values, more than the limit (10): parsing it would take too much memory
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .records import record
from .safeio import NotRegular, open_regular
from .text import shown

MAX_CONFIG_BYTES = 64 * 1024 * 1024  # a model's config.json larger than this is refused before it is read
MAX_JSON_VALUES = 4_000_000  # bound on JSON values in one config (a large real model has a few hundred thousand)
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, EOFError, NotImplementedError, OSError,
              zlib.error, ValueError)

# How a refusal is made: (what went wrong, message) -> the exception to raise. What went wrong is
# "limit" (a bound was reached), "format" (not a zip archive), "load" (a member cannot be read)
# or "unreadable" (the file itself: missing, not a regular file).
Refuse = Callable[[str, str], Exception]


@record(frozen=True)
class ArchiveLimits:
    """Bounds on reading one archive, the same for `export` and `audit`. Each breach is a finding (exit 2)."""

    max_config_bytes: int = MAX_CONFIG_BYTES  # config.json (and a legacy .h5's model_config)
    max_json_values: int = MAX_JSON_VALUES
    max_ratio: float = 100.0  # declared / stored size of a compressed member (Keras stores, ratio 1)
    ratio_floor: int = 1024 * 1024  # members smaller than this cannot hurt, whatever their ratio
    max_members: int = 10_000
    max_inflated_bytes: int = 4 << 30  # declared sizes of all compressed members together


DEFAULT_ARCHIVE_LIMITS = ArchiveLimits()


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


def json_values_bound(data: bytes | str) -> int:
    """An upper bound on the values and containers a JSON text holds: every one but the first follows a
    bracket, a brace or a comma (one object entry is two: its key and its value)."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    return 2 * (raw.count(b"[") + raw.count(b"{") + raw.count(b",")) + 2


def parse_json(data: bytes | str, what: str, refuse: Callable[[str], Exception],
               max_values: int = MAX_JSON_VALUES) -> Any:
    """JSON data, or `refuse` with the parser's first words (never the whole text); a text that may hold
    more than `max_values` values is refused before it is parsed."""
    bound = json_values_bound(data)
    if bound > max_values:
        raise refuse(f"refused: {what} holds up to {bound:,} JSON values, more than the limit ({max_values:,}): "
                     f"parsing it would take too much memory")
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


class Archive:
    """An open zip archive whose directory passed the limits: bounded reads of its members."""

    def __init__(self, path: str, fd: int, zf: zipfile.ZipFile, limits: ArchiveLimits, refuse: Refuse):
        self.path, self.fd, self.zf, self.limits, self._refuse = path, fd, zf, limits, refuse

    def names(self) -> set[str]:
        return set(self.zf.namelist())

    def read(self, name: str, limit: int) -> bytes | None:
        """Member `name` (None when absent), refused over `limit` bytes."""
        try:
            return read_member(self.zf, name, limit, lambda text: self._refuse("limit", text))
        except ZIP_ERRORS as exc:  # corrupt, encrypted, an unknown compression
            raise self._refuse("load", f"cannot read {name}: {str(exc)[:200]}") from None

    def json(self, name: str) -> Any:
        """Member `name` parsed as JSON within the limits (None when absent)."""
        data = self.read(name, self.limits.max_config_bytes)
        if data is None:
            return None
        return parse_json(data, name, lambda text: self._refuse("limit" if text.startswith("refused") else "load",
                                                                 text), self.limits.max_json_values)


def check_members(zf: zipfile.ZipFile, limits: ArchiveLimits, refuse: Refuse) -> None:
    """Refuse an archive with too many members, a member compressed beyond the ratio, or compressed members
    that declare more than the limit together -- before a byte of any is read."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise refuse("limit", f"the archive has {len(infos):,} members, more than the limit "
                              f"({limits.max_members:,}): not a Keras model file")
    inflated = 0
    for info in infos:
        if info.compress_type == zipfile.ZIP_STORED:
            continue
        inflated += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            raise refuse("limit", f"refused: member {shown(info.filename)} declares {size_text(info.file_size)} but "
                                  f"stores {size_text(info.compress_size)} (ratio {ratio:,.0f}, limit "
                                  f"{limits.max_ratio:g}): a decompression bomb, or not a file Keras wrote")
    if inflated > limits.max_inflated_bytes:
        raise refuse("limit", f"refused: the compressed members declare {size_text(inflated)} together, more than "
                              f"the limit ({size_text(limits.max_inflated_bytes)}); Keras stores its members "
                              f"uncompressed")


@contextmanager
def open_archive(path: str, limits: ArchiveLimits, refuse: Refuse) -> Iterator[Archive]:
    """The archive at `path`, a regular file whose directory passed `limits` (opened by `safeio`: never a FIFO)."""
    try:
        fh = open_regular(path)
    except NotRegular as exc:
        raise refuse("unreadable", f"{exc.strerror}: a model archive is a regular file") from None
    except OSError as exc:
        raise refuse("unreadable", f"cannot read the file: {exc.strerror or exc}") from None
    with fh:
        try:
            zf = zipfile.ZipFile(fh)
        except ZIP_ERRORS as exc:
            raise refuse("format", f"not a readable zip archive: {str(exc)[:200]}") from None
        with zf:
            check_members(zf, limits, refuse)
            yield Archive(path, fh.fileno(), zf, limits, refuse)  # windows read with pread: no shared offset
