"""Open only regular files, and never wait on one: the one way the core opens a file it did not write.

Why: a FIFO named `m.yaml` blocks `open()` until someone writes to it, and
`/dev/zero` never ends; a walk or a `validate` in CI must end. So a file is
`stat`-ed before it is opened (a device is never opened at all), opened with
`O_NONBLOCK` (a FIFO that appears between the two calls does not block), and
checked again on the open descriptor: anything but a regular file raises
`NotRegular`, an `OSError`, so the callers' usual "cannot read" handling
applies.

Being the one way in, it is also where a check says what it read: inside
`recording_reads()` every file opened here (and every reference followed,
`note_dependency`) is listed, so the results cache (core/resultcache.py) keeps
only results that depend on nothing but the file checked.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".yaml") as f:
    ...     _ = f.write(b"kind: model\\n"); f.flush()
    ...     read_regular(f.name, 4)
    b'kind'
    >>> read_regular("/dev/null", 10)
    Traceback (most recent call last):
    ...
    policyfactory.core.safeio.NotRegular: [Errno 22] is a device, not a regular file: '/dev/null'
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

_READS: list[tuple[str | None, bytes | None]] | None = None  # inside recording_reads(): what was read


@contextmanager
def recording_reads() -> Iterator[list[tuple[str | None, bytes | None]]]:
    """List what is read inside the block: (path, the bytes read or None when only opened or probed), and
    (None, None) for a dependency that is not a read (a `policy:` path followed, a policy file named)."""
    global _READS
    outer, _READS = _READS, []
    try:
        yield _READS
    finally:
        _READS = outer


def note_read(path: str | None, data: bytes | None = None) -> None:
    """Record a read (or, with `path` None, a dependency on something else than a file's bytes) when recording."""
    if _READS is not None:
        _READS.append((path, data))


def note_dependency() -> None:
    """The result being computed depends on more than the bytes read so far (a path written in a file, whether
    it exists, where its project ends): a result recorded with this is never cached."""
    note_read(None)


class NotRegular(OSError):
    """A path that is not a regular file (a directory, a FIFO, a device, a socket)."""


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _refuse(mode: int, path: str) -> NotRegular:
    return NotRegular(errno.EINVAL, f"is {kind_of(mode)}, not a regular file", path)


def open_regular(path: str, *, follow: bool = True) -> BinaryIO:
    """A binary file object on `path` when it is a regular file; `NotRegular` (without blocking) otherwise.
    With `follow=False` a symbolic link is refused too (`OSError` ELOOP)."""
    note_read(path)
    st = os.stat(path) if follow else os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        if stat.S_ISLNK(st.st_mode):
            raise OSError(errno.ELOOP, "is a symbolic link", path)
        raise _refuse(st.st_mode, path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced between stat and open
            raise _refuse(st.st_mode, path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str, limit: int, *, follow: bool = True) -> bytes:
    """At most `limit` bytes of the regular file `path` (`NotRegular` for anything else)."""
    with open_regular(path, follow=follow) as fh:
        data = fh.read(limit)
    note_read(path, data)
    return data
