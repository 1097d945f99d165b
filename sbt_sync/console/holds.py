"""A case's hold reason in words a steward reads, each part linked to the conflict behind it.

The reconciliation writes ``cases.hold_reason`` as one line of English clauses joined by "; "
(:func:`sbt_sync.reconcile.golden.status.hold_reason`): an open critical conflict by its key, or a
record whose identity is disputed, by its own identity conflict or because it names someone other than
the case's ASN. The console shows each clause as its own sentence in the console's language; a clause
this module does not know is shown as written, so a new reason never disappears from the page. For an
agency viewer a clause naming another agency's record arrives as
:data:`~sbt_sync.steward.scope.WITHHELD_CLAUSE` and reads as such (``withheld``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict
from sbt_sync.steward.scope import WITHHELD_CLAUSE

HoldKind = Literal[
    "conflict",
    "identity_conflict",
    "other_asn",
    "nobody",
    "withheld",
    "registry_nip",
    "registry_kedudukan",
    "text",
]

_CONFLICT = re.compile(r"^open (?P<kind>[a-z_]+) conflict (?P<key>.+)$")
_DISPUTED = re.compile(r"^identity disputed: (?P<record>.+?): (?P<why>.+)$")
_IDENTITY = re.compile(
    r"^identity conflict (?P<id>\d+) \((?P<kind>[a-z_]+), (?P<offered>\d+) candidate\(s\)\) is open$"
)
_REGISTRY_NIP = re.compile(r"^registry: SIASN no longer knows the NIP\b")
_REGISTRY_KEDUDUKAN = re.compile(r"^registry: unknown kedudukan code '(?P<code>[^']*)' from SIASN\b")
"""The clauses :func:`sbt_sync.ingest.registry.doubt_words` writes for what SIASN cannot vouch for."""
_NAMES: dict[str, HoldKind] = {
    "names another ASN, not the case's ASN": "other_asn",
    "names nobody in the registry, not the case's ASN": "nobody",
}


@dataclass(frozen=True)
class HoldPart:
    """One reason a case is held; ``kind`` picks the sentence (``hold.<kind>`` in the i18n table)."""

    kind: HoldKind
    text: str
    """The clause as the reconciliation wrote it (shown for ``text``, kept for every kind)."""
    record: str | None = None
    conflict_kind: str | None = None
    conflict_key: str | None = None
    conflict_id: int | None = None
    offered: int | None = None
    code: str | None = None
    """The kedudukan code SIASN sent that we do not know (``registry_kedudukan``)."""


def parse_hold(reason: str | None) -> list[HoldPart]:
    """The clauses of ``reason`` (None or empty: no part), each recognised or kept as text."""
    parts: list[HoldPart] = []
    for clause in (c.strip() for c in (reason or "").split("; ")):
        if not clause:
            continue
        if clause == WITHHELD_CLAUSE:
            parts.append(HoldPart("withheld", clause))
        elif _REGISTRY_NIP.match(clause):
            parts.append(HoldPart("registry_nip", clause))
        elif registry := _REGISTRY_KEDUDUKAN.match(clause):
            parts.append(HoldPart("registry_kedudukan", clause, code=registry["code"]))
        elif found := _CONFLICT.match(clause):
            parts.append(HoldPart("conflict", clause, conflict_kind=found["kind"], conflict_key=found["key"]))
        elif (disputed := _DISPUTED.match(clause)) is not None:
            why, record = disputed["why"], disputed["record"]
            if identity := _IDENTITY.match(why):
                kind, offered = identity["kind"], int(identity["offered"])
                conflict_id = int(identity["id"])
                parts.append(HoldPart("identity_conflict", clause, record, kind, None, conflict_id, offered))
            elif why in _NAMES:
                parts.append(HoldPart(_NAMES[why], clause, record))
            else:
                parts.append(HoldPart("text", clause))
        else:
            parts.append(HoldPart("text", clause))
    return parts


def explain_hold(database: Database, reason: str | None) -> list[HoldPart]:
    """:func:`parse_hold`, with each critical conflict named by key given its id (for the link)."""
    parts = parse_hold(reason)
    keys = [p.conflict_key for p in parts if p.conflict_key]
    if not keys:
        return parts
    with database.session() as session:
        ids = dict(
            session.execute(select(Conflict.conflict_key, Conflict.id).where(Conflict.conflict_key.in_(keys)))
            .tuples()
            .all()
        )
    return [
        HoldPart(p.kind, p.text, p.record, p.conflict_kind, p.conflict_key, ids.get(p.conflict_key))
        if p.conflict_key
        else p
        for p in parts
    ]
