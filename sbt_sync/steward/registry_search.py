"""A steward's search of the ASN registry (DESIGN.md, "Steward console and CLI": finds people by name).

One service for the console's conflict page and ``sbt-sync conflicts search``: by name (tolerant of
titles, spelling and word order), a full or partial NIP, a birth date and an instansi, in any mix.
Every statement is bounded, so a search costs a few index probes at national scale:

- a name goes through the reconciliation's own
  :class:`~sbt_sync.reconcile.identity.candidates.CandidateSearch` (exact and surname-first names, the
  birth-date block, misspelt names within the instansi), plus token anchors of our own, ``ANCHOR_LIMIT``
  rows each: names starting with one token of the query and holding another (any order, one token misspelt),
  and names starting or ending with one token (on PostgreSQL these are migration 0003's ``text_pattern_ops``
  indexes);
- a partial NIP is a prefix (the birth date comes first), a range over the primary key;
- a birth date alone takes its block (``BIRTH_LIMIT`` rows);
- an instansi filters: it may be an id or any part of the name ("Sampang" for "Pemerintah Kabupaten
  Sampang").

Hits are scored with the reconciliation's ``score_candidate`` when a name is given (best first; a name
written only in part scores as the whole, discounted), and ordered by name otherwise; at most
``limit`` come back. On the 200,000-row election registry a search takes 0.1-0.2 s (median) on
PostgreSQL; the misspelt name is in the top five for 90% of searches without an instansi and all
with one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry as Asn
from sbt_sync.errors import SbtError
from sbt_sync.reconcile.identity.candidates import INSTANSI_LIST, CandidateSearch
from sbt_sync.reconcile.identity.resolve import (
    IdentityQuery,
    IdentityThresholds,
    RegistryCandidate,
    canonical_name,
    make_query,
    normalise_instansi,
    score_candidate,
)
from schemas.names import title_keys

ANCHOR_LIMIT = 200
"""Rows per name-token anchor: enough for one surname within an instansi, bounded nationally."""
BIRTH_LIMIT = 500
PREFIX_LIMIT = 200
MAX_LIMIT = 50
MIN_NIP_DIGITS = 4
MAX_TOKENS = 4
PARTIAL_NAME = 0.9
NAME_FLOOR = 0.5
"""Hits whose score falls below this are dropped when a name is given: a steward reads the top few."""


class RegistrySearchError(SbtError):
    """A search that cannot run; ``code`` names the problem for the console's translations."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class RegistryQuery:
    """What a steward typed; any field may be empty, but one of name, NIP and birth date is needed."""

    name: str | None = None
    nip: str | None = None
    """18 digits, or the first digits of a NIP (layout characters are ignored)."""
    birth_date: date | None = None
    instansi: str | None = None

    @property
    def nip_digits(self) -> str:
        return "".join(ch for ch in self.nip or "" if ch.isdigit())

    def is_empty(self) -> bool:
        return not (canonical_name(self.name) or self.nip_digits or self.birth_date)


@dataclass(frozen=True, slots=True)
class RegistryHit:
    """One registry ASN as a steward compares them with a source row."""

    nip: str
    name: str
    """The registry name with its gelar (front and back titles), as a steward reads it."""
    name_normalised: str
    titles: frozenset[str]
    """The gelar as identity scoring compares them (``schemas.names.title_keys``)."""
    birth_date: date
    gender: str
    position: str | None
    instansi_id: str
    instansi_name: str
    kanreg_id: str
    status_id: str
    status_name: str
    score: float | None = None

    @property
    def candidate(self) -> RegistryCandidate:
        """The hit as identity scoring reads a registry row."""
        return RegistryCandidate(
            self.nip, self.name_normalised, self.birth_date, self.gender, self.instansi_id,
            self.instansi_name, self.titles,
        )  # fmt: skip


def with_titles(front: str | None, name: str, back: str | None) -> str:
    """The name as the registry's gelar dress it: "Dr. Hasanah Lestari, S.Pd."."""
    full = f"{front} {name}" if front else name
    return f"{full}, {back}" if back else full


