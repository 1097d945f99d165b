"""Registry candidate search for identity resolution: many queries, few round trips.

Blocking keys, each an indexed lookup of ``asn_registry`` batched over all queries:

- the NIP (a registered holder whose name matches ends the search);
- the exact canonical name, also with the last token moved back from the front ("SUTANTO WAHYUNI
  MAYA" is "WAHYUNI MAYA SUTANTO" written surname first);
- the digits after the birth date (appointment, gender, serial) of a NIP whose birth date is
  impossible, on migration 0003's expression index;
- the birth date (from a valid NIP, or what a partial one still shows);
- for a misspelt name, the names of the written instansi that share its first or its last token
  (when neither the birth date nor the exact name found the person there; a middle initial, which
  every name it abbreviates there fits, is always searched), and, when nothing
  plausible turned up at all, the names nationally that start with its first token and the
  initial of its second, or end with its last token and start with its first letter, or (three
  tokens or more) end with all its tokens but the first: one slip anywhere but in those letters
  still finds the person (a first or last name alone is shared by tens of thousands nationally).
  Those are ranked as distinct names, and every holder of the nearest is taken (a name alone is held
  by up to hundreds nationally: a cut among its rows would choose by NIP); a name that finds
  nothing near as written is searched again with its first token moved last (surname first).

On PostgreSQL with pg_trgm (``trigram_available``) the birth-date and misspelt-name blocks are ranked
in the database by trigram ``similarity`` and only their best few rows come back, in one statement
per batch (a LATERAL join over unnested arrays); the token anchors are byte ranges over 0003's
``text_pattern_ops`` indexes. A trigram index is not used: at 4.3 million names built from a few
thousand tokens, GIN's ``%`` and GiST's ``<->`` both visit a large part of the table for every
query (0.5 and 1.5 s). Elsewhere (SQLite, or pg_trgm refused) the birth-date block comes back whole
and the instansi anchors are matched with LIKE. Every statement has bound parameters only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, TextClause, and_, func, or_, select, text
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry as Asn
from sbt_sync.reconcile.identity.resolve import (
    IdentityQuery,
    IdentityThresholds,
    RegistryCandidate,
    canonical_name,
    has_initial,
    instansi_agrees,
    name_similarity,
    normalise_instansi,
)
from schemas.names import normalise_name, title_keys

CHUNK = 2_000
"""Values per IN list or LATERAL batch: far below SQLite's 32,766 bound parameters."""
BIRTH_LIMIT = 10
"""Names kept per birth date: the nearest to the query's (one birth date holds ~300 ASN nationally)."""
INSTANSI_LIMIT = 30
"""Names kept per instansi: enough for every namesake of a misspelt name (they tie on similarity)."""
NATIONAL_LIMIT = 10
"""Distinct names the national search ranks per misspelt name (as written, and turned back)."""
NATIONAL_NAMES_KEPT = 3
"""Of those, the nearest whose holders are all taken (beside every name within ``margin`` of the best)."""
_COLUMNS = (
    Asn.nip, Asn.name_normalised, Asn.birth_date, Asn.gender, Asn.instansi_id, Asn.instansi_name,
    Asn.front_title, Asn.back_title,
)  # fmt: skip
# One LATERAL subquery per query over unnested arrays (query index, block key, name, anchors), ranking
# a small block by pg_trgm's ``similarity`` in the database so only its best rows travel. Anchors are
# byte ranges over migration 0003's ``text_pattern_ops`` indexes (``_anchors``): [lo, hi) on the name
# for a name starting with the query's first tokens, [rlo, rhi) on the reversed name for one ending
# with its last tokens, [slo, shi) on the reversed name for one ending with its first token (a
# surname the query wrote first), and [plo, phi) on the name for one starting with its second token
# (the same, when the surname the query wrote first is misspelt).
_RANKED_HEAD = (
    "SELECT q.i, a.* FROM unnest(CAST(:idx AS integer[]), CAST(:keys AS {key_type}[]), "
    "CAST(:names AS text[]), CAST(:lo AS text[]), CAST(:hi AS text[]), CAST(:rlo AS text[]), "
    "CAST(:rhi AS text[]), CAST(:slo AS text[]), CAST(:shi AS text[]), CAST(:plo AS text[]), "
    "CAST(:phi AS text[])) AS q(i, key, name, lo, hi, rlo, rhi, slo, shi, plo, phi) "
    "CROSS JOIN LATERAL (SELECT b.nip, "
    "b.name_normalised, b.birth_date, b.gender, b.instansi_id, b.instansi_name, b.front_title, "
    "b.back_title FROM asn_registry b "
)
_EXACT_IN_INSTANSI = text(
    "SELECT q.i, a.* FROM unnest(CAST(:idx AS integer[]), CAST(:keys AS text[]), CAST(:names AS text[])) "
    "AS q(i, key, name) CROSS JOIN LATERAL (SELECT b.nip, b.name_normalised, b.birth_date, b.gender, "
    "b.instansi_id, b.instansi_name, b.front_title, b.back_title FROM asn_registry b "
    "WHERE b.instansi_id = q.key AND b.name_normalised = q.name) a"
)
_ANCHOR_NAMES = ("lo", "hi", "rlo", "rhi", "slo", "shi", "plo", "phi")
_RANKED_TAIL = "ORDER BY similarity(b.name_normalised, q.name) DESC, b.nip LIMIT :k) a"
_ANCHORED = (
    "((b.name_normalised ~>=~ q.lo AND b.name_normalised ~<~ q.hi) "
    "OR (reverse(b.name_normalised) ~>=~ q.rlo AND reverse(b.name_normalised) ~<~ q.rhi)) "
)
_SURNAME_FIRST = (
    "OR (reverse(b.name_normalised) ~>=~ q.slo AND reverse(b.name_normalised) ~<~ q.shi) "
    "OR (b.name_normalised ~>=~ q.plo AND b.name_normalised ~<~ q.phi)"
)
_BIRTH_RANKED = text(_RANKED_HEAD.format(key_type="date") + "WHERE b.birth_date = q.key " + _RANKED_TAIL)
_INSTANSI_RANKED = text(
    _RANKED_HEAD.format(key_type="text")
    + f"WHERE b.instansi_id = q.key AND ({_ANCHORED}{_SURNAME_FIRST}) "
    + _RANKED_TAIL
)
# Nationally, for a name no other block placed: the distinct registry names (not rows: one name is
# held by up to hundreds nationally, and a cut among its holders would choose them by NIP) starting
# with its first token and the initial of its second [lo, hi); ending with its last token [rlo, rhi)
# and starting with its first letter [ilo, ihi) or with its first token but that letter (``rest``: a
# slip in the first letter, "VUDI SANTOSO"; a filter on the same index range, no further scan); and,
# for three tokens or more, ending with all its tokens but the first [tlo, thi); the best ``:k`` by
# similarity. A slip anywhere but in those few letters leaves at least one range holding the person's
# name; ``_national`` then takes every holder of the names that come near enough.
_NATIONAL_SQL = (
    "SELECT q.i, a.name FROM unnest(CAST(:idx AS integer[]), CAST(:names AS text[]), "
    "CAST(:lo AS text[]), CAST(:hi AS text[]), CAST(:rlo AS text[]), CAST(:rhi AS text[]), "
    "CAST(:ilo AS text[]), CAST(:ihi AS text[]), CAST(:tlo AS text[]), CAST(:thi AS text[]), "
    "CAST(:rest AS text[])) "
    "AS q(i, name, lo, hi, rlo, rhi, ilo, ihi, tlo, thi, rest) "
    "CROSS JOIN LATERAL (SELECT d.name FROM (SELECT DISTINCT b.name_normalised AS name "
    "FROM asn_registry b WHERE "
    "(b.name_normalised ~>=~ q.lo AND b.name_normalised ~<~ q.hi) "
    "OR (reverse(b.name_normalised) ~>=~ q.rlo AND reverse(b.name_normalised) ~<~ q.rhi "
    "AND ((b.name_normalised ~>=~ q.ilo AND b.name_normalised ~<~ q.ihi) "
    "OR (q.rest <> '' AND substr(b.name_normalised, 2, length(q.rest)) = q.rest))) "
    "OR (reverse(b.name_normalised) ~>=~ q.tlo AND reverse(b.name_normalised) ~<~ q.thi)) d "
    "ORDER BY similarity(d.name, q.name) DESC, d.name LIMIT :k) a"
)
_NATIONAL_RANKED = text(_NATIONAL_SQL)
# The name turned back (surname first) ends with the query's first token, often a common first name:
# without the first-letter arm its tail range is pruned by the initial (a BitmapAnd), with it every row
# of that range is fetched. The turned search keeps the initial only (``rest`` is not read).
_NATIONAL_TURNED = text(
    _NATIONAL_SQL.replace(
        "AND ((b.name_normalised ~>=~ q.ilo AND b.name_normalised ~<~ q.ihi) "
        "OR (q.rest <> '' AND substr(b.name_normalised, 2, length(q.rest)) = q.rest))) ",
        "AND b.name_normalised ~>=~ q.ilo AND b.name_normalised ~<~ q.ihi) ",
    )
)
_NATIONAL_ANCHORS = ("lo", "hi", "rlo", "rhi", "ilo", "ihi", "tlo", "thi", "rest")
# Distinct instansi without reading the table: one index probe per instansi (a loose index scan).
INSTANSI_LIST = text(
    "WITH RECURSIVE ids(id) AS (SELECT min(instansi_id) FROM asn_registry UNION ALL "
    "SELECT (SELECT min(instansi_id) FROM asn_registry WHERE instansi_id > ids.id) FROM ids "
    "WHERE ids.id IS NOT NULL) "
    "SELECT id, (SELECT instansi_name FROM asn_registry WHERE instansi_id = ids.id LIMIT 1) "
    "FROM ids WHERE id IS NOT NULL"
)


