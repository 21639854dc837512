"""How user text appears in messages: escaped, shortened, and suggestions at bounded cost.

Why one place: a finding echoes names from the file (an unknown layer type, a
key, a reference). Such a name may be a megabyte long, hold terminal escape
sequences, or be one of thousands of misspellings; messages must stay one
short, safe line each, and "did you mean" must cost the same for the
thousandth unknown name as for the first.

    >>> escape("red\\x1b[31m")
    'red\\\\x1b[31m'
    >>> shown("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (100 characters)"
    >>> did_you_mean("LSTMM", ["LSTM", "GRU"])
    " (did you mean 'LSTM'?)"
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

SHOWN_LIMIT = 80  # characters of a user value shown in a message
MESSAGE_LIMIT = 1000  # characters of a whole message
MAX_WORD = 64  # longer words get no suggestion
MAX_CANDIDATES = 64  # candidates compared for one suggestion
MAX_SUGGESTIONS = 500  # suggestions one Suggester makes; past that, unknown names get none (bounded total cost)

# C0/C1 controls, DEL, line/paragraph separators, bidirectional overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _code(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def escape(text: str) -> str:
    """Control characters and escape sequences as visible codes (`\\x1b`), so output stays one safe line."""
    return _UNSAFE.sub(_code, text)


def plural(n: int, word: str) -> str:
    """`1 layer`, `2 layers`: counts in messages read as English.

        >>> plural(1, "layer"), plural(3, "parameter")
        ('1 layer', '3 parameters')
    """
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def shorten(text: str, limit: int = SHOWN_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: Any, limit: int = SHOWN_LIMIT) -> str:
    """A user value quoted for a message: escaped, and shortened past `limit` characters."""
    text = value if isinstance(value, str) else repr(value)
    out = "'" + shorten(escape(text), limit) + "'"
    return out + f" ({len(text)} characters)" if len(text) > limit else out


def safe_message(message: str) -> str:
    """A whole message made safe: escaped and bounded (the last line of defence; values are shortened where echoed)."""
    return shorten(escape(message), MESSAGE_LIMIT)


class Suggester:
    """'Did you mean' over a set of names that may be large and may grow; each suggestion costs a bounded amount."""

    def __init__(self, choices: Iterable[Any] = ()):
        self._lower: dict[str, str] = {}
        self._known: set[str] = set()
        self._made = 0
        self._by_len: dict[int, list[str]] = {}
        for c in choices:
            self.add(c)

    def add(self, choice: Any) -> None:
        if not isinstance(choice, str) or len(choice) > MAX_WORD or choice in self._known:
            return
        self._known.add(choice)
        self._lower.setdefault(choice.lower(), choice)
        self._by_len.setdefault(len(choice), []).append(choice)

    def knows(self, word: Any) -> bool:
        return word in self._known

    def suggest(self, word: Any) -> str:
        """' (did you mean 'X'?)' for the closest known name, or ''."""
        if not isinstance(word, str) or not word or len(word) > MAX_WORD or self._made >= MAX_SUGGESTIONS:
            return ""
        self._made += 1
        same = self._lower.get(word.lower())
        if same is not None and same != word:
            return f" (did you mean {shown(same)}?)"
        spread = max(2, len(word) // 3)
        candidates: list[str] = []
        for delta in range(spread + 1):
            for length in {len(word) - delta, len(word) + delta}:
                candidates.extend(self._by_len.get(length, ())[: MAX_CANDIDATES - len(candidates)])
            if len(candidates) >= MAX_CANDIDATES:
                break
        import difflib  # only when a name is wrong: not at start-up

        close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
        if not close:
            lowered = {c.lower(): c for c in candidates}
            close = [lowered[c] for c in difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)]
        return f" (did you mean {shown(close[0])}?)" if close else ""


def did_you_mean(word: Any, choices: Iterable[Any]) -> str:
    """' (did you mean 'X'?)' for the closest choice, or '' (bounded cost, see `Suggester`)."""
    return Suggester(choices).suggest(word)
