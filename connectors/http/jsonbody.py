"""Reading a JSON answer without letting one hostile value crash the run.

``json.loads`` raises on JSON nested thousands deep (RecursionError) and on an integer of more than
4,300 digits (ValueError), so one such record makes its whole page unreadable, on every run; it
accepts ``NaN`` and ``Infinity``, which are not JSON; and it returns text with a lone UTF-16
surrogate, which no database column can store. Such a value is replaced by an *unreadable marker*,
``{"$unreadable": "<why>"}``, so the page and every other record on it still land, and validation
quarantines the record naming the field (``unreadable_values``). Bodies without any of these (nearly
all) are parsed by ``json.loads`` alone.

A name repeated in one object (``{"nip": "1...", "nip": "2..."}``), which ``json.loads`` would read as
its last value alone, gets a marker too, naming it (``repeated_name``), in place of all its values:
nothing tells which the agency meant. ``Parsed.repeated`` says that a body holds one, so a paginator
can refuse a page whose envelope repeats a name (``repeated_names``). Every object's names are read
(``object_pairs_hook``): about a third more than the parse alone, a few milliseconds per 5,000-record
page, a fraction of a percent of ingestion's CPU.
"""

from __future__ import annotations

import json
import json.decoder
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

# The standard library's (C-accelerated) string scanner: typeshed does not declare it.
scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

UNREADABLE_KEY = "$unreadable"
MAX_DEPTH = 64
"""Containers nested deeper than this inside an answer that ``json.loads`` cannot take are replaced
by a marker: no agency record is nested more than a few levels."""
MAX_DIGITS = 100
"""Longer numbers are not data any source sends (a NIP has 18 digits)."""

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_NOT_UNICODE = "text that is not Unicode (bytes that are not UTF-8, or a lone UTF-16 surrogate)"
_NUL = "a NUL character (\\u0000), which no text column stores"
_LITERALS = {"true": True, "false": False, "null": None}
_NON_NUMBERS = ("-Infinity", "Infinity", "NaN")
_REPEATED = re.compile(r"the name .+ appears \d+ times in one object", re.DOTALL)
_NAME_SHOWN = 60


def unreadable(reason: str) -> dict[str, str]:
    """The marker that stands for a value that could not be kept (why, never the value itself)."""
    return {UNREADABLE_KEY: reason}


def repeated_name(name: str, count: int) -> dict[str, str]:
    """The marker standing for the values of a name one object holds ``count`` times."""
    shown = name if len(name) <= _NAME_SHOWN else name[:_NAME_SHOWN] + "..."
    return unreadable(f"the name {shown!r} appears {count} times in one object")


@dataclass(frozen=True, slots=True)
class Parsed:
    value: Any
    repeated: bool
    """Some object of the body repeated a name: that name's value is a ``repeated_name`` marker."""


def loads(content: bytes) -> Any:
    """The JSON value of ``content`` with hostile values replaced by markers (``parse``)."""
    return parse(content).value


def parse(content: bytes) -> Parsed:
    """The JSON value of ``content`` with hostile values and repeated names replaced by markers.

    Raises ``ValueError`` only when the body is not JSON at all (cut short, or not JSON). Bytes that
    are not UTF-8 (a cp1252 "é" in one name) make only the text holding them unreadable.
    """
    if not _SURROGATE_ESCAPE.search(content):  # json.loads would keep a lone surrogate
        found: list[str] = []
        try:
            # NaN, Infinity and an exponent too large for a float are found by json.loads' own hooks,
            # where they are numbers: a pattern over the body also matched text inside strings (an
            # id "E81087" read as an exponent), which sent nearly every page down the careful path
            # at twenty times the cost.
            value = json.loads(
                content,
                object_pairs_hook=partial(_mark_repeats, found),
                parse_float=_finite_float,
                parse_constant=_not_a_number,
            )
        except (_NeedsCare, RecursionError, UnicodeDecodeError):
            pass
        except ValueError as exc:
            if "integer string conversion" not in str(exc):
                raise
        else:
            return Parsed(value, repeated=bool(found))
    encoding = json.detect_encoding(content)
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError:
        # Each undecodable byte becomes a lone surrogate, which marks its string as unreadable.
        text = content.decode(encoding, "surrogateescape")
    careful: list[str] = []
    value = _careful_loads(text, careful)
    return Parsed(value, repeated=bool(careful))


