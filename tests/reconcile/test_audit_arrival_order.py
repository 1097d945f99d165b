"""Acceptance property (DESIGN.md, "The reconciliation is deterministic: the same inputs, in any order,
give the same golden dataset"), on the function production calls: the same source records staged in
another order (so each gets another staged id, as ingestion numbers rows as they arrive), with the
sources' own update instants tied as often as not, give the same golden dataset: the same cases, the
same surviving values from the same sources by the same rules, the same conflicts and holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sbt_sync.reconcile.golden.model import GoldenResult, SourceRecord
from sbt_sync.reconcile.golden.reconcile import reconcile
from sbt_sync.settings import SurvivorshipSettings
from tests.reconcile.test_golden_property import source_records

INSTANTS = (
    None,
    datetime.fromisoformat("2024-11-01T10:00:00+07:00"),
    datetime.fromisoformat("2024-12-01T10:00:00+07:00"),
)
"""Few instants, so that records of one or several sources are often dated alike."""


def _view(result: GoldenResult) -> Any:
    """The golden dataset without the staged ids (the arrival numbers) it refers to records by."""
    return [
        (
            case.case_key,
            case.status,
            case.held,
            case.hold_reason,
            sorted((name, repr(fv.value), fv.source, fv.rule) for name, fv in case.fields.items()),
            sorted((c.conflict_key, c.kind, c.basis_hash) for c in case.conflicts),
            sorted((r.source, r.record_key, r.item_no) for r in case.draft.records),
        )
        for case in result.cases
    ]


@settings(max_examples=300, deadline=None)
@given(records=source_records(), data=st.data())
def test_records_staged_in_another_order_give_the_same_golden_dataset(
    records: list[SourceRecord], data: st.DataObject
) -> None:
    # Each source record once (a record key names one record of its source), dated by its source.
    unique: dict[tuple[str, str, int], SourceRecord] = {}
    for r in records:
        at = data.draw(st.sampled_from(INSTANTS))
        unique.setdefault((r.source, r.record_key, r.item_no), replace(r, source_updated_at=at))
    # Undated records of one source have no order but their arrival: keep at most one per source.
    chosen: list[SourceRecord] = []
    undated: set[str] = set()
    for r in unique.values():
        if r.source_updated_at is None:
            if r.source in undated:
                continue
            undated.add(r.source)
        chosen.append(r)
    ranks, as_of = SurvivorshipSettings(), date(2025, 1, 20)
    first = [replace(r, staged_id=i + 1) for i, r in enumerate(chosen)]
    order = data.draw(st.permutations(chosen))
    second = [replace(r, staged_id=i + 1) for i, r in enumerate(order)]
    assert _view(reconcile(second, ranks, as_of=as_of)) == _view(reconcile(first, ranks, as_of=as_of))
