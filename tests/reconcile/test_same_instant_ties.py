"""One source stating two values at one instant of its own clock (two rows of one file, two records with
one ``updatedAt``): the order the rows were staged in never chooses (DESIGN.md: "the same inputs, in
any order, give the same golden dataset"). An annulment stated beside its recommendation is the later
state; any other disagreement on a critical field is a conflict for a steward, and the case is held."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbt_sync.reconcile.golden.model import GoldenResult, SourceRecord
from sbt_sync.reconcile.golden.reconcile import reconcile
from sbt_sync.settings import SurvivorshipSettings
from tests.reconcile.test_golden_build import finding, recommendation, sanction

REG = "0001/Reg/LP/PILKADA/2024"
REC = "R-0007/KASN/11/2023"
FILE_TIME = "2024-12-02T08:00:00+07:00"
"""KASN's and Kemendagri's rows carry the time of their file: every row of one file shares it."""


def _kasn(staged_id: int, result: str, **kw: Any) -> SourceRecord:
    return recommendation(staged_id, REC, result, source="kasn", at=FILE_TIME, **kw)


def _both_orders(first: SourceRecord, second: SourceRecord) -> tuple[GoldenResult, GoldenResult]:
    """The same two rows staged in one order, then in the other (ids follow the staging order)."""

    def staged(a: SourceRecord, b: SourceRecord) -> GoldenResult:
        rows = [finding(1, REG), _restaged(a, 2), _restaged(b, 3)]
        return reconcile(rows, SurvivorshipSettings(), as_of=date(2025, 1, 20))

    return staged(first, second), staged(second, first)


def _restaged(r: SourceRecord, staged_id: int) -> SourceRecord:
    return SourceRecord(**{**r.__dict__, "staged_id": staged_id})


def _view(result: GoldenResult) -> list[tuple[Any, ...]]:
    """What a steward and SIASN see of each case, without the staging ids."""
    return sorted(
        (
            case.status,
            case.held,
            tuple(sorted((name, repr(fv.value), fv.source, fv.rule) for name, fv in case.fields.items())),
            tuple(
                sorted(
                    (c.kind, c.field, tuple(sorted(repr(x.value) for x in c.candidates)))
                    for c in case.conflicts
                )
            ),
        )
        for case in result.cases
    )


def test_an_annulment_beside_its_recommendation_in_one_file_wins_in_either_row_order() -> None:
    one, other = _both_orders(_kasn(0, "terbukti", register=None), _kasn(0, "dibatalkan", register=None))
    for result in (one, other):
        (case,) = [
            c for c in result.cases if c.draft.records[-1].source == "kasn" or len(c.draft.records) > 1
        ]
        assert case.fields["verification_result"].value == "dibatalkan"
        assert case.status == "dibatalkan" and not case.held
    assert _view(one) == _view(other)


@pytest.mark.parametrize("other_result", ["tidak_terbukti", "ditolak"])
def test_proven_and_another_result_at_one_instant_of_one_source_is_a_conflict_that_holds(
    other_result: str,
) -> None:
    one, other = _both_orders(_kasn(0, "terbukti"), _kasn(0, other_result))
    for result in (one, other):
        held = [c for c in result.cases if any(r.source == "kasn" for r in c.draft.records)]
        assert held and all(c.held for c in held)
        disputes = [c for case in held for c in case.conflicts if c.field == "verification_result"]
        assert disputes and {x.value for x in disputes[0].candidates} == {"terbukti", other_result}
        assert {x.source for x in disputes[0].candidates} == {"kasn"}
    assert _view(one) == _view(other)


def test_two_sanction_codes_of_one_decision_at_one_instant_are_a_dispute_in_either_order() -> None:
    rec = recommendation(9, REC, "terbukti", register=REG, at="2024-11-01T10:00:00+07:00")
    at = "2024-11-25T09:00:00+07:00"
    a = sanction(0, REC, "21", source="kemendagri", at=at)
    b = sanction(0, REC, "22", source="kemendagri", at=at)

    def staged(x: SourceRecord, y: SourceRecord) -> GoldenResult:
        rows = [finding(1, REG), rec, _restaged(x, 2), _restaged(y, 3)]
        return reconcile(rows, SurvivorshipSettings(), as_of=date(2025, 1, 20))

    one, other = staged(a, b), staged(b, a)
    for result in (one, other):
        (case,) = result.cases
        # A sanction of either code ends the follow-up, so the dispute holds nothing; it is still
        # the steward's to settle which sanction is in force.
        (dispute,) = [c for c in case.conflicts if c.field == "sanction_code"]
        assert {x.value for x in dispute.candidates} == {"21", "22"}
    assert _view(one) == _view(other)


def test_a_newer_instant_still_wins_without_a_conflict() -> None:
    older = recommendation(2, REC, "terbukti", source="kasn", at="2024-11-01T08:00:00+07:00")
    newer = recommendation(3, REC, "tidak_terbukti", source="kasn", at="2024-12-02T08:00:00+07:00")
    result = reconcile([finding(1, REG), older, newer], SurvivorshipSettings(), as_of=date(2025, 1, 20))
    case = next(c for c in result.cases if any(r.staged_id == 3 for r in c.draft.records))
    assert case.fields["verification_result"].value == "tidak_terbukti"
    assert not [c for c in case.conflicts if c.field == "verification_result"]


RESULTS = ("terbukti", "tidak_terbukti", "dibatalkan", "ditolak")


@settings(max_examples=150, deadline=None)
@given(
    results=st.lists(st.sampled_from(RESULTS), min_size=1, max_size=5),
    sanctions=st.lists(st.sampled_from(("21", "22", "3")), max_size=3),
    data=st.data(),
)
def test_rows_of_one_file_staged_in_any_order_give_the_same_golden_dataset(
    results: list[str], sanctions: list[str], data: st.DataObject
) -> None:
    rows = [_kasn(0, result, register=None) for result in results]
    rows += [sanction(0, REC, code, source="kemendagri", at=FILE_TIME) for code in sanctions]
    order = data.draw(st.permutations(range(len(rows))))

    def staged(sequence: list[SourceRecord]) -> GoldenResult:
        records = [finding(1, REG)] + [_restaged(r, n + 2) for n, r in enumerate(sequence)]
        return reconcile(records, SurvivorshipSettings(), as_of=date(2025, 1, 20))

    assert _view(staged(rows)) == _view(staged([rows[i] for i in order]))