def hit_of(row: Asn, score: float | None = None) -> RegistryHit:
    return RegistryHit(
        nip=row.nip, name=with_titles(row.front_title, row.name, row.back_title),
        name_normalised=row.name_normalised, titles=title_keys(row.front_title, row.back_title),
        birth_date=row.birth_date, gender=row.gender,
        position=row.position, instansi_id=row.instansi_id, instansi_name=row.instansi_name,
        kanreg_id=row.kanreg_id, status_id=row.status_id, status_name=row.status_name, score=score,
    )  # fmt: skip


def registry_hits(database: Database, nips: Iterable[str]) -> dict[str, RegistryHit]:
    """The registry rows of ``nips`` (those that exist), by NIP."""
    wanted = sorted(set(nips))
    if not wanted:
        return {}
    with database.session() as session:
        return {r.nip: hit_of(r) for r in session.scalars(select(Asn).where(Asn.nip.in_(wanted)))}


def instansi_name(database: Database, instansi_id: str | None) -> str | None:
    """The registry's name for an instansi id (None when ``instansi_id`` is not one): a source that
    writes the id (BKN Wasdal, IDIS) is shown to a steward by name."""
    if not instansi_id:
        return None
    with database.session() as session:
        return session.scalar(select(Asn.instansi_name).where(Asn.instansi_id == instansi_id).limit(1))


def search_registry(
    database: Database,
    query: RegistryQuery,
    *,
    thresholds: IdentityThresholds | None = None,
    limit: int = 20,
) -> list[RegistryHit]:
    """Registry ASN matching ``query``, best first, at most ``limit`` (capped at ``MAX_LIMIT``).

    Raises :class:`RegistrySearchError` when the query names nothing to search by (``empty``) or
    gives a NIP fragment too short to narrow anything (``nip_short``) or not made of digits
    (``nip_digits``).
    """
    digits = query.nip_digits
    if query.is_empty():
        raise RegistrySearchError("empty", "give a name, a NIP (or its first digits) or a birth date")
    if query.nip and not digits:
        raise RegistrySearchError("nip_digits", "a NIP is made of digits")
    if digits and len(digits) < MIN_NIP_DIGITS and not canonical_name(query.name):
        raise RegistrySearchError("nip_short", f"give at least {MIN_NIP_DIGITS} digits of the NIP")
    limit = max(1, min(limit, MAX_LIMIT))
    with database.session() as session:
        instansi_ids = _instansi_ids(session, query.instansi) if query.instansi else None
        if instansi_ids is not None and not instansi_ids:
            return []  # no instansi of the registry answers to what was written
        nips = _nip_pool(session, digits, instansi_ids)
        if canonical_name(query.name):
            nips |= _anchored(session, canonical_name(query.name).split(), instansi_ids)
        if query.birth_date is not None and len(digits) < MIN_NIP_DIGITS:
            nips |= _block(session, Asn.birth_date == query.birth_date, instansi_ids, BIRTH_LIMIT)
    if canonical_name(query.name):
        nips |= _reconciliation_candidates(database, query, instansi_ids, thresholds)
    hits = [
        h
        for h in registry_hits(database, nips).values()
        if (instansi_ids is None or h.instansi_id in instansi_ids)
        and (query.birth_date is None or h.birth_date == query.birth_date)
        and (not digits or len(digits) < MIN_NIP_DIGITS or h.nip.startswith(digits))
    ]
    if not canonical_name(query.name):
        return sorted(hits, key=lambda h: (h.name_normalised, h.nip))[:limit]
    scoring = make_query(nip_raw=None, name=query.name, instansi=None)
    scoring = replace(scoring, birth_date=query.birth_date)
    scored = [replace(h, score=_score(scoring, h)) for h in hits]
    # A NIP prefix or a birth date has already narrowed the hits to a few: keep even a weak name.
    narrowed = len(digits) >= MIN_NIP_DIGITS or query.birth_date is not None
    kept = [h for h in scored if narrowed or (h.score or 0.0) >= NAME_FLOOR]
    return sorted(kept, key=lambda h: (-(h.score or 0.0), h.nip))[:limit]


