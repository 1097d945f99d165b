"""Critical-field conflicts between sources and the stewards' sticky decisions on them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sbt_sync.reconcile.golden.model import ConflictDraft, GoldenResult, SourceRecord, StewardDecision
from sbt_sync.reconcile.golden.reconcile import reconcile
from sbt_sync.settings import SurvivorshipSettings
from tests.reconcile.test_golden_build import finding, recommendation, sanction

REG = "0001/Reg/TM/PILKADA/2020"
REC = "R-0008/KASN/08/2020"
DECIDED = datetime(2025, 1, 10, 9, tzinfo=UTC)


def run(records: list[SourceRecord], decisions: tuple[StewardDecision, ...] = ()) -> GoldenResult:
    return reconcile(records, SurvivorshipSettings(), decisions, as_of=date(2025, 1, 20))


def disputed(kasn_result: str = "terbukti", bkn_result: str = "tidak_terbukti") -> list[SourceRecord]:
    """KASN's historic recommendation and BKN's later re-verification of the same case."""
    return [
        finding(1, REG, event="PILKADA-2020"),
        recommendation(2, REC, bkn_result, register=REG, event="PILKADA-2020"),
        recommendation(3, REC, kasn_result, source="kasn", event="PILKADA-2020", sanction="21"),
    ]


def only_conflict(result: GoldenResult) -> ConflictDraft:
    (conflict,) = result.cases[0].conflicts
    return conflict


def test_kasn_and_bkn_wasdal_disagreeing_on_the_result_open_a_critical_conflict_and_hold() -> None:
    result = run(disputed())
    conflict = only_conflict(result)
    assert (conflict.kind, conflict.field, conflict.priority, conflict.due_days) == (
        "critical_field",
        "verification_result",
        1,
        3,
    )
    assert [(c.source, c.value) for c in conflict.candidates] == [
        ("bkn_wasdal", "tidak_terbukti"),
        ("kasn", "terbukti"),
    ]
    assert conflict.due_at(DECIDED) == datetime(2025, 1, 13, 9, tzinfo=UTC)
    # bkn_wasdal outranks kasn, but the case is held while the conflict is open.
    assert result.cases[0].fields["verification_result"].value == "tidak_terbukti"
    assert result.cases[0].held and result.cases[0].status == "tidak_terbukti"


def test_conflict_closes_itself_when_the_sources_come_to_agree() -> None:
    assert run(disputed("tidak_terbukti")).cases[0].conflicts == ()


def test_disputed_sanction_codes_between_idis_and_kemendagri_are_a_priority_two_conflict() -> None:
    records = [
        finding(1, REG),
        recommendation(2, REC, "terbukti", register=REG),
        sanction(3, REC, "22"),
        sanction(4, REC, "21", source="kemendagri"),
    ]
    conflict = only_conflict(run(records))
    assert (conflict.field, conflict.priority) == ("sanction_code", 2)
    # A sanction is recorded: the case has ended, nothing to hold.
    assert not run(records).cases[0].held


def test_steward_decision_is_sticky_until_its_basis_changes_then_the_conflict_reopens() -> None:
    first = only_conflict(run(disputed()))
    decision = StewardDecision(
        first.conflict_key, first.basis_hash, "terbukti", DECIDED, "KASN letter on file"
    )

    again = run(disputed(), (decision,))
    assert only_conflict(again).status == "resolved"
    assert again.cases[0].fields["verification_result"].rule == "steward_decision"
    assert again.cases[0].fields["verification_result"].value == "terbukti"
    assert not again.cases[0].held and again.cases[0].status == "menunggu_tindak_lanjut_ppk"

    # BKN re-verifies and now says "ditolak": what the steward decided on no longer holds.
    changed = run(disputed(bkn_result="ditolak"), (decision,))
    reopened = only_conflict(changed)
    assert reopened.status == "open" and reopened.basis_hash != first.basis_hash
    assert reopened.reopened_reason is not None and "bkn_wasdal='ditolak'" in reopened.reopened_reason
    assert changed.cases[0].fields["verification_result"].rule == "source_rank"
    assert changed.cases[0].held


def test_latest_decision_on_a_conflict_wins() -> None:
    first = only_conflict(run(disputed()))
    older = StewardDecision(first.conflict_key, first.basis_hash, "terbukti", DECIDED)
    newer = StewardDecision(first.conflict_key, first.basis_hash, "tidak_terbukti", DECIDED.replace(day=11))
    result = run(disputed(), (newer, older))
    assert result.cases[0].fields["verification_result"].value == "tidak_terbukti"
