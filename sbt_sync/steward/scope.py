"""What an agency viewer may see: the one gate every page and API answer goes through.

An agency viewer (``Principal.sources``: the sources their agency owns, ``sources.<name>.agency`` in
sbt.yaml) sees the cases and conflicts their agency's records are in, and in them:

- the case's own facts, which are the product's conclusions rather than any agency's record: the ASN
  (the registry's NIP and Kanreg), the election event, the lifecycle status, the hold, BKN's control
  steps and the SIASN pushes;
- their own records, whole;
- a golden value, a conflict candidate or a steward's decision only when it comes from one of their
  records or one of their records says the same; anything else is *withheld*: its value is None and
  its name is listed in a ``withheld`` field, which the console says in words;
- a text (the case key, a hold reason, a reason a steward or the engine wrote) only when it quotes no
  value of another agency's record that their own records do not carry too.

Counts (dashboard tiles, recap, charts) are over the cases, conflicts and quarantined rows they may see.
Stewards, admins and auditors (``sources`` None) get :data:`EVERYTHING`, which changes nothing.

I-MUT findings (personnel actions decided by regional heads and instansi heads) are BKN's oversight,
shared with the one agency that supervises regional heads: viewers of :data:`IMUT_AGENCIES` see every
finding of every region, and the I-MUT report; any other agency's viewers see neither
(:func:`imut_visible`). A neutrality case a finding cites is still a case: its key is shown to a viewer
only as :meth:`CaseScope.text` allows (:func:`imut_case_keys_seen`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from sbt_sync.db.models import Case, CaseLink, Conflict, FieldProvenance, StagedRecord
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.states.conflicts import ConflictKind
from sbt_sync.steward.search_terms import LIKE_ESCAPE, contains_pattern
from schemas.nip import mask_nip

WITHHELD_CLAUSE = "a record of another agency (withheld)"
"""Stands for a hold-reason clause that names another agency's record (:mod:`sbt_sync.console.holds`)."""
RECORD_COLUMNS = ("event_code", "register_no", "recommendation_no")
"""Golden fields a staged record carries in its own columns rather than in ``fields``."""
_MIN_MARKER = 2
"""Shorter texts (a one-letter code) are too common to tell whose record a text quotes."""
_ALNUM = re.compile(r"[0-9A-Za-z]")
NIP_DIGITS = 18
IMUT_AGENCIES = frozenset({"kemendagri"})
"""Agencies whose viewers see I-MUT findings, all regions (Kemendagri supervises regional heads:
UU 10/2016 Pasal 71(2) approvals are the Minister of Home Affairs')."""


def imut_visible(sources: Sequence[str] | None, agency: str | None) -> bool:
    """Whether a user sees I-MUT findings and their report: BKN's roles (``sources`` None) and the
    viewers of :data:`IMUT_AGENCIES`; no other agency's viewer."""
    return sources is None or agency in IMUT_AGENCIES


KEMENDAGRI_LIST_AGENCIES = frozenset({"kemendagri"})
"""Agencies whose viewers see the compliance report's Kemendagri list: it is the list BKN sends them
(regional heads, counts, recommendation and letter numbers; no NIP, no name)."""


def bkn_only(sources: Sequence[str] | None) -> bool:
    """Whether a user sees BKN's own records (letters to PPKs, the compliance report, PIC addresses):
    BKN's roles (``sources`` None); no agency viewer."""
    return sources is None


def kemendagri_list_visible(sources: Sequence[str] | None, agency: str | None) -> bool:
    """Whether a user sees the compliance report's Kemendagri list: BKN's roles and the viewers of
    :data:`KEMENDAGRI_LIST_AGENCIES`."""
    return sources is None or agency in KEMENDAGRI_LIST_AGENCIES


def case_visible(sources: Sequence[str]) -> ColumnElement[bool]:
    """A case is visible when one of its active links comes from one of ``sources``."""
    return exists().where(
        CaseLink.case_id == Case.id,
        CaseLink.unlinked_at.is_(None),
        CaseLink.source.in_(list(sources)),
    )


def conflict_case_id() -> ColumnElement[int | None]:
    """The case a conflict is about: its own ``case_id``, else the case its row is linked to now."""
    link = aliased(CaseLink)
    active = (
        select(link.case_id)
        .where(link.staged_record_id == Conflict.staged_record_id, link.unlinked_at.is_(None))
        .correlate(Conflict)
        .scalar_subquery()
    )
    return func.coalesce(Conflict.case_id, active)


def conflict_visible(sources: Sequence[str]) -> ColumnElement[bool]:
    """Conflicts an agency viewer may see: raised on their sources' rows, or on a case one links."""
    case_id = conflict_case_id()
    linked = exists().where(
        CaseLink.case_id == case_id,
        CaseLink.unlinked_at.is_(None),
        CaseLink.source.in_(list(sources)),
    )
    return or_(Conflict.agency.in_(list(sources)), and_(case_id.is_not(None), linked))


