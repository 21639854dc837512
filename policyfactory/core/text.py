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

from .records import record

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
        self._lower_count: dict[str, int] = {}  # known names that differ only in case are no one answer
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
        self._lower_count[choice.lower()] = self._lower_count.get(choice.lower(), 0) + 1
        self._by_len.setdefault(len(choice), []).append(choice)

    def knows(self, word: Any) -> bool:
        return word in self._known

    def suggest(self, word: Any) -> str:
        """' (did you mean 'X'?)' for the closest known name, or ''."""
        best = self.best(word)
        return f" (did you mean {shown(best.name)}?)" if best is not None else ""

    def best(self, word: Any, unique: bool = False) -> Suggestion | None:
        """The closest known name, or None; with `unique`, also whether it is the one answer (no other known
        name is as close: every name of a length that could be is compared, so it costs more)."""
        if not isinstance(word, str) or not word or len(word) > MAX_WORD or self._made >= MAX_SUGGESTIONS:
            return None
        self._made += 1
        same = self._lower.get(word.lower())
        if same is not None and same != word:
            return Suggestion(same, unique and self._lower_count[word.lower()] == 1, 1.0)
        spread = max(2, len(word) // 3)
        candidates: list[str] = []
        for delta in range(spread + 1):
            for length in {len(word) - delta, len(word) + delta}:
                candidates.extend(self._by_len.get(length, ())[: MAX_CANDIDATES - len(candidates)])
            if len(candidates) >= MAX_CANDIDATES:
                break
        found = _closest(word, candidates)
        if found is not None:
            return Suggestion(found[1], unique and self._alone(word, found, lower=False), found[0])
        lowered: dict[str, str] = {}
        for c in candidates:
            lowered[c.lower()] = c
        found = _closest(word.lower(), list(lowered))
        if found is None:
            return None
        alone = unique and self._alone(word.lower(), found, lower=True) and self._lower_count[found[1]] == 1
        return Suggestion(lowered[found[1]], alone, found[0])

    def _alone(self, word: str, found: tuple[float, str], lower: bool) -> bool:
        """Whether no known name but `found` is as close to `word`: every name of a length that could be
        (difflib's cheapest bound, 2 * shorter / both lengths) is compared, not only the message's candidates."""
        import difflib

        score, name = found
        s = difflib.SequenceMatcher()
        s.set_seq2(word)
        for length, names in self._by_len.items():
            if 2 * min(length, len(word)) / (length + len(word)) < score:
                continue
            for c in names:
                c = c.lower() if lower else c
                if c == name:
                    continue
                s.set_seq1(c)
                if s.quick_ratio() >= score and s.ratio() >= score:
                    return False
        return True


@record(frozen=True)
class Suggestion:
    """A did-you-mean answer: the name, and whether it is unique (no other known name is as close: safe to fix)."""

    name: str
    unique: bool
    score: float  # difflib's ratio to the word (1.0: the same name in another case)


_CUTOFF = 0.6
FIX_CUTOFF = 0.75  # a fix takes a typo, not a guess: one letter added, dropped or changed in a name of four letters or more


def _closest(word: str, candidates: list[str]) -> tuple[float, str] | None:
    """(ratio, candidate) as `difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)` chooses it, or None."""
    import difflib  # only when a name is wrong: not at start-up

    s = difflib.SequenceMatcher()
    s.set_seq2(word)
    best: tuple[float, str] | None = None
    for c in candidates:
        s.set_seq1(c)
        if s.real_quick_ratio() >= _CUTOFF and s.quick_ratio() >= _CUTOFF and s.ratio() >= _CUTOFF:
            scored = (s.ratio(), c)
            best = scored if best is None or scored > best else best
    return best


def did_you_mean(word: Any, choices: Iterable[Any]) -> str:
    """' (did you mean 'X'?)' for the closest choice, or '' (bounded cost, see `Suggester`)."""
    return Suggester(choices).suggest(word)


def suggestion(word: Any, choices: Iterable[Any]) -> tuple[str, str | None]:
    """(' (did you mean 'X'?)' or '', X when it is the one answer else None): the message and the safe fix.

    The one answer: no other choice is as close, and it is a typo's distance away (`FIX_CUTOFF`), not a guess.

        >>> suggestion("LSTMM", ["LSTM", "GRU"])
        (" (did you mean 'LSTM'?)", 'LSTM')
        >>> suggestion("Conv", ["Conv1D", "Conv2D"])[1] is None  # two names as close: no one answer
        True
        >>> suggestion("GRX", ["GRU", "Dense"])  # two letters of three: suggested, not fixed
        (" (did you mean 'GRU'?)", None)
    """
    best = Suggester(choices).best(word, unique=True)
    if best is None:
        return "", None
    return f" (did you mean {shown(best.name)}?)", best.name if best.unique and best.score >= FIX_CUTOFF else None
