"""What a record writes about its person, as a steward's decision remembers it, and the words that say
what changed since (DESIGN.md: decisions are sticky "until a source value they were based on changes;
then the conflict reopens and says why").

A decision on whom a record names (an identity conflict's NIP or "no ASN", a ``named_other`` keep)
rests on the NIP, name and instansi the record wrote when the steward decided. The decision keeps a
fingerprint of each (:func:`written_fingerprints`, in its ``decision`` JSON, never in the audit log);
when the record changes, the reopening reason names the parts that changed, in words, never their
values: reopen reasons show on the queue, in lists, in logs and in the audit trail
(:func:`changed_reason`). A decision recorded before fingerprints were kept says only that what the
record writes about its person changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

PARTS = ("nip", "name", "instansi")
"""What a record writes about its person, in the order a reason names them."""
PART_WORDS = {"nip": "NIP", "name": "name", "instansi": "instansi"}
"""How a reason names each part (read back into the console's words by
:func:`sbt_sync.console.labels_history.reopened_text`)."""
CHANGED_PREFIX = "the record changed since the steward's decision"
UNKNOWN_PARTS = "what it writes about its person"


WRITTEN_KEY = "written"
"""The key of a decision's ``decision`` JSON that keeps the fingerprints."""


def shown_decision(decision: Mapping[str, Any]) -> dict[str, Any]:
    """A decision as people and the audit log see it: without the fingerprints (they name no one, but
    they are only the machine's, to tell what changed)."""
    return {key: value for key, value in decision.items() if key != WRITTEN_KEY}


def written_fingerprints(nip_raw: str | None, name: str | None, instansi: str | None) -> dict[str, str]:
    """Part -> a fingerprint of the value the record writes (equal values, equal fingerprints)."""
    values = {"nip": nip_raw, "name": name, "instansi": instansi}
    return {part: _fingerprint(part, values[part]) for part in PARTS}


def _fingerprint(part: str, value: str | None) -> str:
    return hashlib.sha256(json.dumps([part, value]).encode()).hexdigest()[:32]


def changed_parts(
    before: Mapping[str, str] | None, now: Mapping[str, str], parts: Collection[str] = PARTS
) -> list[str] | None:
    """The parts among ``parts`` whose fingerprint differs between ``before`` (a decision's) and
    ``now``, in :data:`PARTS` order; None when ``before`` kept no fingerprints (an older decision)."""
    if not before:
        return None
    return [p for p in PARTS if p in parts and before.get(p) != now.get(p)]


def changed_reason(decided_at: datetime | None, changed: list[str] | None) -> str:
    """The reopening reason: since which decision the record changed, and what changed, in words.

    ``changed`` None or empty (the decision kept no fingerprints, or only a part the decision did not
    rest on changed): said as what the record writes about its person.
    """
    since = CHANGED_PREFIX + (f" of {decided_at.isoformat()}" if decided_at is not None else "")
    if not changed:
        return f"{since}: {UNKNOWN_PARTS} changed"
    words = [PART_WORDS[p] for p in changed]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"{since}: its {listed} changed"
