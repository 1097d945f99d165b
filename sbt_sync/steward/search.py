"""The console's one search box (issue 19): ASN, cases, conflicts and source records from what a
steward types, grouped, each as the viewer may see it.

What is typed is read three ways at once (:mod:`sbt_sync.steward.search_terms`):

- a **name** (letters, no digit): source records naming someone like it, tolerant of titles ("Dr.",
  "H.", "S.Pd."), a slip in a token and word order. A bounded pool (names holding a token's first or
  last three letters, those holding most of them first, ``POOL_LIMIT`` rows; on PostgreSQL with
  pg_trgm also the rows nearest by trigram similarity) is scored with the reconciliation's
  :func:`~sbt_sync.reconcile.identity.resolve.name_similarity`, a name written in part discounted by
  ``PARTIAL_NAME``. The ASN registry is searched by :mod:`sbt_sync.steward.registry_search`;
- a **NIP** (digits only once spaces, dots and dashes are dropped, at least ``MIN_NIP_DIGITS``): any
  part of a NIP (the full 18 digits, the first digits, the last six) in cases and records; in the
  registry, a prefix (an index range) plus the registry rows of the NIPs found in cases and records;
- a **number** (any text of ``MIN_NUMBER`` characters or more): register, recommendation and SK numbers
  and record keys holding it, case-insensitive, one "/", "-", "." or space standing for any other.

Cases come from the records found (their active links), their own NIP and numbers, and the NIPs of
the registry ASN found; conflicts are those of the cases and records found, or ``#id``.

Scope (:mod:`sbt_sync.steward.scope`): an agency viewer's search reads only their own agency's
records (a number or name in another agency's record finds nothing, so it cannot be probed), cases and
conflicts only where :func:`~sbt_sync.steward.scope.case_visible` and
:func:`~sbt_sync.steward.scope.conflict_visible` let them, each shown through
:func:`~sbt_sync.steward.scope.case_scopes`; the registry is searched only when ``registry`` is set
(the roles the registry search API serves). Every statement has bound parameters and a LIMIT. The
query is personal data: nothing here logs it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, CaseLink, Conflict, StagedRecord, User
from sbt_sync.reconcile.identity.resolve import IdentityThresholds
from sbt_sync.states.conflicts import ConflictStatus
from sbt_sync.steward.case_labels import case_labels
from sbt_sync.steward.conflicts import ConflictSummary, scoped_summary, summary_of
from sbt_sync.steward.names_found import POOL_LIMIT, name_pool
from sbt_sync.steward.registry_search import (
    RegistryHit,
    RegistryQuery,
    RegistrySearchError,
    registry_hits,
    search_registry,
)
from sbt_sync.steward.scope import case_scopes, case_visible, conflict_case_id, conflict_visible
from sbt_sync.steward.search_terms import (
    NAME_FLOOR,
    SearchTerms,
    name_score,
    number_pattern,
    parse,
)

log = logging.getLogger(__name__)

GROUP_LIMIT = 25
"""Hits shown per group."""
SK_FIELD = "sanction_sk_no"
"""The golden field (and staged record field) holding the PPK's decision number (SK)."""


@dataclass
class AsnHit:
    """A registry ASN found (BKN's roles only)."""

    nip: str
    name: str
    position: str | None
    instansi_name: str
    status_name: str
    score: float | None
    cases: int = 0


@dataclass
class RecordHit:
    """A source record found: one of the viewer's own, whole."""

    id: int
    source: str
    record_key: str
    item_no: int
    name: str | None
    nip_raw: str | None
    register_no: str | None
    recommendation_no: str | None
    sk_no: str | None
    withdrawn: bool
    why: set[str]
    score: float
    case_id: int | None = None
    conflict_id: int | None = None
    """An identity conflict on the record, for one that joined no case."""


@dataclass
class CaseHit:
    """A case found, as :mod:`sbt_sync.steward.scope` lets the viewer see it."""

    id: int
    case_key: str | None
    nip: str | None
    status: str
    event_code: str | None
    held: bool
    register_no: str | None
    recommendation_no: str | None
    why: set[str]
    score: float
    names: list[str] = field(default_factory=list)
    """The names the records found in it write (the viewer's own records only)."""
    withheld: list[str] = field(default_factory=list)
    label: str | None = None
    """The short label ("Pilkada 2024 · 0070/… · Tri W."), :mod:`sbt_sync.steward.case_labels`."""


