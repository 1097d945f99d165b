"""Linking, survivorship, conflicts, statuses and steward decisions of the golden reconciliation."""

from __future__ import annotations

from datetime import date

import pytest

from sbt_sync.reconcile.golden.model import GoldenCase, GoldenResult, SourceRecord, StewardDecision
from sbt_sync.reconcile.golden.reconcile import reconcile
from sbt_sync.settings import SurvivorshipSettings
from tests.reconcile.test_golden_build import NIP_A, NIP_B, finding, recommendation, record, sanction

RANKS = SurvivorshipSettings()
REG_1, REG_2 = "0001/Reg/LP/PILKADA/2024", "0002/Reg/LP/PILKADA/2024"
REC_1, REC_2 = "B-0001/D.IV/WAS/11/2024", "B-0002/D.IV/WAS/11/2024"


def run(records: list[SourceRecord], decisions: tuple[StewardDecision, ...] = ()) -> GoldenResult:
    return reconcile(records, RANKS, decisions, as_of=date(2025, 1, 20))


def case_of(result: GoldenResult, staged_id: int) -> GoldenCase:
    return next(c for c in result.cases if any(r.staged_id == staged_id for r in c.draft.records))


def linked(result: GoldenResult) -> list[list[int]]:
    return sorted(sorted(r.staged_id for r in c.draft.records) for c in result.cases)


def test_one_register_naming_two_asn_makes_two_cases_joined_by_register_and_nip() -> None:
    result = run(
        [
            finding(1, REG_1, nip=NIP_A),
            finding(2, REG_1, nip=NIP_B, item_no=1),
            recommendation(3, REC_1, "terbukti", register=REG_1, nip=NIP_B),
            recommendation(4, REC_2, "tidak_terbukti", register=REG_1, nip=NIP_A),
        ]
    )
    assert linked(result) == [[1, 4], [2, 3]]
    assert case_of(result, 1).case_key == f"PILKADA-2024|reg:{REG_1}|{NIP_A}"
    assert {link.rule for link in case_of(result, 3).draft.links} == {"register", "register_no"}


def test_several_cases_of_one_nip_stay_apart_and_sanctions_follow_their_recommendation() -> None:
    result = run(
        [
            finding(1, REG_1),
            finding(2, "0009/Reg/TM/PEMILU/2024", event="PEMILU-2024"),
            recommendation(3, REC_1, "terbukti", register=REG_1),
            record(4, "bkn_wasdal", event="PEMILU-2024", number=REC_2, verification_result="ditolak"),
            sanction(5, REC_1, "21"),
            sanction(6, REC_1, "21", source="kemendagri", follow_up_status="sudah_dijatuhi_hukuman"),
        ]
    )
    # The PEMILU recommendation has no register number: it joins its event's finding for the NIP.
    assert linked(result) == [[1, 3, 5, 6], [2, 4]]
    assert case_of(result, 4).status == "ditolak"
    assert case_of(result, 5).status == "dijatuhi_hukuman"


def test_kasn_without_register_joins_by_event_and_nip_and_sanction_without_number_by_time() -> None:
    result = run(
        [
            finding(1, REG_1),
            recommendation(2, "R-0001/KASN/11/2024", "terbukti", source="kasn"),
            sanction(3, None, "22", sanction_date="2024-12-01"),
        ]
    )
    assert linked(result) == [[1, 2, 3]]
    rules = {link.staged_id: link.rule for link in result.cases[0].draft.links}
    assert rules == {1: "register", 2: "nip_event", 3: "nip_time"}


@pytest.mark.parametrize(
    ("complaint_at", "joins"),
    [
        ("2024-09-27T09:00:00+07:00", True),  # four days before the register: the usual complaint
        ("2024-10-02T09:00:00+07:00", True),  # the day after
        ("2024-09-20T09:00:00+07:00", False),  # eleven days before: another matter, its own case
    ],
)
def test_complaint_joins_the_case_of_its_nip_within_the_date_window(complaint_at: str, joins: bool) -> None:
    result = run([finding(1, REG_1), record(2, "kemenpanrb", complaint_at=complaint_at)])
    assert (linked(result) == [[1, 2]]) is joins
    if not joins:
        assert case_of(result, 2).case_key.startswith("-|complaint:")
        assert case_of(result, 2).status == "aduan"  # a complaint no body forwarded


def test_complaint_equally_near_two_cases_starts_its_own_with_an_ambiguous_link_conflict() -> None:
    result = run(
        [
            finding(1, REG_1, incident_at="2024-10-01T10:00:00+07:00"),
            finding(2, REG_2, incident_at="2024-10-03T10:00:00+07:00"),
            record(3, "kemenpanrb", complaint_at="2024-10-02T10:00:00+07:00"),
        ]
    )
    own = case_of(result, 3)
    assert [r.staged_id for r in own.draft.records] == [3]
    (conflict,) = own.conflicts
    assert conflict.kind == "ambiguous_link" and conflict.priority == 3 and not conflict.critical
    assert not own.held


def test_stopped_register_that_nothing_joins_is_no_case() -> None:
    result = run([finding(1, REG_1, register_status="dihentikan")])
    assert result.cases == () and [r.staged_id for r in result.unlinked] == [1]


