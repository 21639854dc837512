"""YAML text for a model file's data, written by hand so that it reads back exactly.

Why not a YAML library's dumper: the text must read back unchanged both with our
YAML 1.2 loader and with YAML 1.1 readers (`no`, `1e-4` are quoted), and a layer
is written on one line where it fits, as people write model files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from .yamlload import resolve_plain

WIDTH = 120  # a layer fits on one line up to this width, else it is written as a block
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]*")
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_BLOCK_KEYS = ("inputs", "shared", "layers")  # top-level keys always written as blocks


def scalar(value: Any) -> str:
    """One scalar as YAML that our loader (YAML 1.2) and YAML 1.1 readers both read back unchanged.

        >>> [scalar(v) for v in (None, True, 3, 0.5, 1e-05, float("inf"), "relu", "no", "1e-4", "a b")]
        ['null', 'true', '3', '0.5', '1e-05', '.inf', 'relu', '"no"', '"1e-4"', '"a b"']
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML11_WORDS and resolve_plain(text) == text:
        return text
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif not _printable(ch) or ch in "\x85\u2028\u2029\ufeff":  # line breaks and a BOM would change the text
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out) + '"'


def _printable(ch: str) -> bool:
    """YAML 1.2's printable characters; any other must be escaped in a double-quoted scalar."""
    c = ord(ch)
    return (0x20 <= c <= 0x7E or c == 0x85 or 0xA0 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD
            or 0x10000 <= c <= 0x10FFFF)


def flow(value: Any) -> str:
    """A value in YAML flow style, on one line."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def _block_map(d: dict, indent: int, lines: list[str], force: tuple = ()) -> None:
    for k, v in d.items():
        head = " " * indent + scalar(k) + ":"
        nested = isinstance(v, (dict, list)) and v
        if nested and (k in force or len(head) + 1 + len(flow(v)) > WIDTH):
            lines.append(head)
            if isinstance(v, dict):
                _block_map(v, indent + 2, lines)
            else:
                _block_list(v, indent + 2, lines)
        else:
            lines.append(head + " " + flow(v))


def _block_list(items: list, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for item in items:
        text = flow(item)
        if not (isinstance(item, (dict, list)) and item) or indent + 2 + len(text) <= WIDTH:
            lines.append(pad + "- " + text)
        elif isinstance(item, dict):
            sub: list[str] = []
            _block_map(item, indent + 2, sub)
            lines.append(pad + "- " + sub[0].lstrip())
            lines.extend(sub[1:])
        else:
            lines.append(pad + "-")
            _block_list(item, indent + 2, lines)


def to_yaml(data: dict, header: Sequence[str] = ()) -> str:
    """A model file's data as YAML text: a comment header, top-level blocks, a layer per line where it fits."""
    lines = [f"# {h}".rstrip() for h in header]
    _block_map(data, 0, lines, force=_BLOCK_KEYS)
    return "\n".join(lines) + "\n"


def wrap(text: str, width: int = 100) -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return out + ([line] if line else [])