@dataclass
class ConflictHit:
    summary: ConflictSummary
    why: set[str]
    case_label: str | None = None


@dataclass
class SearchResults:
    asn: list[AsnHit] = field(default_factory=list)
    cases: list[CaseHit] = field(default_factory=list)
    conflicts: list[ConflictHit] = field(default_factory=list)
    records: list[RecordHit] = field(default_factory=list)
    registry: bool = False
    """Whether the registry was searched (the ASN group is shown)."""

    @property
    def total(self) -> int:
        return len(self.asn) + len(self.cases) + len(self.conflicts) + len(self.records)


def search(
    database: Database,
    text: str | None,
    *,
    sources: Sequence[str] | None,
    registry: bool,
    thresholds: IdentityThresholds | None = None,
    limit: int = GROUP_LIMIT,
) -> SearchResults:
    """Everything ``text`` finds that a user scoped to ``sources`` (None: everything) may see, each
    group best first and at most ``limit`` long; the registry only when ``registry``.

    Raises :class:`SearchError` when ``text`` gives nothing to search by.
    """
    terms = parse(text)
    asn = _registry(database, terms, thresholds) if registry else {}
    with database.session() as session:
        records = _records(session, terms, sources)
        linked = _linked_cases(session, records)
        cases = _cases(session, terms, sources, records, linked, asn)
        if registry and terms.digits:
            nips = {f.row.nip for f in [*cases.values(), *records.values()]}
            nips |= {f.row.resolved_nip for f in records.values()}
            found = {n for n in nips if n and terms.digits in n} - set(asn)
            asn.update(registry_hits(database, found))
        result = SearchResults(registry=registry)
        result.records = _record_hits(session, records, linked, limit)
        result.cases = _case_hits(session, cases, records, linked, sources, limit)
        result.conflicts = _conflicts(session, terms, sources, records, cases)[:limit]
        result.asn = _asn_hits(session, asn, limit)
    read_as = [
        kind for kind, part in (("name", terms.name), ("nip", terms.digits), ("number", terms.number)) if part
    ]
    # What was typed is personal data (a name, a NIP): only its length and what it was read as.
    log.debug(
        "search of %d characters read as %s: %d ASN, %d cases, %d conflicts, %d records",
        len(text or ""), "+".join(read_as) or "conflict id", len(result.asn), len(result.cases),
        len(result.conflicts), len(result.records),
    )  # fmt: skip
    return result


@dataclass
class _Found:
    """A record or case found, why, and how well (a name's similarity; 1.0 for a number or NIP)."""

    row: Any
    why: set[str] = field(default_factory=set)
    score: float = 0.0

    def add(self, why: str, score: float = 1.0) -> None:
        self.why.add(why)
        self.score = max(self.score, score)


def _record_numbers(record: StagedRecord) -> dict[str, str | None]:
    sk = (record.fields or {}).get(SK_FIELD)
    return {
        "register": record.register_no,
        "recommendation": record.recommendation_no,
        "sk": None if sk is None else str(sk),
        "key": record.record_key,
    }


def _records(session: Session, terms: SearchTerms, sources: Sequence[str] | None) -> dict[int, _Found]:
    """Source records found (``row`` a :class:`StagedRecord`), a viewer's own only."""
    found: dict[int, _Found] = {}

    def scoped(where: ColumnElement[bool]) -> list[StagedRecord]:
        query = select(StagedRecord).where(where)
        if sources is not None:
            query = query.where(StagedRecord.source.in_(list(sources)))
        return list(session.scalars(query.order_by(StagedRecord.id.desc()).limit(POOL_LIMIT)))

    if terms.digits:
        nips = (StagedRecord.nip, StagedRecord.resolved_nip, StagedRecord.nip_raw)
        for record in scoped(or_(*(column.contains(terms.digits) for column in nips))):
            found.setdefault(record.id, _Found(record)).add("nip")
    if terms.number:
        pattern, regex = number_pattern(terms)
        columns = (
            StagedRecord.register_no, StagedRecord.recommendation_no, StagedRecord.record_key,
            StagedRecord.fields[SK_FIELD].as_string(),
        )  # fmt: skip
        for record in scoped(or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))):
            for why, value in _record_numbers(record).items():
                if value is not None and regex.search(value.lower()):
                    found.setdefault(record.id, _Found(record)).add(why)
    if terms.name:
        for record in name_pool(session, terms.name, sources):
            score = name_score(terms.name, record.name)
            if score >= NAME_FLOOR:
                found.setdefault(record.id, _Found(record)).add("name", score)
    return found


