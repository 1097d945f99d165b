"""Record keys for the rows of a delivered file, stable across re-deliveries.

A file's rows have no identity of their own: a natural key (a recommendation number) may repeat in
one file (a recommendation and its annulment, two follow-up reports on one recommendation), so rows
are keyed ``<file>#<row>``. Keyed by position alone, a corrected re-delivery with a row inserted,
removed or moved would hand every later key another row's content: a steward's decision on a row
would land on a different person, an annulment swap places with the recommendation it annuls, and
cases flap. So a re-delivery's rows take the keys of the earlier delivery's rows, in this order:

1. the same content (byte-for-byte the same row, wherever it now stands) keeps its key;
2. a changed row takes the key of an earlier row with the same natural key (a correction), the one
   at its own position first;
3. a row at the position of an earlier row nothing else took is a correction of that row;
4. anything else is a new row: ``<file>#<row>``, or ``<file>#<row>.<n>`` when that key is taken.

Earlier rows no row took are gone from the file (the caller withdraws them, unless this delivery
has rows it could not read, which might be them). Pure: no database, no I/O.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

_ROW_TAIL = re.compile(r"[0-9]+(?:\.[0-9]+)*")


@dataclass(frozen=True, slots=True)
class KeyedRow:
    """A row of a delivery (``key`` unused) or of the earlier delivery (``row`` unused)."""

    row: int
    digest: str
    natural: str | None
    key: str = ""


def row_key(name: str, row: int) -> str:
    """The key of a row of file ``name`` at 1-based position ``row`` (keys are at most 255 chars)."""
    return f"{name}#{row}"[:255]


def is_row_key_of(name: str, key: str) -> bool:
    """True when ``key`` is the key of a row of file ``name`` (``<name>#12`` or ``<name>#12.1``).

    A prefix test is not enough: the keys of a file named ``laporan.csv#koreksi.csv`` also start with
    ``laporan.csv#``, and a delivery of ``laporan.csv`` must never take over or withdraw its rows. A
    row key's tail has no ``#``, so the ``#`` before it is the key's last and only one file owns it.
    """
    return key.startswith(f"{name}#") and _ROW_TAIL.fullmatch(key, len(name) + 1) is not None


def assign_row_keys(name: str, rows: Sequence[KeyedRow], earlier: Sequence[KeyedRow]) -> list[str]:
    """The key of each of ``rows`` (in order), given the earlier delivery's keyed rows (module doc)."""
    free = {e.key: e for e in sorted(earlier, key=lambda e: (_position(name, e.key), e.key))}
    taken: set[str] = set(free)
    keys: list[str | None] = [None] * len(rows)

    by_digest: dict[str, list[str]] = defaultdict(list)
    for key, entry in free.items():
        by_digest[entry.digest].append(key)
    for i, row in enumerate(rows):
        candidates = [k for k in by_digest.get(row.digest, ()) if k in free]
        if candidates:
            keys[i] = _take(free, _prefer(candidates, row_key(name, row.row)))

    by_natural: dict[str, list[str]] = defaultdict(list)
    for key, entry in free.items():
        if entry.natural is not None:
            by_natural[entry.natural].append(key)
    for i, row in enumerate(rows):
        if keys[i] is None and row.natural is not None:
            candidates = [k for k in by_natural.get(row.natural, ()) if k in free]
            if candidates:
                keys[i] = _take(free, _prefer(candidates, row_key(name, row.row)))

    for i, row in enumerate(rows):
        if keys[i] is not None:
            continue
        own = row_key(name, row.row)
        if own in free:
            keys[i] = _take(free, own)
        elif own not in taken:
            keys[i] = own
        else:
            n = 1
            while row_key(name, row.row) + f".{n}" in taken:
                n += 1
            keys[i] = f"{own}.{n}"[:255]
        taken.add(keys[i] or "")
    return [k or "" for k in keys]


def _prefer(candidates: list[str], own: str) -> str:
    return own if own in candidates else candidates[0]


def _take(free: dict[str, KeyedRow], key: str) -> str:
    del free[key]
    return key


def _position(name: str, key: str) -> tuple[int, ...]:
    """``<file>#12`` -> (12,), ``<file>#12.1`` -> (12, 1); a key of another shape sorts last."""
    tail = key[len(name) + 1 :] if key.startswith(f"{name}#") else ""
    try:
        return tuple(int(part) for part in tail.split("."))
    except ValueError:
        return (1 << 62,)
