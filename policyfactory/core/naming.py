"""Deterministic layer names and seeds: the one place that derives them.

Why here (TF-free): `validate` and `explain` must name the same layers and show
the same seeds that the `LayerFactory` will use when it builds, without Keras.

Seeds come from SHA-256 of the factory seed, the layer name and the slot --
never Python's salted `hash()` -- so a new process derives the same seeds.

Example::

    >>> derive_seed(1, "dense", "kernel_initializer") == derive_seed(1, "dense", "kernel_initializer")
    True
    >>> Namer().next("MultiHeadAttention")
    'multi_head_attention'
"""

from __future__ import annotations

import re

try:  # hashlib loads OpenSSL first, a twentieth of validate's start-up; CPython's random.py does the same
    from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]  # CPython 3.10, 3.11
except ImportError:  # pragma: no cover - the Python that runs
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]  # CPython 3.12 and later
    except ImportError:
        from hashlib import sha256

SEED_BITS = 31  # Keras/TF stateless random ops take int32-sized seeds safely
KERAS_SEED_MODULUS = 2**31 - 2  # Keras's TensorFlow backend draws with floormod(seed, int32.max - 1)


def derive_seed(base: int, *parts: object) -> int:
    """A stable seed in [0, 2**31) from a base seed and names."""
    text = "\x1f".join([str(int(base))] + [str(p) for p in parts])
    digest = sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % (1 << SEED_BITS)


def keras_seed(seed: int) -> int:
    """The seed a random op really draws with: two seeds that give the same number draw one stream.

    Keras's TensorFlow backend casts a seed with `floormod(seed, 2**31 - 2)`, so
    seeds 1 and 2147483647 draw the same values; grouping and derivation compare
    seeds after this step.

        >>> keras_seed(2147483647) == keras_seed(1)
        True
    """
    return int(seed) % KERAS_SEED_MODULUS


def snake_case(name: str) -> str:
    """Keras's own rule: `Conv2D` -> conv2d, `GRUCell` -> gru_cell."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class SeedBinder:
    """Hands out the seeds of one build, in order: derived seeds never repeat one already used.

    The planner calls it slot by slot; a plan made without a base seed is bound
    later by replaying the same calls in the same order (`Plan.bind_seeds`), so
    both give the same numbers for the same base. `reserved` are the explicit
    seeds of the whole model, known before any slot is planned: a derived seed
    never equals one of them, even one written further down the file.

        >>> b = SeedBinder(1)
        >>> b.explicit(5)
        5
        >>> b.derived("dense", "kernel_initializer") == SeedBinder(1).derived("dense", "kernel_initializer")
        True
        >>> SeedBinder(None).derived("dense", "kernel_initializer") is None
        True
    """

    def __init__(self, base: int | None, reserved: tuple[int, ...] = ()):
        self.base = base
        self.used: set[int] = {keras_seed(s) for s in reserved}  # as Keras draws with them

    def explicit(self, seed: int) -> int:
        self.used.add(keras_seed(seed))
        return seed

    def derived(self, *parts: object) -> int | None:
        """A seed derived from the base and `parts`, or None when the base is not known yet."""
        if self.base is None:
            return None
        seed = derive_seed(self.base, *parts)
        attempt = 0
        while keras_seed(seed) in self.used:
            attempt += 1
            seed = derive_seed(self.base, *parts, attempt)
        self.used.add(keras_seed(seed))
        return seed


class Namer:
    """Unique layer names in build order: dense, dense_1, dense_2 ..."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self._counts: dict[str, int] = {}

    def next(self, type_name: str) -> str:
        base = snake_case(type_name)
        n = self._counts.get(base, 0)
        while True:
            name = base if n == 0 else f"{base}_{n}"
            n += 1
            if name not in self.used:
                self._counts[base] = n
                return name

    def take(self, name: str) -> bool:
        """Claim a name; False if it was already used."""
        if name in self.used:
            return False
        self.used.add(name)
        return True