def _mark_repeats(found: list[str], pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object from its ``(name, value)`` pairs, a repeated name's value replaced by its marker
    (and the name added to ``found``)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        for name, count in Counter(name for name, _ in pairs).items():
            if count > 1:
                obj[name] = repeated_name(name, count)
                found.append(name)
    return obj


def repeated_names(value: Any) -> Iterator[tuple[tuple[str | int, ...], dict[str, str]]]:
    """``(path, marker)`` of every ``repeated_name`` marker in ``value`` (iteratively), the path as the
    names and list positions leading to it, e.g. ``(("items", 3, "nip"), {"$unreadable": ...})``."""
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while pending:
        path, current = pending.pop()
        if isinstance(current, dict):
            reason = current.get(UNREADABLE_KEY)
            if len(current) == 1 and isinstance(reason, str) and _REPEATED.match(reason):
                yield path, current
                continue
            pending.extend(((*path, name), inner) for name, inner in current.items())
        elif isinstance(current, list):
            pending.extend(((*path, position), inner) for position, inner in enumerate(current))


def is_repeated_name(reason: str) -> bool:
    """Whether an unreadable marker's ``reason`` is a ``repeated_name`` one."""
    return _REPEATED.match(reason) is not None


class _NeedsCare(Exception):
    """Raised from ``json.loads``' hooks: the body holds a value only the careful reader can mark."""


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise _NeedsCare
    return number


def _not_a_number(literal: str) -> float:
    raise _NeedsCare


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _string(text: str, pos: int) -> tuple[Any, int]:
    value, end = scanstring(text, pos + 1, True)
    if _has_lone_surrogate(value):
        return unreadable(_NOT_UNICODE), end
    return value, end


def _scalar(text: str, pos: int) -> tuple[Any, int]:
    if text.startswith('"', pos):
        return _string(text, pos)
    for word in _NON_NUMBERS:
        if text.startswith(word, pos):
            return unreadable(f"{word} is not a JSON number"), pos + len(word)
    for word, value in _LITERALS.items():
        if text.startswith(word, pos):
            return value, pos + len(word)
    match = _NUMBER.match(text, pos)
    if match is None or match.end() == pos:
        raise ValueError(f"not JSON at character {pos}")
    literal = match.group()
    digits = sum(ch.isdigit() for ch in literal)
    if digits > MAX_DIGITS:
        return unreadable(f"a number of {digits} digits"), match.end()
    if match.group(1) or match.group(2):
        number = float(literal)
        if not math.isfinite(number):
            return unreadable("a number too large for a decimal"), match.end()
        return number, match.end()
    return int(literal), match.end()


def _skip_container(text: str, pos: int) -> int:
    """The position after the container starting at ``pos``, without building it (iteratively)."""
    depth = 0
    while pos < len(text):
        ch = text[pos]
        if ch == '"':
            _, pos = scanstring(text, pos + 1, False)
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    raise ValueError("JSON cut short inside a nested value")


def _careful_loads(text: str, found: list[str] | None = None) -> Any:
    """A stack-based parser (no recursion), used only for the bodies ``json.loads`` cannot take; each
    name an object repeats is added to ``found``."""
    stack: list[list[Any] | dict[str, Any]] = []
    keys: list[str] = []
    bad_keys: list[bool] = []
    repeats: list[dict[str, int] | None] = []  # per open object: its repeated names and their counts
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]

    def key_at(pos: int) -> int:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if not text.startswith('"', pos):
            raise ValueError(f"expected a name at character {pos}")
        name, pos = scanstring(text, pos + 1, True)
        # A name with a lone surrogate is kept escaped; its value gives way to a marker (below).
        keys[-1] = name.encode("utf-8", "backslashreplace").decode("utf-8")
        bad_keys[-1] = keys[-1] != name
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if not text.startswith(":", pos):
            raise ValueError(f"expected ':' at character {pos}")
        return pos + 1

    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        value: Any
        opener = text[pos : pos + 1]
        if opener in ("{", "[") and len(stack) >= MAX_DEPTH:
            value, pos = unreadable(f"nested more than {MAX_DEPTH} levels deep"), _skip_container(text, pos)
        elif opener in ("{", "["):
            container: list[Any] | dict[str, Any] = {} if opener == "{" else []
            closer = "}" if opener == "{" else "]"
            after = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            if text.startswith(closer, after):
                value, pos = container, after + 1
            else:
                stack.append(container)
                keys.append("")
                bad_keys.append(False)
                repeats.append(None)
                pos = key_at(pos + 1) if opener == "{" else pos + 1
                continue
        else:
            value, pos = _scalar(text, pos)
        # Attach the value to its container; a closing bracket attaches that container in turn.
        while True:
            if not stack:
                if _WS.match(text, pos).end() != len(text):  # type: ignore[union-attr]
                    raise ValueError(f"extra data at character {pos}")
                return value
            top = stack[-1]
            if isinstance(top, dict):
                if keys[-1] in top:
                    counts = repeats[-1] = repeats[-1] or {}
                    counts[keys[-1]] = counts.get(keys[-1], 1) + 1
                top[keys[-1]] = unreadable("a name with a lone UTF-16 surrogate") if bad_keys[-1] else value
            else:
                top.append(value)
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            mark = text[pos : pos + 1]
            if mark == ",":
                pos = key_at(pos + 1) if isinstance(top, dict) else pos + 1
                break
            if mark == ("}" if isinstance(top, dict) else "]"):
                value = stack.pop()
                keys.pop()
                bad_keys.pop()
                for name, count in (repeats.pop() or {}).items():
                    value[name] = repeated_name(name, count)
                    if found is not None:
                        found.append(name)
                pos += 1
                continue
            raise ValueError(f"expected ',' or a closing bracket at character {pos}")


def unreadable_values(value: Any) -> Iterator[tuple[str, str]]:
    """``(field path, reason)`` of every unreadable marker, non-finite number, lone surrogate or NUL in
    ``value`` (iteratively: a payload may be deep), e.g. ``("nama", "a number of 5000 digits")``."""
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, current = pending.pop()
        if isinstance(current, dict):
            if len(current) == 1 and isinstance(current.get(UNREADABLE_KEY), str):
                yield path or "(record)", current[UNREADABLE_KEY]
                continue
            for name, inner in current.items():
                where = f"{path}.{name}" if path else str(name)
                if isinstance(name, str) and _has_lone_surrogate(name):
                    yield where.encode("utf-8", "backslashreplace").decode(), "a name with a lone surrogate"
                    continue
                if isinstance(name, str) and "\x00" in name:
                    yield where.replace("\x00", "\\x00"), "a name holding a NUL character (\\u0000)"
                    continue
                pending.append((where, inner))
        elif isinstance(current, list):
            pending.extend((f"{path}[{i}]", inner) for i, inner in enumerate(current))
        elif isinstance(current, float) and not math.isfinite(current):
            yield path or "(record)", f"{current!r} is not a JSON number"
        elif isinstance(current, str) and _has_lone_surrogate(current):
            yield path or "(record)", _NOT_UNICODE
        elif isinstance(current, str) and "\x00" in current:
            yield path or "(record)", _NUL
