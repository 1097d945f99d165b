"""Sanction versions after an objection (keberatan), in the pure reconciliation and the policy: a later
decision with another code is a revision (not a conflict), the latest decision is in force, the
follow-up stays dated by the first decision, and an annulment on objection holds a proven case."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from sbt_sync.enforce.model import EnforcementCase
from sbt_sync.enforce.policy import decide_case
from sbt_sync.reconcile.golden.model import GoldenCase, SourceRecord, StewardDecision
from sbt_sync.reconcile.golden.reconcile import reconcile
from sbt_sync.reconcile.golden.sanctions import StewardSanction, attach_entries, sanction_history
from sbt_sync.settings import EnforcementSettings, SurvivorshipSettings
from tests.reconcile.test_golden_build import NIP_A, finding, recommendation, sanction

REG = "0001/Reg/LP/PILKADA/2024"
REC = "B-0001/D.IV/WAS/11/2024"
FIRST, REVISED = "2024-12-10", "2025-01-05"
LETTER = "6678/B-AK.02.02/SD/F/2025"


def _idis(staged_id: int, code: str, day: str, *, key: str, at: str) -> SourceRecord:
    return replace(
        sanction(staged_id, REC, code, sanction_date=day, sanction_sk_no=f"SK-{key}", at=at), record_key=key
    )


ORIGINAL = _idis(3, "25", FIRST, key="idis-a1", at="2024-12-11T10:00:00+07:00")
REDUCED = _idis(4, "22", REVISED, key="idis-b2", at="2025-01-06T10:00:00+07:00")
BASE = [finding(1, REG), recommendation(2, REC, "terbukti", register=REG)]


def _case(records: list[SourceRecord], **kw: object) -> GoldenCase:
    result = reconcile(records, SurvivorshipSettings(), **kw)  # type: ignore[arg-type]
    assert len(result.cases) == 1, [c.case_key for c in result.cases]
    return result.cases[0]


def _annulment(case_key: str, *, entry_id: int = 50, day: date = date(2025, 1, 12)) -> StewardSanction:
    return StewardSanction(
        entry_id, case_key, frozenset({1, 2, 3}), None, LETTER, day, datetime(2025, 1, 13, tzinfo=UTC)
    )


def test_a_later_idis_decision_with_another_code_is_a_revision_in_force_not_a_conflict() -> None:
    seen = set()
    for order in itertools.permutations([*BASE, ORIGINAL, REDUCED]):
        case = _case(list(order))
        seen.add((case.sanction_versions, tuple(sorted(case.fields.items())), case.conflicts, case.held))
    assert len(seen) == 1  # any arrival order gives the same versions and golden case
    case = _case([*BASE, ORIGINAL, REDUCED])
    first, second = case.sanction_versions
    assert (first.seq, first.code, first.decided_on, first.source_ref, first.in_force) == (
        1, "25", date(2024, 12, 10), "idis-a1", False,
    )  # fmt: skip
    assert (second.seq, second.code, second.decided_on, second.source_ref, second.in_force) == (
        2, "22", date(2025, 1, 5), "idis-b2", True,
    )  # fmt: skip
    assert case.conflicts == () and not case.held and case.status == "dijatuhi_hukuman"
    assert (
        case.fields["sanction_code"].value == "22"
        and case.fields["sanction_code"].rule == "sanction_in_force"
    )
    assert case.fields["sanction_sk_no"].value == "SK-idis-b2"
    # the PPK followed up with the first decision: that day stays the follow-up
    assert case.fields["sanction_since"].value == FIRST


def test_a_single_decision_keeps_the_survivorship_values_it_always_had() -> None:
    case = _case([*BASE, ORIGINAL])
    assert [v.code for v in case.sanction_versions] == ["25"]
    assert case.fields["sanction_code"].rule == "only_source" and "sanction_since" not in case.fields


@pytest.mark.parametrize(
    ("kemendagri_day", "conflict"),
    [
        # same decision date, another code, nothing saying it was an objection: the conflict of today
        (FIRST, True),
        # Kemendagri still reports the first decision: it restates version 1, the revision stands
        pytest.param(FIRST, False, id="restates-the-first-decision"),
    ],
)
def test_sources_disagreeing_on_one_decision_date_still_raise_the_sanction_conflict(
    kemendagri_day: str, conflict: bool
) -> None:
    code = "21" if conflict else "25"
    report = sanction(9, REC, code, source="kemendagri", sanction_date=kemendagri_day)
    records = [*BASE, ORIGINAL, report] if conflict else [*BASE, ORIGINAL, REDUCED, report]
    case = _case(records)
    raised = [c for c in case.conflicts if c.field == "sanction_code"]
    if conflict:
        (found,) = raised
        assert found.conflict_key == f"critical_field|{case.case_key}|sanction_code"
        assert {(c.source, c.value) for c in found.candidates} == {("idis", "25"), ("kemendagri", "21")}
        # as before versions existed: a recorded sanction ends the case, the conflict does not hold it
        assert not case.held and case.fields["sanction_code"].value == "25"
    else:
        assert raised == [] and [v.code for v in case.sanction_versions] == ["25", "22"]
        assert case.sanction_versions[0].reported_by == ("idis:idis-a1", "kemendagri:kemendagri-" + REC)


def test_a_steward_decision_on_the_sanction_conflict_is_the_code_of_the_version_in_force() -> None:
    report = sanction(9, REC, "21", source="kemendagri", sanction_date=FIRST)
    raw = _case([*BASE, ORIGINAL, report])
    (conflict,) = [c for c in raw.conflicts if c.field == "sanction_code"]
    decided = StewardDecision(
        conflict.conflict_key, conflict.basis_hash, "21", datetime(2025, 1, 2, tzinfo=UTC)
    )
    case = _case([*BASE, ORIGINAL, report], decisions=[decided])
    assert case.fields["sanction_code"].value == "21" and case.sanction_versions[0].code == "21"


def test_an_annulment_on_objection_holds_the_proven_case_until_a_steward_decides() -> None:
    plain = _case([*BASE, ORIGINAL])
    case = _case([*BASE, ORIGINAL], sanctions=[_annulment(plain.case_key)])
    assert [(v.code, v.source, v.in_force) for v in case.sanction_versions] == [
        ("25", "idis", False), (None, "steward", True),
    ]  # fmt: skip
    assert "sanction_code" not in case.fields and case.fields["sanction_annulled_on"].value == "2025-01-12"
    (conflict,) = case.conflicts
    assert (conflict.kind, conflict.reason, conflict.critical) == (
        "lifecycle", "sanction_annulled_on_objection", True,
    )  # fmt: skip
    assert case.held and case.status == "menunggu_tindak_lanjut_ppk"
    for value, status, held in (
        ("terbukti", "menunggu_tindak_lanjut_ppk", False),
        ("dibatalkan", "dibatalkan", False),
    ):
        decided = StewardDecision(
            conflict.conflict_key, conflict.basis_hash, value, datetime(2025, 1, 14, tzinfo=UTC)
        )
        after = _case([*BASE, ORIGINAL], sanctions=[_annulment(plain.case_key)], decisions=[decided])
        assert (after.status, after.held) == (status, held), value


def test_the_version_in_force_is_the_latest_decision_known_at_as_of() -> None:
    before = _case([*BASE, ORIGINAL, REDUCED], as_of=date(2025, 1, 1))
    assert [v.in_force for v in before.sanction_versions] == [True, False]
    assert before.fields["sanction_code"].value == "25" and "sanction_since" not in before.fields


def test_a_steward_entry_wins_a_tie_and_a_later_source_decision_wins_over_it() -> None:
    key = _case([*BASE, ORIGINAL]).case_key
    same_day = StewardSanction(
        7, key, frozenset(), "21", LETTER, date(2025, 1, 5), datetime(2025, 1, 6, tzinfo=UTC)
    )
    history = sanction_history([*BASE, ORIGINAL, REDUCED], [same_day], ("idis", "kemendagri"))
    assert [(v.source, v.code, v.in_force) for v in history.versions] == [
        ("idis", "25", False), ("idis", "22", False), ("steward", "21", True),
    ]  # fmt: skip
    later = replace(REDUCED, fields={**REDUCED.fields, "sanction_date": "2025-02-01"})
    history = sanction_history([*BASE, ORIGINAL, later], [same_day], ("idis", "kemendagri"))
    assert [(v.source, v.in_force) for v in history.versions][-1] == ("idis", True)


def test_a_steward_entry_follows_its_records_when_its_case_is_renamed() -> None:
    entry = _annulment("old-key")
    assert attach_entries([entry], {"new-key": frozenset({2, 3}), "other": frozenset({9})}) == {
        "new-key": [entry]
    }
    assert attach_entries([entry], {"other": frozenset({9})}) == {}


POLICY = EnforcementSettings()


def _enforced(**kw: object) -> EnforcementCase:
    fields: dict[str, object] = {
        "case_id": 1, "case_key": "K", "nip": NIP_A, "status": "dijatuhi_hukuman",
        "verification_result": "terbukti", "recommendation_date": date(2024, 11, 1),
    }  # fmt: skip
    return EnforcementCase(**(fields | kw))  # type: ignore[arg-type]


def test_enforcement_keeps_the_follow_up_of_the_first_decision_after_a_reduction() -> None:
    revised = _enforced(
        sanction_recorded=True, sanction_on=date(2024, 12, 10), sanction_code="22",
        sanction_revised_on=date(2025, 1, 5),
    )  # fmt: skip
    outcome = decide_case(revised, POLICY, date(2025, 1, 20))
    assert not outcome.blocking and outcome.stage == "dijatuhi_hukuman"
    unblock = [s for s in outcome.steps if s.action == "buka_blokir"]
    assert [s.due_on for s in unblock] == [date(2024, 12, 10)]
    assert (
        "revised after objection on 2025-01-05" in unblock[0].reason and "in force: 22" in unblock[0].reason
    )


def test_enforcement_of_an_annulled_sanction_holds_then_escalates_once_a_steward_says_it_binds() -> None:
    annulled = dict(sanction_annulled_on=date(2025, 1, 12), status="menunggu_tindak_lanjut_ppk")
    held = decide_case(
        _enforced(held=True, hold_reason="open lifecycle conflict", **annulled), POLICY, date(2025, 1, 20)
    )
    assert (held.stage, held.blocking, [s.action for s in held.steps]) == ("ditahan", False, ["hold"])
    binding = decide_case(_enforced(**annulled), POLICY, date(2025, 1, 20))
    assert binding.blocking and binding.stage == "diblokir"
