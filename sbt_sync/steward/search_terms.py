"""How the header search reads what a steward typed (:mod:`sbt_sync.steward.search`): pure functions.

One text is read three ways at once: a name (letters, no digit; titles, punctuation and case dropped by
:func:`schemas.names.normalise_name`), a NIP or part of one (digits only once spaces, dots and dashes
are dropped), and a number or key (its pieces between separators, matched with any one separator
between them: IDIS writes "800-0042/..." where the SK says "800/0042/..."). ``#12`` names conflict 12.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from sbt_sync.errors import SbtError
from sbt_sync.reconcile.identity.resolve import canonical_name, name_similarity
from schemas.names import normalise_name

MAX_QUERY = 200
MIN_NUMBER = 3
MIN_NIP_DIGITS = 4
NAME_FLOOR = 0.8
"""Records whose name scores below this are not shown: a steward reads the top few."""
PARTIAL_NAME = 0.9
TOKEN_FLOOR = 80.0
_SEPARATORS = re.compile(r"[\s/\-.]+")
_NIP_LAYOUT = re.compile(r"[\s.\-]+")
_CONFLICT_ID = re.compile(r"#\s*(\d{1,9})")


class SearchError(SbtError):
    """A search that cannot run; ``code`` (``empty``, ``too_long``, ``too_short``) names the problem
    for the console's words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What one typed text is searched as; an empty part is not searched."""

    name: str
    """The name without titles and punctuation, upper case ("TRI WIJAYA"), or ""."""
    digits: str
    """The NIP digits (a full NIP or a part of one), or ""."""
    number: tuple[str, ...]
    """The text's pieces between separators, lower case, for numbers and keys; () when too short."""
    conflict_id: int | None = None


def parse(text: str | None) -> SearchTerms:
    """The terms a typed text is searched by; :class:`SearchError` when it gives none (nothing typed,
    more than ``MAX_QUERY`` characters, or too little to narrow anything)."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise SearchError("empty", "type a name, a NIP, or a register, recommendation or SK number")
    if len(text) > MAX_QUERY:
        raise SearchError("too_long", f"a search is at most {MAX_QUERY} characters")
    has_digit = any(ch.isdigit() for ch in text)
    name = "" if has_digit else normalise_name(text)
    name = name if len(name.replace(" ", "")) >= 2 else ""
    compact = _NIP_LAYOUT.sub("", text)
    digits = compact if compact.isdigit() and len(compact) >= MIN_NIP_DIGITS else ""
    pieces = tuple(p for p in _SEPARATORS.split(text.lower()) if p)
    number = pieces if len(text) >= MIN_NUMBER and pieces else ()
    found = _CONFLICT_ID.fullmatch(text)
    terms = SearchTerms(name, digits[:18], number, int(found.group(1)) if found else None)
    if not (terms.name or terms.digits or terms.number or terms.conflict_id):
        raise SearchError("too_short", f"type at least {MIN_NUMBER} characters")
    return terms


LIKE_ESCAPE = "\\"
"""The escape character of every LIKE pattern built from what a person typed (pass it as ``escape=``)."""


def like_escaped(text: str) -> str:
    """``text`` with LIKE's wildcards (``%``, ``_``) and the escape character itself escaped, so that
    it matches only itself: a search for "_" must not match every row (both backends)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching values that contain ``text`` literally (with ``escape=LIKE_ESCAPE``)."""
    return f"%{like_escaped(text)}%"


def number_pattern(terms: SearchTerms) -> tuple[str, re.Pattern[str]]:
    """The number as a LIKE pattern (``\\`` escapes ``%``, ``_`` and itself; one ``_`` stands for any
    separator) and the same as a regular expression, to tell which column matched."""
    escaped = [like_escaped(p) for p in terms.number]
    return "%" + "_".join(escaped) + "%", re.compile(".".join(re.escape(p) for p in terms.number))


def name_score(written: str, name: str | None) -> float:
    """How well a typed name fits a record's name: the reconciliation's similarity, or a name typed in
    part ("Tri Wijaya" for "Tri Wijaya Kusuma"; each typed token near one of the name's) discounted by
    ``PARTIAL_NAME``."""
    score = name_similarity(written, name)
    typed, named = canonical_name(written).split(), canonical_name(name).split()
    if typed and len(typed) < len(named):
        ratios = [max(fuzz.ratio(t, n) for n in named) for t in typed]
        if min(ratios) >= TOKEN_FLOOR:
            score = max(score, round(PARTIAL_NAME * sum(ratios) / len(ratios) / 100, 4))
    return score
