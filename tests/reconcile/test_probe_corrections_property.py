"""Acceptance probe as a property (both backends): after any sequence of steward link corrections
(assign, move, split, merge, undo) and conflict decisions and reopenings, mixed with source edits and
withdrawals and with several steps between runs, an incremental reconciliation leaves exactly what a
full rerun builds, and no NIP is blocked by a case whose records' identities are disputed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Conflict, LinkCorrection, StagedRecord
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from sbt_sync.steward.conflicts import InvalidDecision
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import (
    CorrectionKind,
    CorrectionRequest,
    correct_link,
    reopen_decision,
    undo_correction,
)
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    T0,
    Spec,
    _blocked_only_on_undisputed_identities,
    _reset,
    _snapshot,
    _write,
    project_settings,  # noqa: F401  (a fixture)
    specs,
)

pytestmark = pytest.mark.integration

Step = tuple[str, int, int, int, Spec, bool]
"""(what, record index, other record index or correction number, person choice, spec for edits,
whether a reconciliation runs after it: several steps may wait for one run, as between cycles)."""
KINDS: tuple[CorrectionKind, ...] = ("assign_person", "move_record", "split", "merge")
PERSONS = (NIP_A, NIP_B, None)
ACTIONS = (*KINDS, "undo", "edit", "withdraw", "decide", "reopen")


def _apply(database: Database, step: Step, count: int, minute: int) -> int:
    what, index, other, person, spec, _ = step
    with database.session() as session:
        ids = list(session.scalars(select(StagedRecord.id).order_by(StagedRecord.id)))
        corrections = list(session.scalars(select(LinkCorrection.id).order_by(LinkCorrection.id)))
    now = T0 + timedelta(minutes=minute)
    if what == "edit":
        _write(database, index % (count + 1), spec, minute + 1)
        return count + (index % (count + 1) == count)
    if what == "withdraw":
        _write(database, index % count, None, minute + 1)
        return count
    try:
        if what in ("decide", "reopen"):
            _decide_or_reopen(database, what, other, person, now)
            return count
        if what == "undo":
            if corrections:
                undo_correction(
                    database, corrections[other % len(corrections)], reason="undo", actor="ani", now=now
                )
            return count
        kind = KINDS[KINDS.index(what)]
        request = CorrectionRequest(
            kind,
            ids[index % len(ids)],
            ids[other % len(ids)] if kind in ("move_record", "merge") else None,
            PERSONS[person % len(PERSONS)] if kind == "assign_person" else None,
        )
        correct_link(database, request, reason="steward", actor="ani", now=now)
    except InvalidDecision:
        pass  # refused (a withdrawn record, the same case, undone already): nothing recorded
    return count


def _decide_or_reopen(database: Database, what: str, pick: int, person: int, now: datetime) -> None:
    """A steward decides an open conflict (a person for an identity conflict, else its first value)
    or reopens a resolved one."""
    wanted = "open" if what == "decide" else "resolved"
    with database.session() as session:
        found = list(
            session.execute(
                select(Conflict.id, Conflict.kind, Conflict.candidates)
                .where(Conflict.status == wanted)
                .order_by(Conflict.id)
            ).tuples()
        )
    if not found:
        return
    conflict_id, kind, candidates = found[pick % len(found)]
    if what == "reopen":
        reopen_decision(database, conflict_id, reason="again", actor="budi", now=now)
        return
    if kind in IDENTITY_CONFLICT_KINDS:
        value = PERSONS[person % len(PERSONS)] or "none"
    elif kind == "ambiguous_link":
        value = "keep"
    else:
        value = str((candidates or [{}])[0].get("value"))
    resolve_conflict(database, conflict_id, value=value, reason="decided", actor="budi", now=now)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    initial=st.lists(specs(), min_size=2, max_size=6),
    steps=st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.integers(0, 8),
            st.integers(0, 8),
            st.integers(0, 2),
            specs(),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_incremental_runs_after_any_corrections_equal_a_full_rerun_and_block_only_undisputed_identities(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    initial: list[Spec],
    steps: list[Step],
) -> None:
    database = migrated_database
    _reset(database)
    for index, spec in enumerate(initial):
        _write(database, index, spec, 1)
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0)
    count = len(initial)
    for minute, step in enumerate(steps, start=1):
        count = _apply(database, step, count, minute * 2)
        if step[-1] or minute == len(steps):
            at = T0 + timedelta(minutes=minute * 2 + 1)
            reconcile_database(database, project_settings, as_of=AS_OF, now=at)
    _blocked_only_on_undisputed_identities(database, project_settings)
    incremental = _snapshot(database)
    reconcile_database(database, project_settings, full=True, as_of=AS_OF, now=T0 + timedelta(hours=1))
    assert _snapshot(database) == incremental