def trigram_available(session: Session) -> bool:
    """Whether this is PostgreSQL with pg_trgm installed (``similarity`` ranks the blocks)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    found = session.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
    return found is not None


_Found = list[dict[str, RegistryCandidate]]
"""Per query, the candidates found so far by NIP."""


@dataclass(frozen=True, slots=True)
class _Probe:
    """What the blocks look up for one open query."""

    index: int
    query: IdentityQuery
    canonical: str
    tokens: tuple[str, ...]
    names: frozenset[str]
    """Exact-name keys: canonical, normalised as written, and surname-first turned back."""


class CandidateSearch:
    """Registry candidates for batches of identity queries; one instance per reconciliation run."""

    def __init__(self, database: Database, thresholds: IdentityThresholds, *, chunk: int = CHUNK) -> None:
        self._database = database
        self._thresholds = thresholds
        self._chunk = chunk
        self._instansi: dict[str, set[str]] | None = None

    def search(self, queries: Sequence[IdentityQuery]) -> list[list[RegistryCandidate]]:
        """For each query, in order, the registry rows ``resolve`` should score (possibly none).

        A query whose NIP is registered under a matching name gets only that holder; every other query
        gets the rows its blocking keys find, plus fuzzy neighbours where those hold nothing plausible.
        """
        found: _Found = [{} for _ in queries]
        with self._database.session() as session:
            by_nip = self._lookup(session, Asn.nip, {q.nip for q in queries if q.nip})
            probes: list[_Probe] = []
            for i, query in enumerate(queries):
                holder = by_nip.get(query.nip or "", [])
                found[i].update((c.nip, c) for c in holder)
                if not holder or not self._similar(query, holder, self._thresholds.name_mismatch):
                    probes.append(_probe(i, query))
            ranked = trigram_available(session)
            self._exact(session, probes, found, postgres=session.get_bind().dialect.name == "postgresql")
            self._births(session, probes, found, ranked=ranked)
            self._instansi_block(session, probes, found, ranked=ranked)
            if ranked:
                self._national(session, [p for p in probes if len(p.tokens) > 1], found)
        return [sorted(f.values(), key=lambda c: c.nip) for f in found]

    def _exact(self, session: Session, probes: list[_Probe], found: _Found, *, postgres: bool) -> None:
        """Exact names, and the digits after an impossible birth date (with the birth year checked).

        On PostgreSQL a query with a written instansi first looks for its name there; only when that
        finds nobody does it take the name's namesakes nationally (dozens to hundreds each, all
        scored below any namesake of the written instansi).
        """
        national = probes
        if postgres:
            wanted = [
                (p, ident, name)
                for p in probes
                for ident in sorted(self._instansi_ids(session, p.query.instansi))
                for name in sorted(p.names)
            ]
            for start in range(0, len(wanted), self._chunk):
                chunk = wanted[start : start + self._chunk]
                params = {"idx": [w[0].index for w in chunk], "keys": [w[1] for w in chunk]}
                params["names"] = [w[2] for w in chunk]
                for row in session.execute(_EXACT_IN_INSTANSI, params):
                    found[row[0]].setdefault(row[1], _candidate(row[1:]))
            national = [p for p in probes if not found[p.index] or p.query.nip is not None]
        by_name = self._lookup(session, Asn.name_normalised, {n for p in national for n in p.names})
        tails = {p.query.nip_tail for p in probes} - {None}
        by_tail = self._lookup(session, func.substr(Asn.nip, 9, 10), tails, key=lambda c: c.nip[8:])
        for p in national:
            for name in p.names:
                found[p.index].update((c.nip, c) for c in by_name.get(name, []))
        for p in probes:
            year = p.query.birth_year
            for c in by_tail.get(p.query.nip_tail or "", []):
                if year is None or c.birth_date is None or c.birth_date.year == year:
                    found[p.index].setdefault(c.nip, c)

    def _births(self, session: Session, probes: list[_Probe], found: _Found, *, ranked: bool) -> None:
        dated = [p for p in probes if p.query.birth_date is not None]
        if ranked:
            named = [p for p in dated if p.tokens]
            births = [p.query.birth_date for p in named]
            self._ranked(session, _BIRTH_RANKED, named, births, [1] * len(named), found, BIRTH_LIMIT)
            return
        by_birth = self._lookup(session, Asn.birth_date, {p.query.birth_date for p in dated})
        for p in dated:
            found[p.index].update((c.nip, c) for c in by_birth.get(p.query.birth_date, []))

    def _instansi_block(self, session: Session, probes: list[_Probe], found: _Found, *, ranked: bool) -> None:
        """Misspelt names within the written instansi, for queries the other blocks leave open there."""
        wanted: list[tuple[_Probe, str]] = []
        for p in probes:
            if not p.tokens or not p.query.instansi:
                continue
            if p.query.birth_date is not None and self._plausible(p, found):
                continue  # the names of that birth date are in (the nearest ones, when ranked)
            if not has_initial(p.canonical) and any(
                instansi_agrees(p.query.instansi, c) and canonical_name(c.name_normalised) == p.canonical
                for c in found[p.index].values()
            ):
                # Its exact name is in the instansi: a misspelling is not more likely. A middle initial
                # ("BUDI M SANTOSO") still fits every namesake it abbreviates there.
                continue
            wanted += [(p, ident) for ident in sorted(self._instansi_ids(session, p.query.instansi))]
        if ranked:
            probes_, ids = [w[0] for w in wanted], [w[1] for w in wanted]
            self._ranked(session, _INSTANSI_RANKED, probes_, ids, [1] * len(wanted), found, INSTANSI_LIMIT)
            return
        step = max(self._chunk // 10, 1)
        for start in range(0, len(wanted), step):
            for i, c in self._instansi_tokens(session, wanted[start : start + step]):
                found[i].setdefault(c.nip, c)

    def _plausible(self, probe: _Probe, found: _Found) -> bool:
        return self._similar(probe.query, found[probe.index].values(), self._thresholds.min_candidate)

    def _similar(self, query: IdentityQuery, rows: Iterable[RegistryCandidate], floor: float) -> bool:
        return any(name_similarity(query.name, c.name_normalised) >= floor for c in rows)

    def _lookup(
        self,
        session: Session,
        column: Any,
        keys: set[Any],
        *,
        key: Any = None,
    ) -> dict[Any, list[RegistryCandidate]]:
        """Rows whose ``column`` is one of ``keys``, grouped by it (``key`` says how to read it back)."""
        result: dict[Any, list[RegistryCandidate]] = defaultdict(list)
        ordered = sorted(keys)
        for start in range(0, len(ordered), self._chunk):
            chunk = ordered[start : start + self._chunk]
            for row in session.execute(select(*_COLUMNS).where(column.in_(chunk))):
                candidate = _candidate(row)
                result[key(candidate) if key else getattr(candidate, column.key)].append(candidate)
        return result

    def _national(self, session: Session, probes: list[_Probe], found: _Found) -> None:
        """Misspelt names nothing plausible was found for, searched nationally (``_NATIONAL_RANKED``):
        the nearest registry names, and every holder of those within ``margin`` of the nearest and of
        the next few (``NATIONAL_NAMES_KEPT``), so all namesakes of the name meant are offered, never
        the first few by NIP. A name that finds nothing near ``auto_accept`` as written is searched
        again with its first token moved last (a surname written first, then misspelt)."""
        lost = [p for p in probes if not self._plausible(p, found)]
        near = self._nearest_names(session, [(p, p.tokens) for p in lost])
        turned = [
            (p, (*p.tokens[1:], p.tokens[0]))
            for p in lost
            if max(near[p.index].values(), default=0.0) < self._thresholds.auto_accept
        ]
        for index, again in self._nearest_names(session, turned, _NATIONAL_TURNED).items():
            near[index].update(again)
        chosen: dict[int, set[str]] = {}
        for p in lost:
            kept = sorted(
                (
                    (score, name)
                    for name, score in near[p.index].items()
                    if score >= self._thresholds.min_candidate
                ),
                key=lambda pair: (-pair[0], pair[1]),
            )
            if kept:
                best = kept[0][0]
                chosen[p.index] = {
                    name
                    for n, (score, name) in enumerate(kept)
                    if n < NATIONAL_NAMES_KEPT or score >= best - self._thresholds.margin
                }
        by_name = self._lookup(session, Asn.name_normalised, {n for names in chosen.values() for n in names})
        for index, names in chosen.items():
            for name in names:
                found[index].update((c.nip, c) for c in by_name.get(name, []))

    def _nearest_names(
        self,
        session: Session,
        wanted: Sequence[tuple[_Probe, tuple[str, ...]]],
        statement: TextClause = _NATIONAL_RANKED,
    ) -> dict[int, dict[str, float]]:
        """Per probe, the registry names ``_NATIONAL_RANKED`` finds nearest to its tokens (as given),
        each with its ``name_similarity`` to the name as written."""
        near: dict[int, dict[str, float]] = defaultdict(dict)
        for start in range(0, len(wanted), self._chunk):
            chunk = wanted[start : start + self._chunk]
            anchors = [_national_anchors(tokens) for _, tokens in chunk]
            params: dict[str, Any] = {
                "idx": [p.index for p, _ in chunk],
                "names": [" ".join(tokens) for _, tokens in chunk],
                **{name: [a[n] for a in anchors] for n, name in enumerate(_NATIONAL_ANCHORS)},
                "k": NATIONAL_LIMIT,
            }
            written = {p.index: p.query.name for p, _ in chunk}
            for index, name in session.execute(statement, params).tuples():
                near[index][name] = name_similarity(written[index], name)
        return near

    def _ranked(
        self,
        session: Session,
        statement: TextClause,
        probes: Sequence[_Probe],
        keys: Sequence[date | str | None],
        keep: Sequence[int],
        found: _Found,
        limit: int,
    ) -> None:
        """Run a ranked LATERAL statement for each probe with its block key and anchors of ``keep`` tokens."""
        for start in range(0, len(probes), self._chunk):
            chunk = range(start, min(start + self._chunk, len(probes)))
            anchors = [_anchors(probes[j].tokens, keep[j]) for j in chunk]
            params = {
                "idx": [probes[j].index for j in chunk],
                "keys": [keys[j] for j in chunk],
                "names": [probes[j].canonical for j in chunk],
                **{name: [a[n] for a in anchors] for n, name in enumerate(_ANCHOR_NAMES)},
                "k": limit,
            }
            for row in session.execute(statement, params):
                found[row[0]].setdefault(row[1], _candidate(row[1:]))

    def _instansi_tokens(
        self, session: Session, wanted: list[tuple[_Probe, str]]
    ) -> Iterable[tuple[int, RegistryCandidate]]:
        """Names of the query's instansi starting with its first or second token or ending with its first
        or last."""
        clauses: list[ColumnElement[bool]] = [
            and_(
                Asn.instansi_id == ident,
                or_(
                    Asn.name_normalised.like(f"{p.tokens[0]} %"),
                    Asn.name_normalised.like(f"% {p.tokens[-1]}"),
                    Asn.name_normalised.like(f"% {p.tokens[0]}"),
                    Asn.name_normalised.like(f"{p.tokens[min(1, len(p.tokens) - 1)]} %"),
                ),
            )
            for p, ident in wanted
        ]
        if not clauses:
            return
        rows = [_candidate(row) for row in session.execute(select(*_COLUMNS).where(or_(*clauses)))]
        for p, ident in wanted:
            starts = tuple(f"{t} " for t in p.tokens[:2])
            ends = (f" {p.tokens[-1]}", f" {p.tokens[0]}")
            for c in rows:
                if c.instansi_id == ident and (
                    c.name_normalised.startswith(starts) or c.name_normalised.endswith(ends)
                ):
                    yield p.index, c

    def _instansi_ids(self, session: Session, written: str | None) -> set[str]:
        """The registry's instansi ids a written instansi (id or name) denotes; loaded once per search."""
        if self._instansi is None:
            self._instansi = defaultdict(set)
            for ident, name in session.execute(INSTANSI_LIST).tuples():
                self._instansi[normalise_instansi(ident)].add(ident)
                self._instansi[normalise_instansi(name)].add(ident)
        return self._instansi.get(normalise_instansi(written), set())