def test_survivorship_ranks_sources_and_breaks_ties_by_recency() -> None:
    result = run(
        [
            finding(1, REG_1),
            recommendation(2, REC_1, "terbukti", register=REG_1, at="2024-11-01T10:00:00+07:00"),
            recommendation(
                3, REC_1, "terbukti", source="kasn", sanction="21", recommendation_date="2024-10-30"
            ),
            sanction(4, REC_1, "21", sanction_sk_no="800/1", at="2024-11-20T10:00:00+07:00"),
            sanction(5, REC_1, "21", sanction_sk_no="800/1-rev", at="2024-11-22T10:00:00+07:00"),
        ]
    )
    fields = result.cases[0].fields
    assert (fields["recommendation_date"].value, fields["recommendation_date"].rule) == (
        "2024-11-01",
        "source_rank",
    )
    assert fields["recommendation_date"].source == "bkn_wasdal"
    assert (fields["sanction_sk_no"].value, fields["sanction_sk_no"].rule) == ("800/1-rev", "recency")
    assert (fields["violation_form"].source, fields["violation_form"].rule) == ("bawaslu", "only_source")
    assert fields["sanction_sk_no"].staged_id == 5


@pytest.mark.parametrize(
    ("records", "left", "status"),
    [
        # annulled after the PPK was asked to act
        ([recommendation(2, REC_1, "dibatalkan", register=REG_1)], None, "dibatalkan"),
        # the ASN retired before any sanction
        ([recommendation(2, REC_1, "terbukti", register=REG_1)], date(2024, 12, 1), "asn_berhenti"),
        # ... but leaving after as_of does not count yet
        (
            [recommendation(2, REC_1, "terbukti", register=REG_1)],
            date(2025, 2, 1),
            "menunggu_tindak_lanjut_ppk",
        ),
        # a sanction dated after as_of is not known yet
        (
            [
                recommendation(2, REC_1, "terbukti", register=REG_1),
                sanction(3, REC_1, "21", sanction_date="2025-02-01"),
            ],
            None,
            "menunggu_tindak_lanjut_ppk",
        ),
        # no recommendation yet
        ([], None, "menunggu_verifikasi"),
        ([recommendation(2, REC_1, "tidak_terbukti", register=REG_1)], None, "tidak_terbukti"),
    ],
)
def test_lifecycle_status_words(records: list[SourceRecord], left: date | None, status: str) -> None:
    result = reconcile(
        [finding(1, REG_1), *records],
        RANKS,
        as_of=date(2025, 1, 20),
        left_service={NIP_A: left} if left else None,
    )
    assert result.cases[0].status == status


def test_sanction_on_a_case_found_not_proven_is_a_lifecycle_conflict() -> None:
    result = run(
        [
            finding(1, REG_1),
            recommendation(2, REC_1, "tidak_terbukti", register=REG_1),
            sanction(3, REC_1, "3"),
        ]
    )
    (conflict,) = result.cases[0].conflicts
    assert (conflict.kind, conflict.reason, conflict.priority) == ("lifecycle", "sanction_on_not_proven", 1)
    assert {(c.source, c.value) for c in conflict.candidates} == {
        ("bkn_wasdal", "tidak_terbukti"),
        ("idis", "3"),
    }
    # The case has ended (a sanction is recorded), so there is nothing to hold.
    assert not result.cases[0].held


def test_recommendation_matching_two_findings_of_its_nip_and_event_is_an_ambiguous_link() -> None:
    result = run([finding(1, REG_1), finding(2, REG_2), recommendation(3, REC_1, "terbukti", source="kasn")])
    assert linked(result) == [[1], [2], [3]]
    (conflict,) = case_of(result, 3).conflicts
    assert conflict.kind == "ambiguous_link"
    assert conflict.candidates[0].value == [
        f"PILKADA-2024|reg:{REG_1}|{NIP_A}",
        f"PILKADA-2024|reg:{REG_2}|{NIP_A}",
    ]


def test_violation_form_narrows_a_recommendation_to_one_finding_of_its_nip_and_event() -> None:
    result = run(
        [
            finding(1, REG_1, violation_form="MEDSOS"),
            finding(2, REG_2, violation_form="HADIR_DEKLARASI"),
            recommendation(3, REC_1, "terbukti", source="kasn", violation_form="HADIR_DEKLARASI"),
        ]
    )
    assert linked(result) == [[1], [2, 3]]
    assert {link.rule for link in case_of(result, 3).draft.links} == {"register", "nip_event_form"}


def test_the_statuses_reconciliation_derives_are_the_ones_the_cases_table_admits() -> None:
    """``golden/status.py`` types a case's status; ``cases.status``'s CHECK constraint lists them again
    (the models do not import the core): the two lists stay one set."""
    from typing import get_args

    from sbt_sync.db.models.golden import CASE_STATUSES
    from sbt_sync.reconcile.golden.status import Status

    assert set(get_args(Status)) == set(CASE_STATUSES) and len(CASE_STATUSES) == len(set(CASE_STATUSES))