def _linked_cases(session: Session, records: dict[int, _Found]) -> dict[int, int]:
    """The case each record found is linked to now (record id to case id)."""
    if not records:
        return {}
    links = select(CaseLink.staged_record_id, CaseLink.case_id).where(
        CaseLink.staged_record_id.in_(list(records)), CaseLink.unlinked_at.is_(None)
    )
    return dict(session.execute(links).tuples().all())


def _cases(
    session: Session,
    terms: SearchTerms,
    sources: Sequence[str] | None,
    records: dict[int, _Found],
    linked: dict[int, int],
    asn: dict[str, RegistryHit],
) -> dict[int, _Found]:
    """Cases found (``row`` a :class:`Case`): by the records found, their NIP, their own numbers
    (BKN's roles: a viewer finds numbers only in their own records) and the registry's ASN."""
    found: dict[int, _Found] = {}
    for record_id, case_id in linked.items():
        hit = records[record_id]
        entry = found.setdefault(case_id, _Found(None))
        for why in hit.why:
            entry.add(why, hit.score if why == "name" else 1.0)
    direct: list[tuple[str, ColumnElement[bool]]] = []
    if terms.digits:
        direct.append(("nip", Case.nip.contains(terms.digits)))
    if terms.number and sources is None:
        pattern, _ = number_pattern(terms)
        for why, column in (
            ("key", Case.case_key), ("register", Case.register_no),
            ("recommendation", Case.recommendation_no), ("sk", Case.golden[SK_FIELD].as_string()),
        ):  # fmt: skip
            direct.append((why, func.lower(column).like(pattern, escape="\\")))
    for why, where in direct:
        ids = select(Case.id).where(where)
        if sources is not None:
            ids = ids.where(case_visible(sources))
        for case_id in session.scalars(ids.order_by(Case.id.desc()).limit(POOL_LIMIT)):
            found.setdefault(case_id, _Found(None)).add(why)
    # The cases of the registry's ASN, as well found as the ASN is (a namesake ranks below her).
    near = {nip: 1.0 if h.score is None else h.score for nip, h in asn.items()}
    near = {nip: score for nip, score in near.items() if score >= NAME_FLOOR}
    if near:
        of_asn = select(Case.id, Case.nip).where(Case.nip.in_(sorted(near)))
        if sources is not None:
            of_asn = of_asn.where(case_visible(sources))
        for case_id, nip in session.execute(of_asn.order_by(Case.id.desc()).limit(POOL_LIMIT)).tuples():
            found.setdefault(case_id, _Found(None)).add("asn", near[nip or ""])
    if not found:
        return {}
    query = select(Case).where(Case.id.in_(list(found)))
    if sources is not None:
        query = query.where(case_visible(sources))
    rows = list(session.scalars(query))
    for row in rows:
        found[row.id].row = row
    return {row.id: found[row.id] for row in rows}


def _case_hits(
    session: Session,
    cases: dict[int, _Found],
    records: dict[int, _Found],
    linked: dict[int, int],
    sources: Sequence[str] | None,
    limit: int,
) -> list[CaseHit]:
    names: dict[int, list[str]] = defaultdict(list)
    for record_id, case_id in sorted(linked.items()):
        name = records[record_id].row.name
        if name and name not in names[case_id]:
            names[case_id].append(name)
    ranked = sorted(cases.values(), key=lambda f: (-f.score, -f.row.updated_at.timestamp(), -f.row.id))
    ranked = ranked[:limit]
    scopes = case_scopes(session, (f.row.id for f in ranked), sources)
    labels = case_labels(session, scopes, scopes)
    hits = []
    for f in ranked:
        c: Case = f.row
        scope = scopes[c.id]
        numbers, hidden = scope.golden(
            {"register_no": c.register_no, "recommendation_no": c.recommendation_no}
        )
        texts, unquoted = scope.texts(case_key=c.case_key)
        hits.append(
            CaseHit(
                id=c.id, case_key=texts["case_key"], nip=c.nip, status=c.status, event_code=c.event_code,
                held=c.held, register_no=numbers["register_no"],
                recommendation_no=numbers["recommendation_no"], why=f.why, score=f.score,
                names=names.get(c.id, []), withheld=unquoted + hidden, label=labels.get(c.id),
            )
        )  # fmt: skip
    return hits