def _score(query: IdentityQuery, hit: RegistryHit) -> float:
    """The reconciliation's score; a name written only in part ("Rusli Patunru" for "Rusli Eko
    Patunru") scores as the full name would, discounted by ``PARTIAL_NAME``: a steward often knows
    only some of a name, where the reconciliation must never link on a part."""
    score = score_candidate(query, hit.candidate)
    written, registered = set(canonical_name(query.name).split()), canonical_name(hit.name_normalised).split()
    if written and written < set(registered):
        whole = score_candidate(replace(query, name=hit.name_normalised), hit.candidate)
        score = max(score, round(PARTIAL_NAME * whole, 4))
    return score


def _nip_pool(session: Session, digits: str, instansi_ids: set[str] | None) -> set[str]:
    if len(digits) < MIN_NIP_DIGITS:
        return set()
    if len(digits) >= 18:
        return set(session.scalars(select(Asn.nip).where(Asn.nip == digits[:18])))
    # A range over the primary key: ":" is the byte after "9", so [digits, digits:) is the prefix.
    prefix = (Asn.nip >= digits) & (Asn.nip < digits + ":")
    return _block(session, prefix, instansi_ids, PREFIX_LIMIT)


def _block(
    session: Session, where: ColumnElement[bool], instansi_ids: set[str] | None, limit: int
) -> set[str]:
    query: Select[Any] = select(Asn.nip).where(where)
    if instansi_ids is not None:
        query = query.where(Asn.instansi_id.in_(sorted(instansi_ids)))
    return set(session.scalars(query.limit(limit)))


def _anchored(session: Session, tokens: Sequence[str], instansi_ids: set[str] | None) -> set[str]:
    """Names starting with one of the query's tokens and holding another anywhere (any word order, one
    token misspelt), then names starting or ending with one token (two tokens, one misspelt);
    ``ANCHOR_LIMIT`` rows per anchor. The pairs come first because a common first name ("SITI",
    "MUHAMMAD") fills a single-token anchor with thousands of others."""
    postgres = session.get_bind().dialect.name == "postgresql"
    found: set[str] = set()
    kept = list(dict.fromkeys(t for t in tokens if len(t) > 1))[:MAX_TOKENS]
    for first in kept:
        for other in (t for t in kept if t != first):
            pair = Asn.name_normalised.like(f"{first} %") & Asn.name_normalised.like(f"% {other}%")
            found |= _block(session, pair, instansi_ids, ANCHOR_LIMIT)
    for token in kept:
        head = Asn.name_normalised.like(f"{token} %")
        # SQLite has no reverse(); its LIKE scans anyway, and a local registry is small.
        tail = (
            func.reverse(Asn.name_normalised).like(f"{token[::-1]} %")
            if postgres
            else Asn.name_normalised.like(f"% {token}")
        )
        for anchor in (or_(head, Asn.name_normalised == token), tail):
            found |= _block(session, anchor, instansi_ids, ANCHOR_LIMIT)
    return found


def _reconciliation_candidates(
    database: Database,
    query: RegistryQuery,
    instansi_ids: set[str] | None,
    thresholds: IdentityThresholds | None,
) -> set[str]:
    """What identity resolution itself would consider for this name, birth date and instansi."""
    written = query.instansi if instansi_ids and len(instansi_ids) == 1 else None
    probe = make_query(nip_raw=query.nip_digits or None, name=query.name, instansi=written)
    if query.birth_date is not None:
        probe = replace(probe, birth_date=query.birth_date)
    [found] = CandidateSearch(database, thresholds or IdentityThresholds()).search([probe])
    return {c.nip for c in found}


def _instansi_ids(session: Session, written: str | None) -> set[str]:
    """The registry's instansi whose id is ``written`` or whose name contains it (normalised)."""
    key = normalise_instansi(written)
    if not key:
        return set()
    ids: set[str] = set()
    # One index probe per instansi (the reconciliation's loose index scan), not a read of the table.
    for ident, name in session.execute(INSTANSI_LIST).tuples():
        if key == normalise_instansi(ident) or f" {key} " in f" {normalise_instansi(name)} ":
            ids.add(ident)
    return ids
