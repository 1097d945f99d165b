"""The reconciliation is deterministic: the same records and decisions in any order give the same
golden dataset."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from sbt_sync.reconcile.golden.model import SourceRecord, StewardDecision
from sbt_sync.reconcile.golden.reconcile import reconcile
from sbt_sync.settings import SurvivorshipSettings
from tests.reconcile.test_golden_build import NIP_A, NIP_B, finding, recommendation, record, sanction

REGS = ("0001/Reg/LP/PILKADA/2024", "0002/Reg/LP/PILKADA/2024", "0003/Reg/TM/PILKADA/2024")
RECS = ("B-0001/D.IV/WAS/11/2024", "B-0002/D.IV/WAS/11/2024", "R-0003/KASN/11/2024")
DECIDED = datetime(2025, 1, 10, tzinfo=UTC)
RESULTS = ("terbukti", "tidak_terbukti", "dibatalkan", "ditolak")


@st.composite
def source_records(draw: st.DrawFn) -> list[SourceRecord]:
    """A tangle of findings, recommendations, sanctions and complaints over two ASN, with repeated
    numbers, missing registers and disagreements, each with a unique staged id."""
    records: list[SourceRecord] = []
    for _ in range(draw(st.integers(1, 14))):
        staged_id = len(records) + 1
        nip = draw(st.sampled_from((NIP_A, NIP_B, None)))
        kind = draw(
            st.sampled_from(("finding", "recommendation", "kasn", "sanction", "follow_up", "complaint"))
        )
        day = draw(st.integers(1, 28))
        if kind == "finding":
            incident = f"2024-10-{day:02d}T10:00:00+07:00"
            records.append(finding(staged_id, draw(st.sampled_from(REGS)), nip=nip, incident_at=incident))
        elif kind in ("recommendation", "kasn"):
            register = draw(st.sampled_from((*REGS, None))) if kind == "recommendation" else None
            source = "bkn_wasdal" if kind == "recommendation" else "kasn"
            result = draw(st.sampled_from(RESULTS))
            number = draw(st.sampled_from(RECS))
            records.append(
                recommendation(staged_id, number, result, source=source, register=register, nip=nip)
            )
        elif kind in ("sanction", "follow_up"):
            source = "idis" if kind == "sanction" else "kemendagri"
            maybe = draw(st.sampled_from((*RECS, None)))
            code = draw(st.sampled_from(("21", "22", "3")))
            records.append(
                sanction(staged_id, maybe, code, source=source, nip=nip, sanction_date=f"2024-11-{day:02d}")
            )
        else:
            records.append(
                record(staged_id, "kemenpanrb", nip=nip, complaint_at=f"2024-10-{day:02d}T08:00:00+07:00")
            )
    return records


@settings(max_examples=200, deadline=None)
@given(records=source_records(), data=st.data())
def test_shuffled_records_and_decisions_give_an_identical_golden_dataset(
    records: list[SourceRecord], data: st.DataObject
) -> None:
    ranks, as_of = SurvivorshipSettings(), date(2025, 1, 20)
    first = reconcile(records, ranks, as_of=as_of)
    # A steward decided some of the conflicts (twice, on the same day, for different values).
    decisions = [
        StewardDecision(c.conflict_key, c.basis_hash, candidate.value, DECIDED)
        for case in first.cases
        for c in case.conflicts
        for candidate in c.candidates
        if data.draw(st.booleans())
    ]
    expected = reconcile(records, ranks, decisions, as_of=as_of)
    shuffled = data.draw(st.permutations(records))
    reordered = data.draw(st.permutations(decisions))
    assert reconcile(shuffled, ranks, reordered, as_of=as_of) == expected
