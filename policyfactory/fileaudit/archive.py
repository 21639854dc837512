"""Bounded reading of `.keras` archives: the config as JSON data, the weights through a window.

A `.keras` file is a zip archive whose members Keras stores uncompressed:
`config.json`, `metadata.json` and `model.weights.h5`. The audit opens it with
the one bounded archive reader that `export` uses too (`core/zipread.py`: a
regular file only; member count, compression ratio and total decompressed size
checked before a byte of a member is read; the config read and parsed within
the same limits), and opens the weights member where it lies in the archive,
through a read-only window (`Window`) that h5py reads like a file, so only the
bytes h5py asks for (metadata and leading slices) are read. A refused archive
is an `InvalidInput` (exit 2), never an allocation.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from ..core.findings import Finding, InvalidInput
from ..core.records import record
from ..core.rules.files import FILE_UNREADABLE
from ..core.rules.tools import AUDIT_LOAD, LIMIT_ARCHIVE
from ..core.zipread import ZIP_ERRORS, Archive, ArchiveLimits, Refuse, open_archive, parse_json, size_text

CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"


@record(frozen=True)
class AuditLimits(ArchiveLimits):
    """Bounds on what auditing one saved model may cost: the archive's (shared with `export`) and HDF5's.
    Each breach is a finding (exit 2)."""

    max_weights_bytes: int = 4 << 30  # a compressed weights member is copied to a temporary file (Keras stores it)
    max_datasets: int = 1_000_000
    max_depth: int = 64  # nested groups in an HDF5 file
    max_chunk_bytes: int = 64 * 1024 * 1024  # a compressed HDF5 chunk is decompressed whole to read a slice
    max_decompressed_bytes: int = 512 << 20  # HDF5 chunks decompressed to read leading values, per file


DEFAULT_AUDIT_LIMITS = AuditLimits()
_RULES = {"limit": LIMIT_ARCHIVE, "format": AUDIT_LOAD, "load": AUDIT_LOAD, "unreadable": FILE_UNREADABLE}


def refuse(path: str, rule: str, message: str) -> InvalidInput:
    return InvalidInput(Finding(path, 1, 1, rule, message))


def refuser(path: str) -> Refuse:
    """How the shared archive reader refuses for the audit: `limit-archive`, `audit-load`, `file-unreadable`."""
    return lambda what, message: refuse(path, _RULES[what], message)


class Window(io.RawIOBase):
    """A read-only, seekable view of `size` bytes at `start` of an open file (h5py reads it as a file)."""

    def __init__(self, fd: int, start: int, size: int):
        super().__init__()
        self._fd, self._start, self._size, self._pos = fd, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = max(0, min(len(view), self._size - self._pos))
        if n == 0:
            return 0
        data = os.pread(self._fd, n, self._start + self._pos)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


def parse_config(path: str, data: bytes | str, what: str, limits: ArchiveLimits) -> dict:
    """A saved model's config: a JSON object (`{"class_name": ..., "config": {...}}`), else refused."""
    config = parse_json(data, what, lambda text: refuse(path, LIMIT_ARCHIVE if text.startswith("refused")
                                                        else AUDIT_LOAD, text), limits.max_json_values)
    if not isinstance(config, dict):
        raise refuse(path, AUDIT_LOAD, f"{what} holds a JSON {_json_type(config)}, not the object Keras "
                                         f"writes: not a Keras model file")
    return config


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _stored_window(path: str, fd: int, info: zipfile.ZipInfo) -> Window:
    header = os.pread(fd, _LOCAL_HEADER.size, info.header_offset)
    if len(header) < _LOCAL_HEADER.size:
        raise refuse(path, AUDIT_LOAD, f"the archive is truncated at member '{info.filename}'")
    signature, name_len, extra_len = _LOCAL_HEADER.unpack(header)
    start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
    if signature != _LOCAL_SIGNATURE or start + info.file_size > os.fstat(fd).st_size:
        raise refuse(path, AUDIT_LOAD, f"member '{info.filename}' lies outside the archive: the file is corrupt")
    return Window(fd, start, info.file_size)


@contextmanager
def weights_file(archive: Archive, limits: AuditLimits) -> Iterator[IO[bytes] | Window]:
    """The weights member as a seekable file: a window on the archive (stored), or a bounded temporary copy."""
    path, zf = archive.path, archive.zf
    names = archive.names()
    if WEIGHTS not in names:
        other = "model.weights.npz" in names
        raise refuse(path, AUDIT_LOAD, "the weights are saved as .npz, which the audit does not read"
                     if other else f"the archive has no {WEIGHTS}: not a Keras 3 .keras file")
    info = zf.getinfo(WEIGHTS)
    if info.compress_type == zipfile.ZIP_STORED:
        yield _stored_window(path, archive.fd, info)
        return
    if info.file_size > limits.max_weights_bytes:
        raise refuse(path, LIMIT_ARCHIVE, f"refused: {WEIGHTS} is compressed and declares {size_text(info.file_size)}, "
                                            f"more than the limit for a copy ({size_text(limits.max_weights_bytes)}); "
                                            f"Keras stores it uncompressed, which the audit reads in place")
    with tempfile.TemporaryFile() as tmp:
        try:
            with zf.open(info) as src:  # zipfile stops at the declared size
                shutil.copyfileobj(src, tmp, 1024 * 1024)
        except ZIP_ERRORS as exc:
            raise refuse(path, AUDIT_LOAD, f"cannot read {WEIGHTS}: {exc}") from None
        tmp.seek(0)
        yield tmp


@contextmanager
def open_keras(path: str, limits: AuditLimits = DEFAULT_AUDIT_LIMITS) -> Iterator[tuple[Any, IO[bytes] | Window]]:
    """(config as JSON data, weights as a seekable file) of a `.keras` archive, within `limits`."""
    with open_archive(path, limits, refuser(path)) as archive:
        data = archive.read(CONFIG, limits.max_config_bytes)
        if data is None:
            raise refuse(path, AUDIT_LOAD, f"the archive has no {CONFIG}: not a Keras 3 .keras file")
        config = parse_config(path, data, CONFIG, limits)
        with weights_file(archive, limits) as fh:
            yield config, fh
