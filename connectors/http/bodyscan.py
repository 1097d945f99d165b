"""One pass over an HTTP body's bytes, before ``json.loads``: a bound on the names it holds, and
whether it escapes a UTF-16 surrogate (``\\ud800``), which ``json.loads`` would let through unmarked.

``json.loads`` keeps the last value of a name an object repeats. Reading every object's names
(``object_pairs_hook``) costs a quarter to a third more than the parse itself on a 5,000-record page,
and the parse of HTTP pages is on ingestion's hot path. Instead, two bounds are compared:

- at most (``Scan.names_at_most``): every name in JSON text is followed, maybe after whitespace, by a
  colon, so the colons whose previous byte is a quote or whitespace (or ``!``) bound the names the text
  holds;
- at least (``names_at_least``): the sizes of the parsed objects, summed at C speed over each list of
  objects (a page's records) and over the objects nested under the names its first object nests
  objects under (records of one feed share a shape), never counting an object twice.

Equal bounds prove that every name of the text is in the value, so none was dropped. When they differ,
a precise bound looks through the whitespace before each colon (a " :" in free text, a layout with a
space before every colon); a body still in doubt (a repeat, a ``\\":`` inside a string, an object
nested where the first record has none) is read again object by object (``jsonbody.parse``), which
settles it exactly: about a third more than the parse, still less than walking the value in Python.

The pass reads byte pairs with numpy, in chunks whose scratch arrays stay in cache: about 5% of the
parse, and it replaces the regular expression that looked for surrogate escapes, which cost about as
much. numpy is not among the connectors' usual imports: no pure-Python pass over a page's bytes costs
less than a tenth of its parse (``bytes.count`` reads about a byte a nanosecond).

The bytes are read as ASCII-compatible text (UTF-8, or cp1252 gone astray): in UTF-16 or UTF-32 the
bound means nothing (``parse`` reads such a body object by object) and no escape is found.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

_QUOTE, _COLON = 0x22, 0x3A
_COLON_HIGH = np.uint16(_COLON << 8)
"""A byte pair read as a little-endian 16-bit number: the second byte (the colon) is the high one."""
_BACKSLASH_U = np.uint16(ord("u") << 8 | ord("\\"))
_WHITESPACE = (0x20, 0x09, 0x0A, 0x0D)
_HEX = np.zeros(256, dtype=np.bool_)
_HEX[list(b"0123456789abcdefABCDEF")] = True
_HIGH_SURROGATE_START = np.zeros(256, dtype=np.bool_)
_HIGH_SURROGATE_START[list(b"89abcdefABCDEF")] = True
_CHUNK = 1 << 18
"""Bytes per step: large enough that numpy's per-call cost vanishes, small enough that the scratch
arrays stay in cache (a fresh 2.5 MB array per page cost twice as much in page faults)."""
_MAX_WHITESPACE_RUN = 64
"""Whitespace bytes looked through before a colon; past this the precise bound gives up (a hostile
string of spaces before a colon must not cost a step per space)."""
_IS_DICT: Callable[[object], bool] = dict.__instancecheck__
_IS_LIST: Callable[[object], bool] = list.__instancecheck__
_scratch = threading.local()


@dataclass(frozen=True, slots=True)
class Scan:
    names_at_most: int
    """An upper bound of the names (object keys) the text holds."""
    surrogate_escape: bool
    """The text holds ``\\u`` followed by ``d8``-``df`` and two more hex digits (a UTF-16 surrogate
    escape, paired or not), where ``json.loads`` is not to be trusted."""


def scan(content: bytes) -> Scan:
    """One pass over ``content``'s byte pairs (see the module's docstring)."""
    step: tuple[npt.NDArray[np.uint16], npt.NDArray[np.bool_]] | None = getattr(_scratch, "arrays", None)
    if step is None or len(step[0]) < _CHUNK // 2:
        step = _scratch.arrays = (np.empty(_CHUNK // 2, np.uint16), np.empty(_CHUNK // 2, np.bool_))
    numbers, flags = step
    names = 0
    escapes: list[npt.NDArray[np.intp]] = []
    for start in range(0, len(content) - 1, _CHUNK):
        stop = min(start + _CHUNK, len(content) - 1)  # the pairs (i, i + 1) with start <= i < stop
        escaped = content.find(b"\\", start, stop) >= 0  # memchr: most bodies escape nothing
        for first in (start, start + 1):
            count = (stop - first + 1) // 2
            if count <= 0:
                continue
            pairs = np.frombuffer(content, dtype="<u2", count=count, offset=first)
            found = flags[:count]
            np.subtract(pairs, _COLON_HIGH, out=numbers[:count])  # wraps around below a colon
            np.less_equal(numbers[:count], _QUOTE, out=found)
            names += int(np.count_nonzero(found))
            if escaped:
                np.equal(pairs, _BACKSLASH_U, out=found)
                if found.any():
                    escapes.append(first + 2 * np.flatnonzero(found))
    return Scan(names, bool(escapes) and _any_surrogate(content, np.concatenate(escapes)))


def _any_surrogate(content: bytes, at: npt.NDArray[np.intp]) -> bool:
    """Whether one of the ``\\u`` at positions ``at`` escapes a surrogate (``\\u[dD][89a-fA-F]XX``)."""
    data = np.frombuffer(content, dtype=np.uint8)
    at = at[at + 5 < len(data)]
    letter = data[at + 2]
    return bool(
        np.any(
            ((letter == ord("d")) | (letter == ord("D")))
            & _HIGH_SURROGATE_START[data[at + 3]]
            & _HEX[data[at + 4]]
            & _HEX[data[at + 5]]
        )
    )


def lost_no_name(content: bytes, value: Any, names_at_most: int) -> bool:
    """True when ``value``, ``json.loads`` of the JSON text ``content`` (ASCII-compatible) whose
    ``Scan.names_at_most`` is given, holds every name of the text (no object repeated a name); False
    when one may have been dropped."""
    if value.__class__ is not dict and value.__class__ is not list:
        return True  # a bare string or number holds no object
    at_least = names_at_least(value)
    if at_least == names_at_most:
        return True
    # A page with " :" in its text, or laid out with a space before each colon: look through it.
    return at_least == names_at_most_precisely(content)


def names_at_most_precisely(content: bytes) -> int | None:
    """The colons of ``content`` whose previous byte other than whitespace is a quote; None when some
    colon follows more whitespace than this looks through."""
    data = np.frombuffer(content, dtype=np.uint8)
    at = np.flatnonzero(data == _COLON)
    at = at[at > 0] - 1
    total = 0
    for _step in range(_MAX_WHITESPACE_RUN):
        if not at.size:
            return total
        before = data[at]
        total += int(np.count_nonzero(before == _QUOTE))
        spaced = at[np.isin(before, _WHITESPACE)]
        at = spaced[spaced > 0] - 1
    return None if at.size else total


def names_at_least(value: dict[str, Any] | list[Any]) -> int:
    """A lower bound of the names of the objects in ``value``: each list of objects counted at C speed,
    with the objects nested under the names its first object nests an object or a list under."""
    total = 0
    pending: list[list[Any]] = [[value] if value.__class__ is dict else value]  # type: ignore[list-item]
    while pending:
        objects = pending.pop()
        if not all(map(_IS_DICT, objects)):  # len() of a text or a list is no count of names
            objects = list(filter(_IS_DICT, objects))
        if not objects:
            continue
        total += sum(map(len, objects))
        for name, inner in objects[0].items():
            if inner.__class__ is dict:
                pending.append(_values(objects, name))
            elif inner.__class__ is list:
                try:  # nearly always a list in every object: its items are checked as objects above
                    pending.append(list(chain.from_iterable(_values(objects, name))))
                except TypeError:  # a null or a number instead in some object
                    pending.append(list(chain.from_iterable(filter(_IS_LIST, _values(objects, name)))))
    return total


def _values(objects: list[dict[str, Any]], name: str) -> list[Any]:
    """The value of ``name`` in each object that has it."""
    try:
        return list(map(itemgetter(name), objects))
    except KeyError:
        return [value for value in map(dict.get, objects, repeat(name, len(objects))) if value is not None]
