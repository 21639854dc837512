"""Keep TensorFlow's start-up chatter off a command's stderr, and let real errors through.

Why: `build` and `audit` import TensorFlow, whose C++ side writes lines such as
"All log messages before absl::InitializeLog() is called are written to
STDERR", "Could not find cuda drivers", "failed call to cuInit" or oneDNN
notices straight to file descriptor 2, before any Python logging is set up and
whatever `TF_CPP_MIN_LOG_LEVEL` says. The command line runs its Keras work
inside `quiet_tensorflow()`: descriptor 2 goes to a temporary file, and on the
way out every line that is not known start-up noise is written back to stderr,
so a real error still shows. Used by the CLI only: the library never touches
process-wide descriptors.

    >>> noise(b"I0000 00:00:1795922258.929547   21930 cudart_stub.cc:31] Could not find cuda drivers")
    True
    >>> noise(b"ValueError: something real")
    False
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_NOISE = (
    b"absl::InitializeLog()",
    b"cudart_stub.cc",
    b"cuda_platform.cc",
    b"cuda_executor.cc",
    b"cuda_dnn.cc", b"cuda_fft.cc", b"cuda_blas.cc",
    b"computation_placer.cc",
    b"oneDNN custom operations are on",
    b"cpu_feature_guard.cc",
    b"rebuild TensorFlow with the appropriate compiler flags",
    b"This TensorFlow binary is optimized to use available CPU instructions",
    b"TF-TRT Warning",
    b"Unable to register cuDNN factory", b"Unable to register cuFFT factory", b"Unable to register cuBLAS factory",
)


def noise(line: bytes) -> bool:
    """Whether a stderr line is TensorFlow start-up noise (never a Python error or warning)."""
    return any(marker in line for marker in _NOISE)


@contextmanager
def quiet_tensorflow() -> Iterator[None]:
    """Run the block with TensorFlow's start-up lines filtered from stderr (POLICYFACTORY_TF_LOG=1: unfiltered)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ.get("POLICYFACTORY_TF_LOG"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (an embedding host): nothing to filter
        yield
        return
    import tempfile  # only where TensorFlow is imported: validate never pays for it

    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().splitlines(keepends=True) if not noise(line)]
            if kept:
                sys.stderr.write(b"".join(kept).decode("utf-8", "replace"))  # through sys.stderr: a failure is seen
                sys.stderr.flush()