def case_search(term: str, sources: Sequence[str] | None) -> ColumnElement[bool]:
    """Cases a search finds: by NIP, key or numbers; for a viewer, by NIP or what their own records
    say (a key or number from another agency's record finds nothing, so it cannot be probed)."""
    pattern = contains_pattern(term)  # "_" and "%" match only themselves

    def like(column: Any) -> ColumnElement[bool]:
        return cast(ColumnElement[bool], column.like(pattern, escape=LIKE_ESCAPE))

    nip = Case.nip == term.replace(" ", "")
    if sources is None:
        return or_(like(Case.case_key), nip, like(Case.register_no), like(Case.recommendation_no))
    own = exists().where(
        CaseLink.case_id == Case.id,
        CaseLink.source.in_(list(sources)),
        StagedRecord.id == CaseLink.staged_record_id,
        or_(
            like(StagedRecord.record_key),
            like(StagedRecord.register_no),
            like(StagedRecord.recommendation_no),
        ),
    )
    return or_(nip, own)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _scalars(value: Any) -> Iterator[str]:
    """Every scalar inside ``value`` (JSON), as text."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _scalars(item)
    elif value is not None and not isinstance(value, bool):
        yield _text(value)


def _record_values(record: StagedRecord) -> Iterator[tuple[str, Any]]:
    for name in RECORD_COLUMNS:
        yield name, getattr(record, name)
    yield from (record.fields or {}).items()


def _masked(values: Iterable[Any]) -> set[str]:
    """The NIPs among ``values``, masked to their last four digits as texts quote them
    (:func:`schemas.nip.mask_nip`, e.g. a reopening reason naming the ASN a record names)."""
    digits = ("".join(c for c in _text(v) if c.isdigit()) for v in values if v is not None)
    return {mask_nip(d) for d in digits if len(d) == NIP_DIGITS}


def _markers(record: StagedRecord) -> set[str]:
    """The texts that tell a record's values: its key, the person as written (and the ASN it was
    resolved to, whole or masked), every value."""
    nips = (record.nip_raw, record.nip, record.resolved_nip, record.linked_nip)
    found = {record.record_key, f"{record.record_key}#{record.item_no}", *_masked(nips)}
    found |= {_text(v) for v in (record.name, record.nip_raw, record.nip, record.resolved_nip,
                                 record.linked_nip, record.instansi)}  # fmt: skip
    for _, value in _record_values(record):
        found |= set(_scalars(value))
    return {m.lower() for m in found if m and len(m) >= _MIN_MARKER and _ALNUM.search(m)}


@dataclass(frozen=True)
class CaseScope:
    """What one user may see of one case (or of a conflict on no case)."""

    sources: frozenset[str] | None
    own: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Per golden field, the values (as text) the user's own records carry."""
    provenance: Mapping[str, str | None] = field(default_factory=dict)
    """Per golden field, the source its value was chosen from."""
    foreign: re.Pattern[str] | None = None
    """Finds, in a text, a value of another agency's record the user's own records do not carry."""

    @property
    def everything(self) -> bool:
        return self.sources is None

    def sees_source(self, source: str | None) -> bool:
        return self.sources is None or (source is not None and source in self.sources)

    def sees_value(self, name: str | None, source: str | None, value: Any) -> bool:
        """A value is seen when it comes from the user's records, or one of them says the same."""
        if self.sees_source(source):
            return True
        return name is not None and value is not None and _text(value) in self.own.get(name, frozenset())

    def text(self, text: str | None) -> str | None:
        """``text``, or None when it quotes a value of another agency's record."""
        if text is None or self.foreign is None or self.foreign.search(text) is None:
            return text
        return None

    def texts(self, **texts: str | None) -> tuple[dict[str, str | None], list[str]]:
        """Each named text through :meth:`text`, and the names of those withheld."""
        shown = {name: self.text(value) for name, value in texts.items()}
        return shown, [name for name, value in texts.items() if value is not None and shown[name] is None]

    def golden(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Golden values (a field with no known provenance is another agency's), and those withheld."""
        if self.everything:
            return dict(values), []
        hidden = [
            name
            for name, value in values.items()
            if value is not None
            and (name not in self.provenance or not self.sees_value(name, self.provenance[name], value))
        ]
        return {name: None if name in hidden else value for name, value in values.items()}, hidden

    def provenance_rows(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Field provenance rows (``field``, ``value``, ``source``, ``record``, ``rule``), each with
        ``withheld``; another agency's record is not named even when its value is seen."""
        scoped = []
        for row in rows:
            seen = self.sees_value(row["field"], row["source"], row["value"])
            scoped.append(
                {
                    **row,
                    "value": row["value"] if seen else None,
                    "record": row["record"] if self.sees_source(row["source"]) else None,
                    "withheld": not seen,
                }
            )
        return scoped

    def hold_reason(self, reason: str | None) -> str | None:
        """The hold reason with each clause quoting another agency's record replaced by one
        :data:`WITHHELD_CLAUSE`."""
        if self.everything or not reason:
            return reason
        clauses = [self.text(c.strip()) or WITHHELD_CLAUSE for c in reason.split("; ") if c.strip()]
        return "; ".join(dict.fromkeys(clauses))

    def candidates(
        self, kind: str, name: str | None, row_source: str | None, candidates: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], bool]:
        """A conflict's candidates as the user may see them, and whether any was withheld.

        The registry persons offered for a row are shown only with the row; a field candidate keeps
        its source, rule and golden badge, but not its value or record, unless :meth:`sees_value`.
        """
        if self.everything:
            return candidates, False
        if kind in IDENTITY_CONFLICT_KINDS:
            return (candidates, False) if self.sees_source(row_source) else ([], bool(candidates))
        scoped = [
            dict(c)
            if self.sees_value(name, c.get("source"), c.get("value"))
            else {
                "source": c.get("source"),
                "value": None,
                "rule": c.get("rule"),
                "golden": c.get("golden"),
                "withheld": True,
            }
            for c in candidates
        ]
        return scoped, any(c.get("withheld") for c in scoped)

    def decision(
        self, kind: str, name: str | None, row_source: str | None, decision: dict[str, Any]
    ) -> dict[str, Any] | None:
        """A steward's decision, or None when what it chose is another agency's value."""
        if self.everything:
            return decision
        if kind in IDENTITY_CONFLICT_KINDS:
            return decision if self.sees_source(row_source) else None
        if "value" not in decision or (kind in _KEEP_KINDS and decision["value"] == "keep"):
            return decision
        return decision if self.sees_value(name, None, decision["value"]) else None


_KEEP_KINDS = (ConflictKind.AMBIGUOUS_LINK, ConflictKind.NAMED_OTHER)
"""Kinds whose ``keep`` decision names no value of any agency's."""

EVERYTHING = CaseScope(None)


def _pattern(markers: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(markers), key=lambda m: (-len(m), m))
    if not ordered:
        return None
    alternatives = "|".join(re.escape(m) for m in ordered)
    return re.compile(rf"(?<![0-9a-z])(?:{alternatives})(?![0-9a-z])", re.IGNORECASE)


def _scope(
    sources: frozenset[str],
    records: Sequence[StagedRecord],
    provenance: Sequence[tuple[str, str | None, Any]],
    facts: Iterable[Any],
) -> CaseScope:
    own: dict[str, set[str]] = defaultdict(set)
    facts = tuple(facts)
    known = {_text(f).lower() for f in facts if f is not None} | _masked(facts)
    foreign: set[str] = set()
    for record in records:
        if record.source in sources:
            for name, value in _record_values(record):
                if value is not None:
                    own[name].add(_text(value))
            known |= _markers(record)
        else:
            foreign |= _markers(record)
    for name, source, value in provenance:
        if source not in sources and _text(value) not in own.get(name, ()):
            foreign |= {m.lower() for m in _scalars(value) if len(m) >= _MIN_MARKER and _ALNUM.search(m)}
    return CaseScope(
        sources,
        own={name: frozenset(values) for name, values in own.items()},
        provenance={name: source for name, source, _ in provenance},
        foreign=_pattern(foreign - known),
    )


def case_scopes(
    session: Session, case_ids: Iterable[int | None], sources: Sequence[str] | None
) -> dict[int | None, CaseScope]:
    """What a user scoped to ``sources`` (None: everything) may see of each case; the key None is a
    conflict on no case, where only the user's own rows are seen."""
    ids = sorted({i for i in case_ids if i is not None})
    if sources is None:
        return dict.fromkeys([None, *ids], EVERYTHING)
    allowed = frozenset(sources)
    records: dict[int, list[StagedRecord]] = defaultdict(list)
    provenance: dict[int, list[tuple[str, str | None, Any]]] = defaultdict(list)
    facts: dict[int, tuple[Any, ...]] = {}
    if ids:
        linked = select(CaseLink.case_id, StagedRecord).join(
            StagedRecord, StagedRecord.id == CaseLink.staged_record_id
        )
        for case_id, record in session.execute(linked.where(CaseLink.case_id.in_(ids))).tuples():
            records[case_id].append(record)
        chosen = select(FieldProvenance.case_id, FieldProvenance.field, FieldProvenance.source,
                        FieldProvenance.value).where(FieldProvenance.case_id.in_(ids))  # fmt: skip
        for case_id, name, source, value in session.execute(chosen).tuples():
            provenance[case_id].append((name, source, value))
        shared = select(Case.id, Case.nip, Case.event_code, Case.kanreg_id).where(Case.id.in_(ids))
        facts = {case_id: tuple(rest) for case_id, *rest in session.execute(shared).tuples()}
    scopes: dict[int | None, CaseScope] = {None: CaseScope(allowed)}
    for case_id in ids:
        scopes[case_id] = _scope(allowed, records[case_id], provenance[case_id], facts.get(case_id, ()))
    return scopes


def imut_case_keys_seen(
    session: Session, cases: Mapping[int, str], sources: Sequence[str] | None
) -> set[int]:
    """Of the neutrality cases an I-MUT finding cites (id to key), those whose key the user may read:
    all for BKN's roles; for a viewer, those whose key quotes no other agency's record."""
    if sources is None:
        return set(cases)
    scopes = case_scopes(session, cases, sources)
    return {case_id for case_id, key in cases.items() if scopes[case_id].text(key) is not None}
