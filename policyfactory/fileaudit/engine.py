"""The one audit engine: component groups judged by the policy, and weights drawn from one random stream.

Both audits feed it the same plain records: the live audit (`pf.audit(model)`,
`keras_side/audit.py`) adapts a live model, the file audit (`files.py`) reads a
saved one. So a model gives the same findings, with the same paths, wherever it
is audited.

* **Components.** Every filled slot is a `SlotUse` with its sharing-group key
  (one object in a live model, or one initializer class with one explicit seed).
  Groups of two or more slots are judged by the policy (`SharingLedger`), and
  a denied group is one `sharing-violation` naming every slot by its full path
  (`encoder/self_attention/query.kernel_initializer`).
* **Streams.** Every weight is a `WeightSample`: its path and its first values
  (at most `SAMPLE`). Two weights are drawn from one stream when their common
  leading values correlate with |r| > 0.999 (identical values are r = 1; the
  same stream at another shape is the same values scaled). Every such pair is
  found: each pair's correlation is bounded from above exactly (the dot product
  of the first `PREFIX` standardized values plus a Cauchy-Schwarz bound on the
  rest, computed for all pairs at once as one matrix product), and only pairs
  the bound cannot rule out are computed in full. Pairs are joined into stream
  groups (union of pairs), and each group is **one** `correlated-weights`
  finding listing every weight and the evidence (identical values, or the
  lowest correlation).
* Weights whose initializer is deterministic (zeros, ones, constant, identity;
  normalization statistics) carry no stream, and training can make them equal
  (the two batch norms of a residual block get identical gradients), so they
  are skipped, as are weights under `MIN_SIZE` values and piecewise-constant ones.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=300)
    >>> b = a.copy(); b[3] = -b[3]                     # one sign flipped (a small value: r = 0.99993)
    >>> c = rng.normal(size=300)
    >>> ws = [WeightSample(p, v, v.size) for p, v in (("a/kernel", a), ("b/kernel", b), ("c/kernel", c))]
    >>> [(g.paths, g.identical) for g in stream_groups(ws)]
    [(['a/kernel', 'b/kernel'], False)]
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..core.catalog import catalog
from ..core.findings import Finding
from ..core.plan import Allow, apply_allows, group_summary
from ..core.policy import Policy
from ..core.records import field, record, replace
from ..core.rules.sharing import CORRELATED_WEIGHTS
from ..core.sharing import SharingLedger, SlotRef
from .layout import STATISTICS

SAMPLE = 4096  # leading values read and compared per weight
TSAMPLE = 1024  # leading values of a matrix's transpose (its first columns), compared with other weights' rows
PREFIX = 64  # standardized values in the exact upper bound that prunes pairs
MIN_SIZE = 16  # smaller weights are not compared (chance correlations)
MIN_DISTINCT = 8  # fewer distinct leading values: piecewise-constant (zeros, ones, constant, identity ...)
THRESHOLD = 0.999
_BLOCK = 512  # rows of the pair bound computed at once (bounds memory: _BLOCK x weights)
_MARGIN = 1e-6  # rounding in the float64 bound is far below this


@record(frozen=True)
class SlotUse:
    """One filled slot of one layer, as the engine needs it."""

    layer: str  # full layer path, e.g. "encoder/self_attention/query"
    layer_type: str  # catalog name, or the class name of a layer the catalog does not know
    arg: str  # e.g. "kernel_initializer"
    kind: str
    role: str
    class_name: str  # the component's class (canonical catalog name where known)
    key: str | None  # sharing-group key: one object or one explicit seed; None when fresh
    label: str  # the group's label, e.g. "HeNormal(seed=1)" or "one HeNormal object"
    owner: str  # the layer that counts as "one layer" for within-layer rules

    @property
    def path(self) -> str:
        return f"{self.layer}.{self.arg}"


@record
class WeightSample:
    """One weight: its path, its leading values, and why it is not compared (None: it is)."""

    path: str
    values: np.ndarray  # the first min(size, SAMPLE) values, flattened in C order
    size: int  # all values of the weight
    skip: str | None = None
    group: str | None = None  # sharing-group key of the initializer that made it, when known
    # The initializer is unknown and the weight is a vector (a custom layer's bias or norm scale, most
    # likely zeros or ones moved by training, where layers get alike updates): only values identical
    # (up to signs) to another weight's count as one stream, never a mere correlation.
    exact_only: bool = False
    # A matrix (rows >= columns > 1): the first values of its transpose, so a transposed copy is found
    # (another weight's rows equal this one's columns).
    transposed: np.ndarray | None = None


@record
class StreamGroup:
    """Weights drawn from one random stream: every path, and the evidence."""

    indexes: list[int]
    paths: list[str]
    identical: bool  # every found pair identical over its common values
    lowest_r: float  # the lowest |r| among the found pairs (of their magnitudes, for a pair found by them)
    values: int  # the fewest common values any found pair was compared on
    sign_differences: int | None = None  # every pair equal in magnitude: the most values differing in sign
    by_magnitude: bool = False  # some pair correlates in magnitude only (signs differ)
    transposed: bool = False  # some pair is one matrix's columns against another's rows
    r: float = 0.0  # r with its sign, of the pair with the lowest |r| (a negated copy is r = -1)


@record
class AuditResult:
    """Findings, the sharing groups the verdict allows, and what the stream check compared."""

    findings: list[Finding] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    compared: int = 0  # weights compared
    skipped: int = 0  # weights skipped as deterministic, constant or tiny


# -- reading leading values ------------------------------------------------------------

def leading_index(shape: Sequence[int], n: int) -> tuple:
    """An index that selects the first `n` values (C order) of an array of `shape`, and fewer than 2n + 1.

    Works on numpy arrays, h5py datasets and tensors alike, so only that slice is read.

        >>> leading_index((512, 512, 3, 3), 100)
        (0, slice(None, 12, None))
        >>> leading_index((10, 4), 100)
        (slice(None, 10, None),)
    """
    index: list[Any] = []
    for axis in range(len(shape)):
        rest = math.prod(shape[axis + 1:])
        if rest >= n and axis < len(shape) - 1:
            index.append(0)
            continue
        index.append(slice(None, min(shape[axis], -(-n // max(rest, 1)))))
        break
    return tuple(index)


def leading_values(array: Any, shape: Sequence[int], n: int = SAMPLE,
                   to_numpy: Callable[[Any], np.ndarray] = np.asarray) -> np.ndarray:
    """The first `n` values of `array` as float32, reading only a leading slice."""
    if math.prod(shape) == 0:
        return np.zeros(0)
    part = array[leading_index(shape, n)] if shape else array
    values = np.asarray(to_numpy(part), dtype=np.float32).ravel()[:n]
    # A NaN or an infinity would make every correlation with this weight NaN and hide the rest of its
    # values: it counts as 0, so a weight with one bad value is still compared on all the others.
    return values if np.isfinite(values).all() else np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)


def has_transpose(shape: Sequence[int]) -> bool:
    """Whether a weight gets a transposed sample: a matrix with rows >= columns > 1 (of a transposed pair,
    one is always such a matrix, and its columns are the other's rows)."""
    return len(shape) == 2 and shape[0] >= shape[1] > 1


def transposed_index(shape: Sequence[int], n: int) -> tuple:
    """An index of a matrix that holds the first `n` values of its transpose (its first columns).

        >>> transposed_index((4096, 512), 1024)
        (slice(None, 1024, None), slice(None, 1, None))
        >>> transposed_index((64, 32), 1024)
        (slice(None, 64, None), slice(None, 16, None))
    """
    rows = min(shape[0], n)
    return slice(None, rows), slice(None, min(shape[1], -(-n // max(shape[0], 1))))


def transposed_values(array: Any, shape: Sequence[int], n: int = TSAMPLE,
                      to_numpy: Callable[[Any], np.ndarray] = np.asarray) -> np.ndarray:
    """The first `n` values of a matrix's transpose (column by column) as float32, reading only that block."""
    part = np.asarray(to_numpy(array[transposed_index(shape, n)]), dtype=np.float32)
    values = part.T.ravel()[:n]
    return values if np.isfinite(values).all() else np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)


def constant_like(values: np.ndarray) -> bool:
    """Too few distinct values to carry a random stream (zeros, ones, identity, a constant)."""
    if values.size < MIN_SIZE:
        return True
    return np.unique(values[:256]).size < MIN_DISTINCT and np.unique(values).size < MIN_DISTINCT


def deterministic_class(kind: str, class_name: str) -> bool:
    """Whether a component class draws no random stream (zeros, ones, constant, identity ...)."""
    comp = catalog().component(kind, class_name)
    return comp is not None and kind == "initializer" and not comp.random


def weight_sample(path: str, values: np.ndarray, shape: Sequence[int], *, name: str | None, arg: str | None,
                  initializer: str | None, group: str | None = None, skip: str | None = None,
                  transposed: Callable[[], np.ndarray | None] | None = None) -> WeightSample:
    """One weight as the engine compares it: the one classifier for live and saved models.

    `name` is the variable's own name (kernel, moving_mean ...), `arg` the slot
    that made it, `initializer` that slot's initializer class when known, and
    `group` its sharing-group key. A weight is not compared when its initializer
    is deterministic (zeros, ones, constant, identity), when it is a
    normalization statistic no slot made, or when it is tiny or piecewise
    constant; a vector whose initializer is unknown counts only when identical
    (up to signs) to another weight. `transposed` reads the first values of a
    matrix's transpose, only for a weight that is compared.
    """
    size = math.prod(shape) if shape else 1
    if skip is None and initializer is not None and deterministic_class("initializer", initializer):
        skip, group = f"deterministic initializer {initializer}", None
    if skip is None and name in STATISTICS and arg is None:
        skip = "normalization statistic"
    if skip is None and (size < MIN_SIZE or constant_like(values)):
        skip = "constant or tiny"
    flipped = transposed() if skip is None and transposed is not None and has_transpose(shape) else None
    return WeightSample(path, values, size, skip, None if skip else group,
                        exact_only=initializer is None and len(shape) <= 1, transposed=flipped)


# -- components ------------------------------------------------------------------------------

def component_findings(slots: Iterable[SlotUse], policy: Policy, file: str) -> tuple[list[Finding], SharingLedger]:
    """Sharing groups (two or more slots with one key) judged by the policy: one finding per denied group."""
    ledger = SharingLedger(policy)
    for s in slots:
        if s.key is None:
            continue
        ref = SlotRef(s.layer, s.layer_type, s.arg, s.kind, s.role, s.owner, file, 1, 1)
        ledger.join(s.key, s.kind, s.class_name, ref, s.label)
    return ledger.violations(), ledger


# -- streams ---------------------------------------------------------------------------------

class _Union:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r of two equally long vectors, in float64 (0 when one is constant)."""
    x = x.astype(np.float64) - x.mean(dtype=np.float64)
    y = y.astype(np.float64) - y.mean(dtype=np.float64)
    den = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y) / den if den > 0 else 0.0


class _Prefixes:
    """The samples as one matrix, with every weight's sum and sum of squares over its first n values.

    Lengths are visited in ascending order and the sums grow with them (`advance`), so all of
    them together cost one pass over the samples. With them, a weight's first values
    standardized over its first n values (mean 0, norm 1) cost O(PREFIX) for any n, and the
    pair bound at every length is one matrix product of heads.
    """

    def __init__(self, samples: list[np.ndarray]):
        m, width = len(samples), max((x.size for x in samples), default=0)
        self.x = np.zeros((m, width), dtype=np.float32)
        for i, x in enumerate(samples):
            self.x[i, : x.size] = x
        # sums of values shifted by each weight's first value: r is shift-invariant, and the shift keeps
        # sum(x^2) - n mean^2 from cancelling when a weight's mean is large against its spread
        self.shift = self.x[:, :1].astype(np.float64)
        self.head = self.x[:, :PREFIX].astype(np.float64) - self.shift
        self.sum = np.zeros(m)
        self.sq = np.zeros(m)
        self.at = 0

    def advance(self, n: int, members: np.ndarray) -> None:
        """Extend the sums of `members` (every weight at least n long) to their first n values."""
        part = self.x[members, self.at:n].astype(np.float64) - self.shift[members]
        self.sum[members] += part.sum(axis=1)
        self.sq[members] += np.einsum("ij,ij->i", part, part)
        self.at = n

    def standardized_heads(self, members: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(heads, tail norms, which vary) of `members` standardized over their first n values."""
        mean = self.sum[members] / n
        norm = np.sqrt(np.clip(self.sq[members] - n * mean * mean, 0.0, None))
        ok = norm > 1e-9 * np.sqrt(self.sq[members] + 1e-300)
        p = min(PREFIX, n)
        head = (self.head[members, :p] - mean[:, None]) / np.where(ok, norm, 1.0)[:, None]
        tail = np.sqrt(np.clip(1.0 - np.einsum("ij,ij->i", head, head), 0.0, None))
        return head, tail, ok


Skip = Callable[[int, int], bool]


def _pairs_at_length(prefixes: _Prefixes, rows: np.ndarray, cols: np.ndarray, n: int,
                     side: np.ndarray | None, skip: Skip | None) -> Iterator[tuple[int, int, float]]:
    """(i, j, r) for pairs of rows and (row, col) pairs with |r| > THRESHOLD over their first n values.

    The bound |r| <= |head_i . head_j| + |tail_i| |tail_j| (Cauchy-Schwarz on the values after the
    first PREFIX, on vectors standardized over n values) is exact, so no pair above the threshold
    is pruned; rounding is covered by a margin far larger than its error. Only pairs the bound
    cannot rule out are computed in full. With `side`, only pairs of different sides are
    compared; `skip(i, j)` names pairs already known to be in one group (not computed again).
    """
    members = np.concatenate([rows, cols])
    head, tail, ok = prefixes.standardized_heads(members, n)
    sides = side[members] if side is not None else None
    n_rows = len(rows)
    for start in range(0, n_rows, _BLOCK):
        stop = min(start + _BLOCK, n_rows)
        bound = np.abs(head[start:stop] @ head.T) + np.outer(tail[start:stop], tail)
        bound[:, ~ok] = 0.0
        bound[~ok[start:stop]] = 0.0
        if sides is not None:
            bound[sides[start:stop, None] == sides[None, :]] = 0.0
        for a, b in zip(*np.nonzero(bound > THRESHOLD - _MARGIN)):
            i, j = start + int(a), int(b)
            if j < n_rows and j <= i and sides is None:  # each pair of rows once; never a weight with itself
                continue
            if skip is not None and skip(int(members[i]), int(members[j])):
                continue
            r = correlation(prefixes.x[members[i], :n], prefixes.x[members[j], :n])
            if abs(r) > THRESHOLD:
                yield int(members[i]), int(members[j]), r


def _pairs(samples: Sequence[np.ndarray], magnitudes: bool, side: np.ndarray | None = None,
           skip: Skip | None = None) -> Iterator[tuple[int, int, float, int]]:
    """Pairs (i, j, r, n), i < j, of `samples` whose first n common values (or their magnitudes) have
    |r| > THRESHOLD. A pair is compared on its common length n (the shorter sample); samples are
    taken length by length, each against itself and every longer one."""
    values = [np.abs(x) if magnitudes else x for x in samples]
    sizes = np.array([x.size for x in values], dtype=np.int64)
    prefixes = _Prefixes(values)
    order = np.argsort(sizes, kind="stable")
    for n in sorted(set(sizes.tolist())):
        lo, hi = np.searchsorted(sizes[order], [n, n + 1])
        rows, cols = order[lo:hi], order[hi:]
        prefixes.advance(n, order[lo:])
        for a, b, r in _pairs_at_length(prefixes, rows, cols, n, side, skip):
            i, j = sorted((a, b))
            yield i, j, r, n


def stream_pairs(weights: Sequence[WeightSample]) -> list[tuple[int, int, float, int]]:
    """Every pair (i, j, r, n) of compared weights whose first n common values, or their magnitudes,
    have |r| > THRESHOLD (r of the values when they pass, else of the magnitudes).

    Magnitudes find a copy with flipped signs: one flipped value of size z among n lowers r by
    about 2 z^2 / n, below the threshold for a typical value of a 1,024-value weight, while the
    magnitudes stay identical. (The exact specification of the search: `stream_groups` finds
    the same groups without computing every pair of a group.)
    """
    live = [i for i, w in enumerate(weights) if w.skip is None]
    found: dict[tuple[int, int], tuple[float, int]] = {}
    for magnitudes in (False, True):
        for a, b, r, n in _pairs([weights[i].values for i in live], magnitudes):
            found.setdefault((live[a], live[b]), (r, n))
    return sorted((i, j, r, n) for (i, j), (r, n) in found.items())


def _buckets(samples: Sequence[np.ndarray]) -> list[list[int]]:
    """Positions of identical samples, grouped by a hash of their bytes (checked value by value)."""
    by_hash: dict[bytes, list[list[int]]] = {}
    for k, x in enumerate(samples):
        key = hashlib.blake2b(x.tobytes(), digest_size=16, person=str(x.size).encode()[:16]).digest()
        found = by_hash.setdefault(key, [])
        for bucket in found:
            if np.array_equal(samples[bucket[0]], x):
                bucket.append(k)
                break
        else:
            found.append([k])
    return [b for groups in by_hash.values() for b in groups]


class _Joiner:
    """Joins weights found as one stream into groups, pair by pair, honouring allowed groups and exact-only weights.

    A found pair of samples stands for every pair of their weights (identical samples are one
    bucket), so members are joined through a few candidates of the other bucket: each member to
    one weight it may pair with, in O(members).
    """

    def __init__(self, weights: Sequence[WeightSample], allowed: Callable[[str], bool]):
        self.weights = weights
        self.union = _Union(len(weights))
        self.evidence: list[tuple[int, tuple[float, int, bool, int | None, bool, bool, float]]] = []
        self._allowed: dict[str, bool] = {}
        self.allowed = allowed

    def _eff(self, k: int) -> Any:
        g = self.weights[k].group
        if g is not None:
            if g not in self._allowed:
                self._allowed[g] = self.allowed(g)
            if self._allowed[g]:
                return g
        return k

    def _ok(self, a: int, b: int, exact: bool) -> bool:
        w = self.weights
        return a != b and self._eff(a) != self._eff(b) and not (exact and (w[a].exact_only or w[b].exact_only))

    def _candidates(self, members: Sequence[int], exact: bool) -> list[int]:
        out: list[int] = []
        for only in ((False,) if exact else (False, True)):
            pool = [k for k in members if self.weights[k].exact_only == only]
            if pool:
                out.append(pool[0])
                other = next((k for k in pool if self._eff(k) != self._eff(pool[0])), None)
                if other is not None:
                    out.append(other)
                second = next((k for k in pool if k != pool[0]), None)
                if second is not None and second not in out:
                    out.append(second)
        return out

    def pair(self, first: Sequence[int], second: Sequence[int], x: np.ndarray, y: np.ndarray, r: float,
             n: int, transposed: bool = False) -> None:
        """Samples x (of the weights `first`) and y (of `second`) were found as one stream over n values
        (x of a matrix's transpose when `transposed`)."""
        identical = bool(np.array_equal(x, y))
        flips = int(np.count_nonzero(x != y)) if np.array_equal(np.abs(x), np.abs(y)) else None
        exact = flips is None
        joined = None
        for mine, theirs in ((first, second), (second, first)):
            candidates = self._candidates(theirs, exact)
            for a in mine:
                b = next((b for b in candidates if self._ok(a, b, exact)), None)
                if b is not None:
                    self.union.join(a, b)
                    joined = a
        if joined is not None:
            self.evidence.append((joined, (abs(r), n, identical, flips, abs(correlation(x, y)) <= THRESHOLD,
                                           transposed, r)))

    def connected(self, a: int, b: int) -> bool:
        return self.union.find(a) == self.union.find(b)


def stream_groups(weights: Sequence[WeightSample], allowed: Callable[[str], bool] = lambda key: False
                  ) -> list[StreamGroup]:
    """Weights drawn from one stream, as groups (union of pairs); pairs from one allowed sharing group are dropped.

    Identical samples are grouped by a hash first and searched once; a transposed sample
    (the first columns of a matrix) is searched against every other weight's rows; a pair
    whose weights are already in one group is not computed again. So N copies of one weight
    cost O(N), not O(N^2) pairs.
    """
    joiner = _Joiner(weights, allowed)
    _search(weights, joiner)
    return _collect(weights, joiner)


def _search(weights: Sequence[WeightSample], joiner: _Joiner) -> None:
    """Join every pair drawn from one stream: identical samples, then rows (and magnitudes), then transposes."""
    live = [i for i, w in enumerate(weights) if w.skip is None]
    rows = [[live[p] for p in bucket] for bucket in _buckets([weights[i].values for i in live])]
    row_values = [weights[bucket[0]].values for bucket in rows]
    for bucket, values in zip(rows, row_values):  # identical samples
        if len(bucket) > 1:
            joiner.pair(bucket, bucket, values, values, 1.0, values.size)
    tlive = [i for i in live if weights[i].transposed is not None and weights[i].transposed.size >= MIN_SIZE]  # type: ignore[union-attr]
    cols = [[tlive[p] for p in bucket] for bucket in _buckets([weights[i].transposed for i in tlive])]  # type: ignore[misc]
    col_values: list[np.ndarray] = [weights[bucket[0]].transposed for bucket in cols]  # type: ignore[misc]

    def skip(groups: list[list[int]]) -> Skip:
        return lambda a, b: joiner.connected(groups[a][0], groups[b][0])

    for magnitudes in (False, True):
        for a, b, r, n in _pairs(row_values, magnitudes, skip=skip(rows)):
            joiner.pair(rows[a], rows[b], row_values[a][:n], row_values[b][:n], r, n)
        if cols:
            both = cols + rows
            side = np.array([0] * len(cols) + [1] * len(rows))
            for a, b, r, n in _pairs(col_values + row_values, magnitudes, side, skip(both)):
                x, y = (col_values + row_values)[a][:n], (col_values + row_values)[b][:n]
                joiner.pair(both[a], both[b], x, y, r, n, transposed=True)


def _collect(weights: Sequence[WeightSample], joiner: _Joiner) -> list[StreamGroup]:
    """The joined weights as groups, each with the evidence of its pairs."""
    union = joiner.union
    members: dict[int, list[int]] = {}
    for k in range(len(weights)):
        members.setdefault(union.find(k), []).append(k)
    evidence: dict[int, list[tuple[float, int, bool, int | None, bool, bool, float]]] = {}
    for k, e in joiner.evidence:
        evidence.setdefault(union.find(k), []).append(e)
    groups = []
    for root in sorted(members):
        idx = members[root]
        found = evidence.get(root)
        if len(idx) < 2 or not found:
            continue
        signs = [e[3] for e in found if e[3] is not None]
        lowest = min(found, key=lambda e: e[0])
        groups.append(StreamGroup(idx, [weights[k].path for k in idx], all(e[2] for e in found),
                                  lowest[0], min(e[1] for e in found),
                                  max(signs) if len(signs) == len(found) else None,
                                  any(e[4] for e in found), any(e[5] for e in found), lowest[6]))
    return groups


def _listing(paths: list[str]) -> str:
    return paths[0] if len(paths) == 1 else ", ".join(paths[:-1]) + " and " + paths[-1]


def _r(r: float) -> str:
    """r truncated toward zero (never rounded up to 1 when the values differ), with its sign."""
    return f"{_truncated(r):.6f}"


def _truncated(r: float) -> float:
    return math.copysign(math.floor(abs(r) * 1e6) / 1e6, r)


def _evidence(group: StreamGroup) -> str:
    if group.identical:
        return "identical"
    if group.sign_differences is not None:
        k = group.sign_differences
        return (f"identical in magnitude ({'' if len(group.paths) == 2 else 'at most '}{k:,} "
                f"sign{'s' if k != 1 else ''} differ{'s' if k == 1 and len(group.paths) == 2 else ''})")
    what = " in magnitude" if group.by_magnitude and len(group.paths) == 2 else \
        " in value or in magnitude" if group.by_magnitude else ""
    return (f"correlated{what} (r = {_r(group.r or group.lowest_r)})" if len(group.paths) == 2
            else f"identical or correlated{what} (lowest |r| = {_r(group.lowest_r)}"
                 f"{f', r = {_r(group.r)} for that pair' if group.r < 0 else ''})")


def stream_finding(group: StreamGroup, file: str) -> Finding:
    how = _evidence(group) + (", one matrix as another's transpose," if group.transposed else "")
    message = (f"weights {_listing(group.paths)} are {how} over their first {group.values} values: "
               f"they were drawn from one random stream (a shared or identically seeded initializer)")
    data = {"weights": group.paths,
            "evidence": {"identical": group.identical, "lowest_r": _truncated(group.lowest_r),
                         "r": _truncated(group.r or group.lowest_r), "values": group.values,
                         "sign_differences": group.sign_differences, "transposed": group.transposed}}
    return Finding(file, 1, 1, CORRELATED_WEIGHTS, message, data=data)


def stream_findings(weights: Sequence[WeightSample], file: str,
                    allowed: Callable[[str], bool] = lambda key: False) -> list[Finding]:
    """One `correlated-weights` finding per stream group."""
    return [stream_finding(g, file) for g in stream_groups(weights, allowed)]


# -- the whole audit ---------------------------------------------------------------------------

def allowed_labels(ledger: SharingLedger, suppressed: dict[str, str]) -> list[str]:
    out = []
    for g in ledger.groups.values():
        if len(g.slots) < 2:
            continue
        if g.verdict.allowed or g.key in suppressed:
            out.append(group_summary(g.label, len(g.slots), g.verdict, suppressed.get(g.key)))
    return out


def audit_records(slots: Sequence[SlotUse], weights: Sequence[WeightSample], policy: Policy, file: str,
                  allows: Sequence[Allow] = ()) -> tuple[AuditResult, list[bool]]:
    """Audit one model given as records: (result, which `allows` were used).

    Component groups are judged by `policy`; `allows` suppress named groups
    (by slots or weights); correlated pairs within one allowed or suppressed
    component group are not reported. Unused allows are left to the caller,
    which may audit several models with one list.
    """
    violations, ledger = component_findings(slots, policy, file)
    applied = apply_allows(violations, allows, report_unused=False)
    kept, reasons, used = applied.kept, applied.reasons, applied.used

    def allowed(key: str) -> bool:  # a group of one slot is not sharing: its weights are still compared
        g = ledger.groups.get(key)
        return g is not None and len(g.slots) > 1 and (g.verdict.allowed or key in reasons)

    streams = stream_findings(weights, file, allowed)
    applied = apply_allows(streams, allows, report_unused=False)
    kept_streams = applied.kept
    used = [a or b for a, b in zip(used, applied.used)]
    kept, kept_streams = confirmed(kept, kept_streams, {w.path: w.group for w in weights})
    result = AuditResult(kept + kept_streams, allowed_labels(ledger, reasons),
                         sum(1 for w in weights if w.skip is None), sum(1 for w in weights if w.skip is not None))
    return result, used


def confirmed(violations: list[Finding], streams: list[Finding], group_of: dict[str, str | None]
              ) -> tuple[list[Finding], list[Finding]]:
    """One finding per cause: a denied sharing group whose weights are drawn from one stream is one finding.

    A stream finding whose weights were all made by the slots of one denied
    group is that group's evidence: it joins the group's `sharing-violation`
    (its weights and evidence, and a clause of the message) instead of being
    reported again as `correlated-weights`. Streams that cross groups, or come
    from sharing the components cannot show (a saved file), stay on their own.
    """
    by_key = {f.data["group_key"]: i for i, f in enumerate(violations) if "group_key" in f.data}
    out = list(violations)
    left = []
    for s in streams:
        keys = {group_of.get(p) for p in s.data.get("weights", ())}
        key = keys.pop() if len(keys) == 1 else None
        if key is None or key not in by_key:
            left.append(s)
            continue
        i = by_key[key]
        v = out[i]
        weights = [*v.data.get("weights", []), *s.data["weights"]]
        clause = s.message.split(": they were drawn", 1)[0]
        out[i] = replace(v, message=f"{v.message}; its {clause}",
                         data={**v.data, "weights": weights, "evidence": s.data["evidence"]})
    return out, left


