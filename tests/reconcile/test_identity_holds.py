"""Identity disputes hold cases (DESIGN.md, "Identity disputes hold"): no block ever rests on a record
whose identity is disputed, in the pure reconciliation and in the policy that reads it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbt_sync.enforce.model import EnforcementCase
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.reconcile.golden.model import GoldenCase, LinkOverride, SourceRecord, StewardDecision
from sbt_sync.reconcile.golden.reconcile import reconcile
from sbt_sync.reconcile.golden.status import has_ended, identity_disputes
from sbt_sync.reconcile.golden.survive import latest_by_source
from sbt_sync.reconcile.identity.store import names_person
from sbt_sync.settings import EnforcementSettings, SurvivorshipSettings
from tests.enforce.builders import NIP_A, NIP_B, R
from tests.enforce.builders import case as enforcement_case
from tests.reconcile.test_golden_build import finding, recommendation, record
from tests.reconcile.test_golden_property import source_records

REG = "0001/Reg/LP/PILKADA/2024"
REC = "B-0001/D.IV/WAS/11/2024"
AS_OF = date(2025, 1, 20)
MISMATCH = "identity conflict 7 (name_mismatch, 2 candidate(s)) is open"


def _only_case(records: list[SourceRecord]) -> GoldenCase:
    result = reconcile(records, SurvivorshipSettings(), as_of=AS_OF)
    assert len(result.cases) == 1, [c.case_key for c in result.cases]
    return result.cases[0]


def _named(r: SourceRecord, dispute: str | None = None) -> SourceRecord:
    return replace(r, names_person=True, identity_dispute=dispute)


def test_recommendation_naming_someone_else_joins_by_register_and_holds_the_case() -> None:
    # The recommendation carries M's valid NIP under another person's name: identity resolution
    # refuses the NIP (resolved NIP None) and opens a name_mismatch conflict; the register number
    # still joins it to M's finding, so M's case must be held, not blocked.
    case = _only_case(
        [
            _named(finding(1, REG)),
            _named(recommendation(2, REC, "terbukti", register=REG, nip=None), MISMATCH),
        ]
    )
    assert case.draft.nip == NIP_A and len(case.draft.records) == 2
    assert case.held
    assert case.hold_reason is not None and "identity conflict 7" in case.hold_reason
    assert "bkn_wasdal" in case.hold_reason


def test_record_a_steward_found_names_no_asn_still_holds_the_case_it_joined_by_number() -> None:
    # No open conflict any more (the steward said "not an ASN"), but the record joined M's case by its
    # register number while naming somebody else: its facts are not evidence about M.
    case = _only_case(
        [_named(finding(1, REG)), _named(recommendation(2, REC, "terbukti", register=REG, nip=None))]
    )
    assert case.held
    assert case.hold_reason is not None and "names nobody in the registry" in case.hold_reason
    # ... and the stewards' queue shows why: the record's place in the case is a conflict of its own
    # (the ASN it names: nobody), which "keep" or a link correction settles.
    [conflict] = case.conflicts
    assert (conflict.kind, conflict.status, conflict.candidates[0].staged_id) == ("named_other", "open", 2)
    assert conflict.candidates[0].value["named_nip"] is None


def test_records_naming_nobody_and_settled_identities_do_not_hold() -> None:
    anonymous = recommendation(2, REC, "terbukti", register=REG, nip=None)  # no NIP, no name written
    case = _only_case([_named(finding(1, REG)), anonymous])
    assert not case.held and case.hold_reason is None
    settled = _only_case([_named(finding(1, REG)), _named(recommendation(2, REC, "terbukti", register=REG))])
    assert not settled.held


def test_a_dispute_on_a_case_that_ended_or_is_not_proven_holds_nothing() -> None:
    not_proven = _only_case(
        [
            _named(finding(1, REG)),
            _named(recommendation(2, REC, "tidak_terbukti", register=REG, nip=None), MISMATCH),
        ]
    )
    assert not not_proven.held
    sanctioned = _only_case(
        [
            _named(finding(1, REG)),
            _named(recommendation(2, REC, "terbukti", register=REG, nip=None), MISMATCH),
            _named(record(3, "idis", number=REC, sanction_code="21", sanction_date="2024-11-20")),
        ]
    )
    assert not sanctioned.held


def test_a_proven_case_whose_only_asn_is_unresolved_is_held_and_names_nobody() -> None:
    unresolved = "identity conflict 9 (unresolved, 0 candidate(s)) is open"
    case = _only_case([_named(recommendation(1, REC, "terbukti", nip=None), unresolved)])
    assert case.draft.nip is None
    assert case.held and case.hold_reason is not None and "unresolved" in case.hold_reason


def test_a_complaint_nobody_forwarded_is_an_aduan() -> None:
    case = _only_case([record(1, "kemenpanrb", complaint_at="2024-10-01T08:00:00+07:00")])
    assert case.status == "aduan"


@st.composite
def disputed_records(draw: st.DrawFn) -> list[SourceRecord]:
    """The determinism property's tangle, where any record may name a person and be disputed, and a
    disputed record has no resolved NIP (identity resolution never uses a disputed one)."""
    marked: list[SourceRecord] = []
    for r in draw(source_records()):
        names = draw(st.booleans()) or r.nip is not None
        disputed = names and draw(st.integers(0, 3)) == 0
        marked.append(
            replace(
                r,
                nip=None if disputed else r.nip,
                names_person=names,
                identity_dispute=f"identity conflict {r.staged_id} (identity, 2 candidate(s)) is open"
                if disputed
                else None,
            )
        )
    return marked


def _disputed(case: GoldenCase) -> bool:
    return any(
        r.identity_dispute is not None
        or (case.draft.nip is not None and r.names_person and r.nip != case.draft.nip)
        for r in case.draft.records
    )


@settings(max_examples=300, deadline=None)
@given(records=disputed_records())
def test_every_proven_open_case_with_a_disputed_record_is_held(records: list[SourceRecord]) -> None:
    result = reconcile(records, SurvivorshipSettings(), as_of=AS_OF)
    for case in result.cases:
        assert bool(identity_disputes(case.draft.records, case.draft.nip)) == _disputed(case)
        # "Proven somewhere": some source's latest result says so (an older one it revised does not).
        latest = latest_by_source(case.draft.records, "verification_result").values()
        proven = any(r.value("verification_result") == "terbukti" for r in latest)
        ended = has_ended(case.fields, AS_OF)
        if _disputed(case) and proven and not ended:
            assert case.held, case.case_key
        if case.held:
            assert case.hold_reason
        # No disputed record carries its NIP into the case's identity.
        assert all(r.nip is None for r in case.draft.records if r.identity_dispute is not None)


@st.composite
def enforcement_cases(draw: st.DrawFn) -> list[EnforcementCase]:
    cases: list[EnforcementCase] = []
    for case_id in range(1, draw(st.integers(1, 8)) + 1):
        held = draw(st.booleans())
        cases.append(
            enforcement_case(
                case_id,
                nip=draw(st.sampled_from((NIP_A, NIP_B, None))),
                verification_result=draw(st.sampled_from(("terbukti", "dibatalkan", "tidak_terbukti", None))),
                recommendation_date=R - timedelta(days=draw(st.integers(0, 90))),
                held=held,
                hold_reason=f"identity conflict {case_id} is open" if held else None,
                sanction_recorded=draw(st.booleans()),
                left_service=draw(st.booleans()),
            )
        )
    return cases


@settings(max_examples=300, deadline=None)
@given(cases=enforcement_cases(), days=st.integers(0, 120))
def test_policy_blocks_a_nip_only_for_a_case_that_is_not_held(
    cases: list[EnforcementCase], days: int
) -> None:
    as_of = date.fromordinal(R.toordinal() + days)
    plan = plan_enforcement(cases, EnforcementSettings(), as_of)
    by_id = {c.case_id: c for c in cases}
    for decision in plan.blocks.values():
        if decision.blocked:
            assert decision.blocking_case_ids
            assert all(not by_id[i].held for i in decision.blocking_case_ids)
    for step in plan.holds:
        assert by_id[step.case_id].hold_reason is not None
        assert str(by_id[step.case_id].hold_reason) in step.reason


@pytest.mark.parametrize(
    ("nip_raw", "name", "names"),
    [
        (None, "Budi Santoso", True),
        ("19800101 200501 1 001", None, True),  # a NIP, even unparsed, points at someone
        ("1.98001012005011e+17", "", True),  # a mangled NIP is still somebody's
        (None, "oknum ASN", False),  # "some civil servant": nobody a steward could look for
        (None, "PNS tidak disebutkan", False),
        (None, "  ", False),
        (None, None, False),
        (None, "Oknum Budi", True),  # a name beside the stand-in word is a name
    ],
)
def test_names_person_tells_a_name_from_a_stand_in(
    nip_raw: str | None, name: str | None, names: bool
) -> None:
    assert names_person(nip_raw, name) is names


def test_recommendation_joins_its_registers_one_unidentified_finding_whose_dispute_holds_it() -> None:
    # The finding wrote a NIP that is disputed (no resolved NIP); the recommendation names M. They are
    # one incident on one register: linked, and held until a steward settles who the finding names.
    disputed = "identity conflict 3 (identity, 2 candidate(s)) is open"
    case = _only_case(
        [
            _named(finding(1, REG, nip=None), disputed),
            _named(recommendation(2, REC, "terbukti", register=REG)),
        ]
    )
    assert [link.rule for link in case.draft.links] == ["register", "register_no"]
    assert case.draft.nip == NIP_A and case.held


def test_complaint_joins_a_case_whose_asn_only_its_recommendation_names() -> None:
    result = reconcile(
        [
            _named(finding(1, REG, nip=None), MISMATCH),
            _named(recommendation(2, REC, "terbukti", register=REG)),
            _named(record(3, "kemenpanrb", complaint_at="2024-09-29T08:00:00+07:00")),
        ],
        SurvivorshipSettings(),
        as_of=AS_OF,
    )
    assert [sorted(r.staged_id for r in c.draft.records) for c in result.cases] == [[1, 2, 3]]


@settings(max_examples=200, deadline=None)
@given(records=source_records(), data=st.data())
def test_steward_corrections_apply_whatever_the_order_records_and_corrections_arrive_in(
    records: list[SourceRecord], data: st.DataObject
) -> None:
    ids = [r.staged_id for r in records]
    overrides = [
        LinkOverride(
            order,
            data.draw(st.sampled_from(("move_record", "split", "merge"))),
            data.draw(st.sampled_from(ids)),
            data.draw(st.sampled_from(ids)),
        )
        for order in range(data.draw(st.integers(0, 4)))
    ]
    ranks = SurvivorshipSettings()
    expected = reconcile(records, ranks, as_of=AS_OF, overrides=overrides)
    shuffled = reconcile(
        data.draw(st.permutations(records)),
        ranks,
        as_of=AS_OF,
        overrides=data.draw(st.permutations(overrides)),
    )
    assert shuffled == expected
    placed = [r.staged_id for case in expected.cases for r in case.draft.records]
    assert len(placed) == len(set(placed))  # every record in one case at most
    if overrides and overrides[-1].kind == "split":
        last = overrides[-1].staged_id
        owner = next((c for c in expected.cases if any(r.staged_id == last for r in c.draft.records)), None)
        if owner is not None:  # the record's group may be a stopped register nothing joined
            assert [r.staged_id for r in owner.draft.records] == [last]


def test_a_sanction_stated_by_a_record_naming_another_asn_is_not_the_cases_until_a_steward_keeps_it() -> None:
    # I'DIS files Siti's sanction (her NIP) under M's recommendation number: it joins M's case, which is
    # held. The sanction may be Siti's, so it is not M's: no sanction field, no version, no
    # "dijatuhi_hukuman" (enforcement and the compliance report read them as the PPK's follow-up).
    records = [
        _named(finding(1, REG)),
        _named(recommendation(2, REC, "terbukti", register=REG)),
        _named(record(3, "idis", nip=NIP_B, number=REC, sanction_code="21", sanction_date="2025-01-10")),
    ]
    case = _only_case(records)
    assert case.held and case.status == "menunggu_tindak_lanjut_ppk"
    assert "sanction_code" not in case.fields and "sanction_date" not in case.fields
    assert [v.code for v in case.sanction_versions] == []
    [named] = case.conflicts
    assert named.kind == "named_other"
    # A steward keeps it in M's case: it is M's sanction after all; the case has ended.
    keep = StewardDecision(named.conflict_key, named.basis_hash, "keep", datetime(2025, 1, 20, tzinfo=UTC))
    kept = reconcile(records, SurvivorshipSettings(), [keep], as_of=AS_OF).cases[0]
    assert not kept.held and kept.status == "dijatuhi_hukuman"
    assert kept.fields["sanction_code"].value == "21" and kept.fields["sanction_code"].staged_id == 3