def _probe(index: int, query: IdentityQuery) -> _Probe:
    canonical = canonical_name(query.name)
    tokens = tuple(canonical.split())
    names = {canonical, normalise_name(query.name)}
    if len(tokens) > 1:
        names.add(" ".join([*tokens[1:], tokens[0]]))
    return _Probe(index, query, canonical, tokens, frozenset(n for n in names if n))


def _anchors(tokens: Sequence[str], keep: int) -> tuple[str, ...]:
    """Byte ranges (``_ANCHOR_NAMES``) for names starting with the first ``keep`` tokens, and, on the
    reversed name, ending with the last ``keep`` or with the first, and names starting with the
    second token (an empty range for a single token)."""
    head = " ".join(tokens[:keep]) + " "
    tail = (" " + " ".join(tokens[-keep:]))[::-1]
    surname = (" " + " ".join(tokens[:keep]))[::-1]
    second = tokens[1] + " " if len(tokens) > 1 else ""
    return (
        head, _after(head), tail, _after(tail), surname, _after(surname),
        second, _after(second) if second else "",
    )  # fmt: skip


def _national_anchors(tokens: Sequence[str]) -> tuple[str, ...]:
    """``_NATIONAL_ANCHORS`` for a name of two tokens or more: "EKA R" ("EKA RAHMN"); names ending
    " RAHMAN" that start with "E" ("ELA RAHMAN", "EKAA RAHMAN") or with any letter and "KA " ("IKA
    RAHMAN"); and with three tokens or more, names
    ending with all but the first (an empty range for two: a last name alone is shared by tens of
    thousands)."""
    head = f"{tokens[0]} {tokens[1][0]}"
    tail = f" {tokens[-1]}"[::-1]
    rest = f" {' '.join(tokens[1:])}"[::-1] if len(tokens) > 2 else ""
    # A first token of three letters or more without its first letter ("UDI "): shorter, it would let
    # in every name of the tail range.
    unfirst = f"{tokens[0][1:]} " if len(tokens[0]) > 2 else ""
    return (
        head, _after(head), tail, _after(tail), tokens[0][0], _after(tokens[0][0]),
        rest, _after(rest) if rest else "", unfirst,
    )  # fmt: skip


def _after(prefix: str) -> str:
    """The first string past every string that starts with ``prefix``: names are upper-case letters
    and single spaces, so the last character's successor ("!" after " ", "S" after "R") bounds them."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _candidate(row: Row[Any] | Sequence[Any]) -> RegistryCandidate:
    nip, name, birth, gender, instansi_id, instansi_name, front, back = tuple(row)
    return RegistryCandidate(nip, name, birth, gender, instansi_id, instansi_name, title_keys(front, back))
