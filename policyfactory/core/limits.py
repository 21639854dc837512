"""`Limits`: what one file may cost, in bytes, depth, nodes, layers and parameters.

Why a module of its own: the command line, the folder walk and the results
cache need the limits before (and, when every result is known, without) the
YAML loader, which imports PyYAML.

    >>> Limits(max_bytes=1000).max_depth
    64
"""

from __future__ import annotations

from .records import record


@record(frozen=True)
class Limits:
    """Bounds on what one file may cost. Each breach is its own finding (exit 2)."""

    max_bytes: int = 5 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 1_000_000
    max_layers: int = 50_000
    max_expanded: int = 20 * 1024 * 1024  # characters of scalar text after alias expansion
    max_params: int = 1_000_000_000  # weights one layer may hold (validate's estimate)


DEFAULT_LIMITS = Limits()
MAX_BYTES_CEILING = 1 << 30  # --max-bytes at most 1 GiB: the loader holds a file in memory
MAX_PARAMS_CEILING = 10**15
