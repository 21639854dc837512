"""Every output file is written whole or not at all.

A temporary file in the same folder is renamed into place only when complete,
so a failed or refused run leaves an existing file exactly as it was.

    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "report.txt")
    >>> with atomic_output(out) as tmp:
    ...     _ = open(tmp, "w").write("done")
    >>> open(out).read()
    'done'
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o777  # replacing a file keeps its permissions
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_output(path: str, suffix: str = ""):
    """Yield a temporary path beside `path`; rename it onto `path` if the block succeeds."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".policyfactory-", suffix=suffix, dir=folder)
    os.close(fd)
    os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600; the result should look like any file the user writes
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