def _record_hits(
    session: Session, records: dict[int, _Found], linked: dict[int, int], limit: int
) -> list[RecordHit]:
    ranked = sorted(records.values(), key=lambda f: (-f.score, -f.row.id))[:limit]
    ids = [f.row.id for f in ranked]
    identity = select(Conflict.staged_record_id, func.max(Conflict.id)).where(
        Conflict.staged_record_id.in_(ids)
    )
    conflicts = dict(session.execute(identity.group_by(Conflict.staged_record_id)).tuples().all())
    hits = []
    for f in ranked:
        r: StagedRecord = f.row
        hits.append(
            RecordHit(
                id=r.id, source=r.source, record_key=r.record_key, item_no=r.item_no, name=r.name,
                nip_raw=r.nip_raw, register_no=r.register_no, recommendation_no=r.recommendation_no,
                sk_no=_record_numbers(r)["sk"], withdrawn=r.withdrawn, why=f.why, score=f.score,
                case_id=linked.get(r.id), conflict_id=conflicts.get(r.id),
            )
        )  # fmt: skip
    return hits


def _conflicts(
    session: Session,
    terms: SearchTerms,
    sources: Sequence[str] | None,
    records: dict[int, _Found],
    cases: dict[int, _Found],
) -> list[ConflictHit]:
    """The conflicts of the cases and records found (``#id`` finds one by id), open ones first."""
    case_id = conflict_case_id()
    about: list[ColumnElement[bool]] = []
    if cases:
        about.append(case_id.in_(list(cases)))
    if records:
        about.append(Conflict.staged_record_id.in_(list(records)))
    if terms.conflict_id is not None:
        about.append(Conflict.id == terms.conflict_id)
    if not about:
        return []
    query = (
        select(Conflict, Case.case_key, Case.kanreg_id, User.username, Case.id)
        .select_from(Conflict)
        .outerjoin(Case, Case.id == case_id)
        .outerjoin(User, User.id == Conflict.claimed_by_id)
        .where(or_(*about))
    )
    if sources is not None:
        query = query.where(conflict_visible(sources))
    open_first = case((Conflict.status == ConflictStatus.OPEN, 0), else_=1)
    order = (open_first, Conflict.priority, Conflict.due_at, Conflict.id)
    rows = session.execute(query.order_by(*order).limit(POOL_LIMIT)).tuples().all()
    scopes = case_scopes(session, (row[4] for row in rows), sources)
    labels = case_labels(session, scopes, scopes)
    hits = []
    for conflict, key, kanreg, claimer, cid in rows:
        why: set[str] = set()
        if conflict.id == terms.conflict_id:
            why.add("conflict")
        if cid is not None and cid in cases:
            why |= cases[cid].why
        if conflict.staged_record_id is not None and conflict.staged_record_id in records:
            why |= records[conflict.staged_record_id].why
        summary = scoped_summary(summary_of(conflict, key, kanreg, claimer, cid), scopes[cid])
        hits.append(ConflictHit(summary, why, labels.get(cid) if cid is not None else None))
    return hits


def _registry(
    database: Database, terms: SearchTerms, thresholds: IdentityThresholds | None
) -> dict[str, RegistryHit]:
    """Registry ASN by name, or by a NIP's first digits (a whole NIP: its holder)."""
    queries = []
    if terms.name:
        queries.append(RegistryQuery(name=terms.name))
    if terms.digits:
        queries.append(RegistryQuery(nip=terms.digits))
    found: dict[str, RegistryHit] = {}
    for query in queries:
        try:
            hits = search_registry(database, query, thresholds=thresholds, limit=GROUP_LIMIT)
        except RegistrySearchError:
            continue  # nothing this reading of the text can search the registry by
        found.update((h.nip, h) for h in hits if h.nip not in found)
    return found


def _asn_hits(session: Session, asn: dict[str, RegistryHit], limit: int) -> list[AsnHit]:
    ranked = sorted(asn.values(), key=lambda h: (-(h.score or 0.0), h.name_normalised, h.nip))[:limit]
    counts = _case_counts(session, [h.nip for h in ranked])
    return [
        AsnHit(h.nip, h.name, h.position, h.instansi_name, h.status_name, h.score, counts.get(h.nip, 0))
        for h in ranked
    ]


def _case_counts(session: Session, nips: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(nips))
    if not wanted:
        return {}
    query = select(Case.nip, func.count()).where(Case.nip.in_(wanted)).group_by(Case.nip)
    return {nip: count for nip, count in session.execute(query).tuples() if nip is not None}
