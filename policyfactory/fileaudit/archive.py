"""Bounded reading of `.keras` archives: the config as JSON data, the weights through a window.

A `.keras` file is a zip archive whose members Keras stores uncompressed:
`config.json`, `metadata.json` and `model.weights.h5`. The audit reads the
config (bounded in size), and opens the weights member where it lies in the
archive, through a read-only window (`Window`) that h5py reads like a file, so
only the bytes h5py asks for (metadata and leading slices) are read.

Every member is checked against the limits before a byte of it is read: the
config's declared size, and for compressed members the ratio of declared to
stored size (a zip bomb declares gigabytes and stores kilobytes). A refused
archive is an `InvalidInput` (exit 2), never an allocation.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from ..core.findings import Finding, InvalidInput
from ..core.rules.tools import AUDIT_LOAD, LIMIT_ARCHIVE
from ..core.zipread import MAX_CONFIG_BYTES, parse_json, read_member, size_text

CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ZIP_ERRORS = (zipfile.BadZipFile, RuntimeError, EOFError, NotImplementedError, OSError, zlib.error)


@dataclass(frozen=True)
class AuditLimits:
    """Bounds on what auditing one saved model may cost. Each breach is a finding (exit 2)."""

    max_config_bytes: int = MAX_CONFIG_BYTES  # config.json (and a legacy .h5's model_config)
    max_ratio: float = 100.0  # declared / stored size of a compressed member (Keras stores, ratio 1)
    ratio_floor: int = 1024 * 1024  # members smaller than this cannot hurt, whatever their ratio
    max_members: int = 10_000
    max_weights_bytes: int = 4 << 30  # a compressed weights member is copied to a temporary file (Keras stores it)
    max_datasets: int = 1_000_000
    max_depth: int = 64  # nested groups in an HDF5 file
    max_chunk_bytes: int = 64 * 1024 * 1024  # a compressed HDF5 chunk is decompressed whole to read a slice


DEFAULT_AUDIT_LIMITS = AuditLimits()


def refuse(path: str, rule: str, message: str) -> InvalidInput:
    return InvalidInput(Finding(path, 1, 1, rule, message))


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


def check_members(path: str, zf: zipfile.ZipFile, limits: AuditLimits) -> None:
    """Refuse an archive with too many members or a member compressed beyond the ratio, before reading any."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise refuse(path, LIMIT_ARCHIVE, f"the archive has {len(infos):,} members, more than the limit "
                                            f"({limits.max_members:,}): not a Keras model file")
    for info in infos:
        if info.compress_type == zipfile.ZIP_STORED or info.file_size <= limits.ratio_floor:
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise refuse(path, LIMIT_ARCHIVE,
                         f"refused: member '{info.filename}' declares {size_text(info.file_size)} but stores "
                         f"{size_text(info.compress_size)} (ratio {ratio:,.0f}, limit {limits.max_ratio:g}): "
                         f"a decompression bomb, or not a file Keras wrote")


def read_config(path: str, zf: zipfile.ZipFile, limits: AuditLimits) -> Any:
    """config.json as JSON data, its declared size checked before reading and the read bounded."""
    data = read_member(zf, CONFIG, limits.max_config_bytes, lambda text: refuse(path, LIMIT_ARCHIVE, text))
    if data is None:
        raise refuse(path, AUDIT_LOAD, f"the archive has no {CONFIG}: not a Keras 3 .keras file")
    return parse_config(path, data, CONFIG)


def parse_config(path: str, data: bytes | str, what: str) -> dict:
    """A saved model's config: a JSON object (`{"class_name": ..., "config": {...}}`), else refused."""
    config = parse_json(data, what, lambda text: refuse(path, AUDIT_LOAD, text))
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
def weights_file(path: str, zf: zipfile.ZipFile, limits: AuditLimits) -> Iterator[IO[bytes] | Window]:
    """The weights member as a seekable file: a window on the archive (stored), or a bounded temporary copy."""
    names = set(zf.namelist())
    if WEIGHTS not in names:
        other = "model.weights.npz" in names
        raise refuse(path, AUDIT_LOAD, "the weights are saved as .npz, which the audit does not read"
                     if other else f"the archive has no {WEIGHTS}: not a Keras 3 .keras file")
    info = zf.getinfo(WEIGHTS)
    if info.compress_type == zipfile.ZIP_STORED:
        fd = os.open(path, os.O_RDONLY)
        try:
            yield _stored_window(path, fd, info)
        finally:
            os.close(fd)
        return
    if info.file_size > limits.max_weights_bytes:
        raise refuse(path, LIMIT_ARCHIVE, f"refused: {WEIGHTS} is compressed and declares {size_text(info.file_size)}, "
                                            f"more than the limit for a copy ({size_text(limits.max_weights_bytes)}); "
                                            f"Keras stores it uncompressed, which the audit reads in place")
    with tempfile.TemporaryFile() as tmp:
        try:
            with zf.open(info) as src:  # zipfile stops at the declared size
                shutil.copyfileobj(src, tmp, 1024 * 1024)
        except _ZIP_ERRORS as exc:
            raise refuse(path, AUDIT_LOAD, f"cannot read {WEIGHTS}: {exc}") from None
        tmp.seek(0)
        yield tmp


@contextmanager
def open_keras(path: str, limits: AuditLimits = DEFAULT_AUDIT_LIMITS) -> Iterator[tuple[Any, IO[bytes] | Window]]:
    """(config as JSON data, weights as a seekable file) of a `.keras` archive, within `limits`."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise refuse(path, AUDIT_LOAD, f"not a readable zip archive: {exc}") from None
    with zf:
        check_members(path, zf, limits)
        try:
            config = read_config(path, zf, limits)
        except _ZIP_ERRORS as exc:  # corrupt, encrypted, an unknown compression
            raise refuse(path, AUDIT_LOAD, f"cannot read {CONFIG}: {exc}") from None
        with weights_file(path, zf, limits) as fh:
            yield config, fh
