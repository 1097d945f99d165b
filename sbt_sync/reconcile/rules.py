"""Stored values derived by rules that can change: normalised names and identity results.

The registry mirror and the staged rows keep each name normalised (``schemas.names.normalise_name``),
and every staged row keeps its identity result (``resolved_nip``, ``identity_rule``). Both are computed
once, when the row arrives or changes. When the rules behind them move (a title added to the lists, a
threshold changed in ``sbt.yaml``, a fix to the resolver), the kept values keep the old rules: the
registry's "AHMAD SS" no longer equals a report's "Ahmad, S.S." normalised anew, and the needless
``name_mismatch`` hold that follows lifts a block. Nobody should have to remember a
``reconcile run --full`` after an upgrade.

So ``rule_digests`` records which rules the kept values were computed with, one digest per kind:

- ``registry_names``: the mirror's ``name_normalised`` (``schemas.names.rules_digest``);
- ``staged_names``: the staged rows' ``name_normalised`` (the same digest);
- ``identity``: the identity results (the name rules, :data:`IDENTITY_RULES_VERSION` and the thresholds).

Before a reconciliation, :func:`renormalise_registry` renormalises the mirror's names if their digest
differs (or is missing) and records it, in a transaction of its own: the candidate search reads the
mirror on connections of its own, which would not see the reconciliation's uncommitted writes. Then
:func:`bring_up_to_date` runs at the start of the reconciliation, in its transaction: stale staged
names are renormalised where the text differs, and a stale ``identity`` makes the run a full one (every
staged row re-resolved). :func:`record` stores those two digests when the run ends, in the same
transaction, so a crash records nothing and the next run does it again. A first load of the
registry into an empty mirror records ``registry_names`` itself (:func:`record_registry_names`): every
row it writes is normalised by the running code, and renormalising 4.3 million rows it just wrote would
cost the first cycle a minute.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, RuleDigest, StagedRecord
from sbt_sync.reconcile.identity.resolve import (
    IDENTITY_RULES_VERSION,
    PLACEHOLDER_NAME_WORDS,
    IdentityThresholds,
)
from schemas.names import normalise_name, rules_digest

REGISTRY_NAMES = "registry_names"
STAGED_NAMES = "staged_names"
IDENTITY = "identity"
_READ_CHUNK = 20_000
_WRITE_CHUNK = 5_000
log = logging.getLogger(__name__)


def identity_digest(thresholds: IdentityThresholds) -> str:
    """The digest of what decides an identity result: the name rules, the resolver's version, its
    stand-in words and the thresholds in force."""
    parts = {
        "names": rules_digest(),
        "version": IDENTITY_RULES_VERSION,
        "placeholders": sorted(PLACEHOLDER_NAME_WORDS),
        "thresholds": asdict(thresholds),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@dataclass
class RulesUpdate:
    """What :func:`bring_up_to_date` found stale and did."""

    stale: list[str] = field(default_factory=list)
    """The kinds whose stored digest differed from the running code's (or was missing)."""
    registry_renormalised: int = 0
    """Set by the caller of :func:`renormalise_registry` (a transaction of its own)."""
    staged_renormalised: int = 0
    full: bool = False
    """Identity results kept under other rules exist: the run re-resolves every staged row."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def stored_digests(session: Session) -> dict[str, str]:
    return {kind: digest for kind, digest in session.execute(select(RuleDigest.kind, RuleDigest.digest))}


def bring_up_to_date(session: Session, thresholds: IdentityThresholds) -> RulesUpdate:
    """Renormalise the stored names whose rules changed, and say whether identities need a full run."""
    stored = stored_digests(session)
    names = rules_digest()
    found = RulesUpdate()
    if stored.get(STAGED_NAMES) != names:
        found.stale.append(STAGED_NAMES)
        found.staged_renormalised = _renormalise(session, StagedRecord, StagedRecord.id)
    if stored.get(IDENTITY) != identity_digest(thresholds):
        found.stale.append(IDENTITY)
        # Only identities already resolved can be stale: on a new database every row is pending anyway.
        resolved = select(StagedRecord.id).where(StagedRecord.identity_rule.is_not(None)).limit(1)
        found.full = session.scalar(resolved) is not None
    return found


def renormalise_registry(database: Database, now: datetime | None = None) -> int | None:
    """Renormalise the mirror's names if they were kept under other rules, and record the rules; in a
    transaction of its own, committed before a reconciliation reads the mirror (its candidate search
    reads it on connections of its own). Returns how many names changed, None when none was stale."""
    with database.session() as session:  # every cycle: a read, no write lock while the rules hold
        if stored_digests(session).get(REGISTRY_NAMES) == rules_digest():
            return None
    with database.session(write=True) as session:
        changed = _renormalise(session, AsnRegistryEntry, AsnRegistryEntry.nip)
        record_registry_names(session, now)
    if changed:
        log.info("registry: %d names renormalised under the name rules in force", changed)
    return changed


def record(session: Session, thresholds: IdentityThresholds, now: datetime | None = None) -> None:
    """Store the running code's digests of what a reconciliation computes: the staged rows' names and
    every identity now follow its rules."""
    _store(
        session,
        {STAGED_NAMES: rules_digest(), IDENTITY: identity_digest(thresholds)}.items(),
        now or utcnow(),
    )


def record_registry_names(session: Session, now: datetime | None = None) -> None:
    """Every name of the registry mirror follows the running code's rules (a load into an empty
    mirror, or :func:`renormalise_registry` just now)."""
    _store(session, [(REGISTRY_NAMES, rules_digest())], now or utcnow())


def _store(session: Session, digests: Iterable[tuple[str, str]], now: datetime) -> None:
    for kind, digest in digests:
        session.merge(RuleDigest(kind=kind, digest=digest, applied_at=now))


def _renormalise(
    session: Session,
    model: type[AsnRegistryEntry] | type[StagedRecord],
    key: InstrumentedAttribute[Any],
) -> int:
    """Recompute ``name_normalised`` from ``name`` on every row of ``model``'s table and write the rows
    whose text differs (``key`` names them); returns how many. A row without a name keeps what it has
    (nothing to normalise)."""
    changed: list[dict[str, Any]] = []
    query = select(key, model.name, model.name_normalised).execution_options(yield_per=_READ_CHUNK)
    for row_key, written, stored in session.execute(query):
        if not written:
            continue
        fresh = normalise_name(written)
        if fresh != stored:
            changed.append({"row_key": row_key, "fresh": fresh})
    statement = (
        update(model).where(key.expression == bindparam("row_key")).values(name_normalised=bindparam("fresh"))
    )
    connection = session.connection()
    for start in range(0, len(changed), _WRITE_CHUNK):
        connection.execute(statement, changed[start : start + _WRITE_CHUNK])
    return len(changed)
