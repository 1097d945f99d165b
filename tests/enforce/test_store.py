"""Enforcement on the database: block state and outbox written together, idempotent re-runs, the guard."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, Case, ControlAction, OutboxEntry, PushApproval
from sbt_sync.enforce import conflicted_blocks, run_enforcement, store
from sbt_sync.push import approve, reject
from sbt_sync.settings import EnforcementSettings, GuardSettings
from tests.enforce.rows import BLOCKING_DAY, add_case, nip, open_conflict

POLICY = EnforcementSettings()
A = nip(1)


def outbox(db: Database) -> list[tuple[str, str, str, int]]:
    with db.session() as s:
        rows = s.execute(select(OutboxEntry).order_by(OutboxEntry.id)).scalars()
        return [(r.nip, r.action, r.state, r.block_version) for r in rows]


def block(db: Database, number: str = A) -> BlockState | None:
    with db.session() as s:
        return s.get(BlockState, number)


def test_a_block_writes_block_state_and_its_outbox_row(migrated_database: Database) -> None:
    db = migrated_database
    with db.session() as s:
        add_case(s, "CASE-1", A)
        report = run_enforcement(s, POLICY, BLOCKING_DAY, run_id="r1")
    assert report.new_actions == {"peringatan": 1, "teguran": 1, "pemblokiran": 1}
    state = block(db)
    assert state is not None and state.blocked and state.version == 1
    with db.session() as s:
        row = s.scalars(select(OutboxEntry)).one()
        assert re.fullmatch(r"sbt-blokir-v1-[0-9a-f]{24}", row.idempotency_key)
        assert row.payload == {
            "nip": A,
            "alasan": row.payload["alasan"],
            "referensiKasus": ["CASE-1"],
            "nomorReferensi": "REK/CASE-1",
        }
        assert row.case_refs == ["CASE-1"] and row.state == "pending" and row.run_id == "r1"


def test_rerunning_the_same_day_changes_nothing(migrated_database: Database) -> None:
    db = migrated_database
    with db.session() as s:
        add_case(s, "CASE-1", A)
        run_enforcement(s, POLICY, BLOCKING_DAY)
    for _ in range(2):
        with db.session() as s:
            report = run_enforcement(s, POLICY, BLOCKING_DAY)
        assert report.new_actions == {} and report.changes == []
    assert outbox(db) == [(A, "blokir", "pending", 1)]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ControlAction)) == 3


def test_sanction_after_the_block_queues_the_unblock_under_a_new_version(migrated_database: Database) -> None:
    db = migrated_database
    with db.session() as s:
        case_id = add_case(s, "CASE-1", A).id
        run_enforcement(s, POLICY, BLOCKING_DAY)
        s.execute(select(OutboxEntry)).scalars().one().state = "acked"
    with db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.status, case.sanction_imposed, case.sanction_date = "dijatuhi_hukuman", "22", date(2025, 1, 22)
    with db.session() as s:
        report = run_enforcement(s, POLICY, date(2025, 1, 25))
    assert report.new_actions == {"buka_blokir": 1}
    assert outbox(db) == [(A, "blokir", "acked", 1), (A, "buka", "pending", 2)]
    state = block(db)
    assert state is not None and not state.blocked and state.version == 2 and state.case_ids == [case_id]


def test_an_asn_stays_blocked_while_any_case_requires_it(migrated_database: Database) -> None:
    db = migrated_database
    with db.session() as s:
        first = add_case(s, "CASE-1", A).id
        add_case(s, "CASE-2", A)
        run_enforcement(s, POLICY, BLOCKING_DAY)
    with db.session() as s:
        case = s.get(Case, first)
        assert case is not None
        case.sanction_imposed, case.sanction_date = "22", date(2025, 1, 21)
    with db.session() as s:
        report = run_enforcement(s, POLICY, date(2025, 1, 25))
    assert report.changes == [] and outbox(db) == [(A, "blokir", "pending", 1)]
    state = block(db)
    assert state is not None and state.blocked and len(state.case_ids) == 1 and state.version == 1


def test_a_held_case_is_reported_and_never_blocked(migrated_database: Database) -> None:
    db = migrated_database
    with db.session() as s:
        add_case(s, "CASE-1", A, held=True)
        report = run_enforcement(s, POLICY, BLOCKING_DAY)
        actions = s.scalars(select(ControlAction.action)).all()
    assert report.holds == 1 and report.held_cases == ["CASE-1"] and actions == ["hold"]
    assert block(db) is None and outbox(db) == []


def test_a_case_held_through_its_block_day_that_then_ends_records_no_block_and_no_unblock(
    migrated_database: Database,
) -> None:
    """Held (an identity dispute) from before its block day (2024-12-25); a steward settles the dispute
    after the ASN has left service: nothing was ever blocked, so no pemblokiran, no buka_blokir, and
    the recap counts no unblock."""
    from sbt_sync.reports.recap import TOTAL, build_recap

    db = migrated_database
    with db.session() as s:
        case = add_case(s, "CASE-1", A, held=True)
        case.hold_reason = "identity dispute on a linked record"
        for day in (date(2024, 12, 11), date(2024, 12, 25), date(2025, 1, 5)):
            run_enforcement(s, POLICY, day)
    with db.session() as s:
        case = s.scalars(select(Case)).one()
        case.held, case.hold_reason, case.status = False, None, "asn_berhenti"
        run_enforcement(s, POLICY, date(2025, 1, 10))
        actions = [(a.action, a.due_on) for a in s.scalars(select(ControlAction).order_by(ControlAction.id))]
    assert actions == [("hold", date(2024, 12, 11))]
    assert block(db) is None and outbox(db) == []
    assert build_recap(db).events[TOTAL].counts["unblocked"] == 0


def test_a_case_blocked_then_held_then_ended_keeps_its_block_and_unblock(migrated_database: Database) -> None:
    """Blocked on its block day, held later, then the ASN leaves service: the block was real, so the
    history keeps it and the unblock is recorded and sent."""
    db = migrated_database
    with db.session() as s:
        add_case(s, "CASE-1", A)
        run_enforcement(s, POLICY, BLOCKING_DAY)
        case = s.scalars(select(Case)).one()
        case.held, case.hold_reason = True, "identity dispute on a linked record"
        run_enforcement(s, POLICY, date(2025, 1, 21))
        case.held, case.hold_reason, case.status = False, None, "asn_berhenti"
        run_enforcement(s, POLICY, date(2025, 1, 22))
        actions = {a.action for a in s.scalars(select(ControlAction))}
    assert {"pemblokiran", "hold", "buka_blokir"} <= actions
    # The block was never pushed (the test has no pusher): superseded, and SIASN needs nothing more.
    assert [(a, st) for _, a, st, _ in outbox(db)] == [("blokir", "superseded")]
    assert block(db) is not None and not block(db).blocked  # type: ignore[union-attr]


def test_an_unsent_block_is_superseded_when_the_case_ends_before_the_push(
    migrated_database: Database,
) -> None:
    db = migrated_database
    with db.session() as s:
        case_id = add_case(s, "CASE-1", A).id
        run_enforcement(s, POLICY, BLOCKING_DAY)
    with db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.sanction_imposed, case.sanction_date = "22", date(2025, 1, 21)
    with db.session() as s:
        report = run_enforcement(s, POLICY, date(2025, 1, 22))
    # SIASN never saw the block, so there is nothing to unblock.
    assert report.superseded == 1 and [c.outbox_id for c in report.changes] == [None]
    assert outbox(db) == [(A, "blokir", "superseded", 1)]


def test_block_state_and_outbox_row_commit_together_or_not_at_all(
    migrated_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = migrated_database
    monkeypatch.setattr(store, "idempotency_key", lambda action, version: "taken")
    with db.session() as s:
        add_case(s, "CASE-1", A)
        # A stray row already holds the key this change will get: the outbox insert must fail.
        s.add(
            OutboxEntry(
                idempotency_key="taken",
                nip=nip(99),
                action="blokir",
                payload={},
                state="acked",
                block_version=1,
            )
        )
    with pytest.raises(IntegrityError), db.session() as s:
        run_enforcement(s, POLICY, BLOCKING_DAY)
    assert block(db) is None
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ControlAction)) == 0


def test_guard_holds_back_a_run_that_would_unblock_everyone(migrated_database: Database) -> None:
    db = migrated_database
    policy = EnforcementSettings(guard=GuardSettings(max_changes=50, max_percent=10))
    with db.session() as s:
        for i in range(1, 9):
            add_case(s, f"CASE-{i}", nip(i))
        first = run_enforcement(s, policy, BLOCKING_DAY)
        assert first.guard is not None and not first.guard.tripped  # nothing was blocked before
        s.execute(update(OutboxEntry).values(state="acked"))
    with db.session() as s:  # a source wrongly sends an empty feed: every case disappears
        s.execute(delete(Case))
    with db.session() as s:
        report = run_enforcement(s, policy, BLOCKING_DAY)
    assert report.guard is not None and report.guard.tripped and "100%" in report.guard.reason
    assert {state for _, action, state, _ in outbox(db) if action == "buka"} == {"awaiting_approval"}
    with db.session() as s:
        approval = s.scalars(select(PushApproval)).one()
        assert (approval.status, approval.change_count, approval.blocked_before) == ("waiting", 8, 8)
        result = approve(s, None, reason="feed confirmed empty on purpose", actor="tester")
    assert result["released"] == 8
    assert {state for _, action, state, _ in outbox(db) if action == "buka"} == {"pending"}


def test_rejecting_a_held_back_run_withdraws_its_rows(migrated_database: Database) -> None:
    db = migrated_database
    policy = EnforcementSettings(guard=GuardSettings(max_changes=2, max_percent=100))
    with db.session() as s:
        for i in range(1, 5):
            add_case(s, f"CASE-{i}", nip(i))
        report = run_enforcement(s, policy, BLOCKING_DAY)
        assert report.approval_id is not None and "max_changes 2" in report.guard.reason  # type: ignore[union-attr]
        result = reject(s, report.approval_id, reason="wrong feed", actor="tester")
    assert result["withdrawn"] == 4 and result["restored"] == 4
    assert {state for *_, state, _ in outbox(db)} == {"superseded"}
    state = block(db)
    assert state is not None and not state.blocked and state.version == 2  # back to what SIASN holds
    with db.session() as s:  # the next run proposes the blocks again, behind the guard again
        again = run_enforcement(s, policy, BLOCKING_DAY)
    assert again.approval_id is not None and len(again.changes) == 4
    assert [(action, st, v) for _, action, st, v in outbox(db)][-4:] == [
        ("blokir", "awaiting_approval", 3)
    ] * 4


def test_a_rejected_unblock_keeps_the_asn_blocked_and_is_proposed_again(migrated_database: Database) -> None:
    db = migrated_database
    policy = EnforcementSettings(guard=GuardSettings(max_changes=50, max_percent=10))
    with db.session() as s:
        for i in range(1, 9):
            add_case(s, f"CASE-{i}", nip(i))
        run_enforcement(s, policy, BLOCKING_DAY)
        s.execute(update(OutboxEntry).values(state="acked"))
    with db.session() as s:
        s.execute(delete(Case))  # an empty feed would unblock everyone
    with db.session() as s:
        report = run_enforcement(s, policy, BLOCKING_DAY)
        assert report.approval_id is not None
        reject(s, report.approval_id, reason="the feed was truncated", actor="tester")
    state = block(db)
    assert state is not None and state.blocked and state.version == 3
    with db.session() as s:
        again = run_enforcement(s, policy, BLOCKING_DAY)
    assert again.guard is not None and again.guard.tripped and len(again.changes) == 8


def test_open_critical_conflict_behind_a_queued_block_is_found(migrated_database: Database) -> None:
    db = migrated_database
    with db.session() as s:
        add_case(s, "CASE-1", A)
        second = add_case(s, "CASE-2", nip(2))
        run_enforcement(s, POLICY, BLOCKING_DAY)
        open_conflict(s, second)
        rows = conflicted_blocks(s)
    assert [(n, ref) for _, n, ref in rows] == [(nip(2), "CASE-2")]


def test_a_block_after_an_unblock_is_recorded_as_a_second_cycle_and_so_is_its_unblock(
    migrated_database: Database,
) -> None:
    """Blocked, unblocked by an annulment, blocked again when the annulment is withdrawn (the case is
    proven again), then unblocked by a sanction: SIASN is blocked twice and unblocked twice, and the
    case's history says so (``cycle`` 2 for the second block and its unblock), each move dated by the
    run that made it or by the end event, never before the block it follows."""
    db = migrated_database
    with db.session() as s:
        case_id = add_case(s, "CASE-1", A).id
        run_enforcement(s, POLICY, BLOCKING_DAY)  # blocked (due 2024-12-25)
        _pushed(s)
    with db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.status, case.golden = (
            "dibatalkan",
            {"verification_result": "dibatalkan", "annulled_on": "2025-01-22"},
        )
        run_enforcement(s, POLICY, date(2025, 1, 23))  # unblocked on the annulment's day
        _pushed(s)
    with db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.status, case.golden = "menunggu_tindak_lanjut_ppk", {"verification_result": "terbukti"}
        again = run_enforcement(s, POLICY, date(2025, 2, 3))  # the annulment withdrawn: blocked again
    assert again.new_actions == {"pemblokiran": 1}
    assert block(db).blocked  # type: ignore[union-attr]
    with db.session() as s:
        _pushed(s)
        case = s.get(Case, case_id)
        assert case is not None
        case.status, case.sanction_imposed, case.sanction_date = "dijatuhi_hukuman", "22", date(2025, 2, 10)
        run_enforcement(s, POLICY, date(2025, 2, 12))
        moves = s.execute(
            select(ControlAction.action, ControlAction.cycle, ControlAction.due_on)
            .where(ControlAction.action.in_(["pemblokiran", "buka_blokir"]))
            .order_by(ControlAction.cycle, ControlAction.due_on)
        ).all()
    assert [tuple(m) for m in moves] == [
        ("pemblokiran", 1, date(2024, 12, 25)),
        ("buka_blokir", 1, date(2025, 1, 22)),
        ("pemblokiran", 2, date(2025, 2, 3)),
        ("buka_blokir", 2, date(2025, 2, 10)),
    ]
    assert not block(db).blocked  # type: ignore[union-attr]
    assert [(a, st, v) for _, a, st, v in outbox(db)] == [
        ("blokir", "acked", 1), ("buka", "acked", 2), ("blokir", "acked", 3), ("buka", "pending", 4)
    ]  # fmt: skip


def _pushed(session: Session) -> None:
    """SIASN acknowledged every row queued so far (the test has no pusher)."""
    session.execute(update(OutboxEntry).where(OutboxEntry.state == "pending").values(state="acked"))


def test_unblocks_of_cases_now_held_by_a_dispute_never_wait_behind_the_guard(
    migrated_database: Database,
) -> None:
    """No block ever rests on a disputed identity (DESIGN.md): when disputes open on many blocked
    cases at once, their unblocks go out at once, while a change the guard exists for (here an empty
    feed withdrawing other cases) still waits for a steward. Before, all of them waited, and SIASN
    kept blocking the disputed identities until someone approved."""
    db = migrated_database
    policy = EnforcementSettings(guard=GuardSettings(max_changes=1, max_percent=10))
    with db.session() as s:
        for i in range(1, 11):
            add_case(s, f"CASE-{i}", nip(i))
        run_enforcement(s, POLICY, BLOCKING_DAY)
        _pushed(s)
    with db.session() as s:
        for case in s.scalars(select(Case).where(Case.case_key.in_([f"CASE-{i}" for i in range(1, 9)]))):
            case.held, case.hold_reason = True, "identity disputed: idis SK-1#0: names another ASN"
        s.execute(delete(Case).where(Case.case_key.in_(["CASE-9", "CASE-10"])))  # a truncated feed
    with db.session() as s:
        report = run_enforcement(s, policy, BLOCKING_DAY)
    assert report.guard is not None and report.guard.tripped  # 2 changes: above max_changes 1
    assert report.guard.changes == 2 and report.lifted_for_holds == 8
    rows = {n: (action, state) for n, action, state, _ in outbox(db) if action == "buka"}
    assert {rows[nip(i)] for i in range(1, 9)} == {("buka", "pending")}
    assert {rows[nip(i)] for i in (9, 10)} == {("buka", "awaiting_approval")}
    with db.session() as s:
        approval = s.scalars(select(PushApproval)).one()
        assert (approval.change_count, approval.summary["buka"]) == (2, 2)
    assert report.as_dict()["lifted_for_holds"] == 8


def test_an_unblock_is_guarded_when_any_case_behind_the_block_ended_otherwise(
    migrated_database: Database,
) -> None:
    """Only an unblock every blocking case of which is now held skips the guard: one whose case
    vanished from the feed beside a held one is a change the guard judges."""
    db = migrated_database
    policy = EnforcementSettings(guard=GuardSettings(max_changes=0, max_percent=100))
    with db.session() as s:
        add_case(s, "CASE-1", A)
        add_case(s, "CASE-2", A)
        run_enforcement(s, EnforcementSettings(), BLOCKING_DAY)
        _pushed(s)
    with db.session() as s:
        one = s.scalars(select(Case).where(Case.case_key == "CASE-1")).one()
        one.held, one.hold_reason = True, "identity disputed: idis SK-1#0: names another ASN"
        s.execute(delete(Case).where(Case.case_key == "CASE-2"))
    with db.session() as s:
        report = run_enforcement(s, policy, BLOCKING_DAY)
    assert report.lifted_for_holds == 0 and report.guard is not None and report.guard.tripped
    assert [(a, st) for n, a, st, _ in outbox(db) if a == "buka"] == [("buka", "awaiting_approval")]
