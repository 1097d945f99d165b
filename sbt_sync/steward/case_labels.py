"""Short, readable labels for cases: "Pilkada 2020 · 0070/… · Siti A." instead of a raw case key
(``PILKADA-2020|reg:0070/PM.00.02/K.JT/11/2020|198…``), for every page that names a case in a row.

The label is the election event, the register number (else the recommendation number) cut at its
first slash, and the ASN's name shortened to the first word and the initials of the rest. The name is
the registry's for the case's NIP (the registry wins for names; an agency viewer sees the ASN of a
case they see, :mod:`sbt_sync.steward.scope`), else the name a linked row wrote, when the user may see
that row's source. A number another agency's record alone carries is left out for an agency viewer
(:meth:`~sbt_sync.steward.scope.CaseScope.golden`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.models import AsnRegistryEntry, Case, CaseLink, StagedRecord
from sbt_sync.imut.elections import event_words as event_label
from sbt_sync.steward.scope import CaseScope
from schemas.names import split_titles

SEPARATOR = " · "
NUMBER_CHARS = 12
"""A number without a slash is cut after this many characters."""
CHUNK = 500


def short_number(number: str | None) -> str | None:
    """A register or recommendation number cut at its first slash ("0070/…"), or after
    :data:`NUMBER_CHARS` characters."""
    if not number or not number.strip():
        return None
    text = number.strip()
    head, slash, _ = text.partition("/")
    if slash and head:
        return f"{head}/…"
    return text if len(text) <= NUMBER_CHARS else text[:NUMBER_CHARS] + "…"


def short_name(name: str | None) -> str | None:
    """ "Siti Aminah Rahayu" as "Siti A. R.": the first word and the initials of the rest, titles
    dropped ("Dr. H. Ahmad Yani, S.Pd." is "Ahmad Y.")."""
    if not name or not name.strip():
        return None
    _, bare, _ = split_titles(name)
    words = bare.split()
    if not words:
        return None
    first = words[0].capitalize() if words[0].isupper() else words[0]
    return " ".join([first, *(f"{w[0].upper()}." for w in words[1:] if w[0].isalnum())])


def case_label(
    event_code: str | None, register_no: str | None, recommendation_no: str | None, name: str | None
) -> str | None:
    """The short label of one case from its parts; None when it has none of them."""
    parts = [event_label(event_code), short_number(register_no or recommendation_no), short_name(name)]
    shown = [p for p in parts if p]
    return SEPARATOR.join(shown) if shown else None


def case_labels(
    session: Session, case_ids: Iterable[int | None], scopes: Mapping[int | None, CaseScope]
) -> dict[int, str]:
    """The short label of each case, as the user ``scopes`` describes may see it (see the module)."""
    ids = sorted({i for i in case_ids if i is not None})
    labels: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(chunk)))}
        nips = {c.nip for c in cases.values() if c.nip}
        found = select(AsnRegistryEntry.nip, AsnRegistryEntry.name).where(AsnRegistryEntry.nip.in_(nips))
        registry = {nip: name for nip, name in session.execute(found).tuples()} if nips else {}
        written = _written_names(session, [i for i in chunk if cases[i].nip not in registry], scopes)
        for case_id, case in cases.items():
            numbers, _ = scopes[case_id].golden(
                {"register_no": case.register_no, "recommendation_no": case.recommendation_no}
            )
            name = registry.get(case.nip or "") or written.get(case_id)
            label = case_label(case.event_code, numbers["register_no"], numbers["recommendation_no"], name)
            if label:
                labels[case_id] = label
    return labels


def _written_names(
    session: Session, case_ids: list[int], scopes: Mapping[int | None, CaseScope]
) -> dict[int, str]:
    """For cases whose ASN the registry does not name, the name a linked row wrote (the first row,
    by id, that the user may see)."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(CaseLink.case_id, StagedRecord.source, StagedRecord.name)
        .join(StagedRecord, StagedRecord.id == CaseLink.staged_record_id)
        .where(CaseLink.case_id.in_(case_ids), CaseLink.unlinked_at.is_(None), StagedRecord.name.is_not(None))
        .order_by(CaseLink.case_id, StagedRecord.id)
    ).tuples()
    names: dict[int, str] = {}
    for case_id, source, name in rows:
        if case_id not in names and name and name.strip() and scopes[case_id].sees_source(source):
            names[case_id] = name
    return names
