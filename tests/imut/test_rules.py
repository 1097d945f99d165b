"""The I-MUT rules at every date boundary, and their properties."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sbt_sync.imut import reasons
from sbt_sync.imut.elections import ElectionCalendar, ElectionEvent
from sbt_sync.imut.model import (
    ActionKind,
    BlockInterval,
    DateWindow,
    DecidingOfficial,
    Disposition,
    Finding,
    MendagriApproval,
    NeutralityCaseRef,
    OfficialRole,
    PersonnelAction,
    Post,
    PostClass,
    Rule,
)
from sbt_sync.imut.reasons import WITHDRAWN_PARAM, render
from sbt_sync.imut.rules import (
    block_breach,
    evaluate,
    late_reporting,
    pasal_71_2,
    pasal_162_3,
    possible_retaliation,
    watch_window,
)
from sbt_sync.imut.staged import personnel_action
from sbt_sync.imut.workdays import WorkingDayCalendar
from sbt_sync.instants import said_date

PILKADA_2024 = ElectionEvent(
    event_id="pilkada-2024",
    event_name="Pilkada serentak 2024",
    region_code="32",
    candidate_determination=date(2024, 9, 22),
    voting=date(2024, 11, 27),
    inauguration=date(2025, 2, 20),
    end_of_term=date(2025, 2, 19),
    source="PKPU 2/2024",
)
BAN_FIRST, BAN_LAST = date(2024, 3, 22), date(2025, 2, 19)
AFTER_FIRST, AFTER_LAST = date(2025, 2, 20), date(2025, 8, 19)
WORKDAYS = WorkingDayCalendar()
GOVERNOR = DecidingOfficial(
    OfficialRole.KEPALA_DAERAH, "Gubernur", region_code="32", heads_instansi_id="PROV-32"
)
SEKDA = DecidingOfficial(OfficialRole.LAINNYA, "Sekda", region_code="32")
ONE_DAY = timedelta(days=1)


def _action(**changes: Any) -> PersonnelAction:
    """A lawful-looking transfer of an Administrator by the governor; ``changes`` override fields."""
    decided = changes.get("decision_date", date(2024, 6, 3))
    base = PersonnelAction(
        action_id="IMUT-1",
        nip="199001012015031001",
        kind=ActionKind.MUTASI,
        instansi_id="PROV-32",
        decided_by=GOVERNOR,
        decision_no="821/Kep.1-BKD/2024",
        decision_date=decided,
        effective_date=decided,
        post_before=Post(PostClass.ADMINISTRATOR, "Kepala Bagian Umum"),
        post_after=Post(PostClass.ADMINISTRATOR, "Kepala Bagian Keuangan"),
        reported_on=decided,
    )
    return dataclasses.replace(base, **changes)


def _approval(day: date) -> MendagriApproval:
    return MendagriApproval("100.2.2.6/1234/OTDA", day)


def _says(finding: Finding) -> tuple[str, str]:
    """The reason in both languages (fails on a missing key or parameter)."""
    return (
        reasons.render(finding.reason_key, finding.reason_params, "id"),
        reasons.render(finding.reason_key, finding.reason_params, "en"),
    )


# --- Pasal 71(2) and 162(3) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decided", "expected"),
    [
        (BAN_FIRST - ONE_DAY, None),  # 21 Mar 2024: the day before the ban
        (BAN_FIRST, "imut.reason.window_no_approval"),  # 22 Mar 2024: its first day
        (BAN_LAST, "imut.reason.window_no_approval"),  # the last day of the outgoing term
        (BAN_LAST + ONE_DAY, None),  # inauguration day: Pasal 162(3) takes over
    ],
)
def test_pasal_71_2_window_boundaries(decided: date, expected: str | None) -> None:
    finding = pasal_71_2(_action(decision_date=decided), PILKADA_2024)
    assert (finding.reason_key if finding else None) == expected
    if finding:
        assert finding.rule is Rule.PASAL_71_2
        assert finding.disposition is Disposition.BREACH
        assert finding.basis_key == "imut.basis.pasal_71_2"
        assert "Article 71(2)" in reasons.text(finding.basis_key)
        assert "22 March 2024" in _says(finding)[1]


@pytest.mark.parametrize(
    ("decided", "expected"),
    [
        (AFTER_FIRST - ONE_DAY, None),  # the outgoing term's last day is Pasal 71(2)'s
        (AFTER_FIRST, "imut.reason.window_no_approval"),  # inauguration day
        (AFTER_LAST, "imut.reason.window_no_approval"),  # 19 Aug 2025: six months counted from 20 Feb
        (AFTER_LAST + ONE_DAY, None),
    ],
)
def test_pasal_162_3_window_boundaries(decided: date, expected: str | None) -> None:
    finding = pasal_162_3(_action(decision_date=decided), PILKADA_2024)
    assert (finding.reason_key if finding else None) == expected
    if finding:
        assert finding.rule is Rule.PASAL_162_3
        assert "Article 162(3)" in reasons.text(finding.basis_key)


@pytest.mark.parametrize(
    ("decided", "effective", "approved", "expected"),
    [
        # Signed ten days before the ban, the replacement takes effect on its first day.
        (BAN_FIRST - 10 * ONE_DAY, BAN_FIRST, None, "imut.reason.window_effective_no_approval"),
        (BAN_FIRST - 10 * ONE_DAY, BAN_LAST, None, "imut.reason.window_effective_no_approval"),
        # An approval after the decision (though before the effective date) still does not count.
        (
            BAN_FIRST - 10 * ONE_DAY,
            BAN_FIRST + ONE_DAY,
            BAN_FIRST - ONE_DAY,
            "imut.reason.window_effective_approval",
        ),
        # Approved before the decision: lawful.
        (BAN_FIRST - 10 * ONE_DAY, BAN_FIRST, BAN_FIRST - 11 * ONE_DAY, None),
        # Signed and effective before the ban: outside it.
        (BAN_FIRST - 10 * ONE_DAY, BAN_FIRST - ONE_DAY, None, None),
    ],
)
def test_a_replacement_decided_before_the_ban_but_taking_effect_within_it_is_flagged(
    decided: date, effective: date, approved: date | None, expected: str | None
) -> None:
    action = _action(
        decision_date=decided,
        effective_date=effective,
        approval=_approval(approved) if approved else None,
    )
    finding = pasal_71_2(action, PILKADA_2024)
    assert (finding.reason_key if finding else None) == expected
    if finding:
        assert finding.disposition is Disposition.BREACH
        assert finding.window == DateWindow(BAN_FIRST, BAN_LAST)
        indonesian, english = _says(finding)
        assert said_date(effective) in indonesian and said_date(decided) in indonesian
        assert said_date(effective, "en") in english
    assert pasal_162_3(action, PILKADA_2024) is None


@pytest.mark.parametrize("rule", [pasal_71_2, pasal_162_3])
@pytest.mark.parametrize(
    ("approved", "expected", "disposition"),
    [
        (-1, None, None),  # dated the day before the decision: lawful
        (0, "imut.reason.window_approval_same_day", Disposition.BREACH),  # same day: not before
        (1, "imut.reason.window_approval_after", Disposition.BREACH),  # after: does not cure, is shown
        (90, "imut.reason.window_approval_after", Disposition.BREACH),
    ],
)
def test_approval_counts_only_if_dated_before_the_decision(
    rule: Any, approved: int, expected: str | None, disposition: Disposition | None
) -> None:
    decided = date(2025, 2, 20) if rule is pasal_162_3 else date(2024, 6, 3)
    approved_on = decided + timedelta(days=approved)
    approval = _approval(approved_on)
    finding = rule(_action(decision_date=decided, approval=approval), PILKADA_2024)
    assert (finding.reason_key if finding else None) == expected
    if finding:
        assert finding.disposition is disposition
        assert finding.evidence["approval_letter_no"] == approval.letter_no
        assert finding.evidence["approval_date"] == approved_on.isoformat()
        assert approval.letter_no in _says(finding)[0]


@pytest.mark.parametrize("rule", [pasal_71_2, pasal_162_3])
@pytest.mark.parametrize("approved", [-10, 0, 3])  # before, the same day, after: none can be verified
def test_an_approval_without_a_letter_number_is_a_breach_that_says_the_date_sent(
    rule: Any, approved: int
) -> None:
    decided = date(2025, 2, 20) if rule is pasal_162_3 else date(2024, 6, 13)
    approved_on = decided + timedelta(days=approved)
    approval = MendagriApproval("", approved_on)
    finding = rule(_action(decision_date=decided, approval=approval), PILKADA_2024)
    assert finding is not None and finding.disposition is Disposition.BREACH
    assert finding.reason_key == "imut.reason.window_approval_unnumbered"
    assert finding.evidence["approval_date"] == approved_on.isoformat()
    indonesian, english = _says(finding)
    assert f"persetujuan Mendagri bertanggal {said_date(approved_on)} tanpa nomor surat" in indonesian
    assert f"dated {said_date(approved_on, 'en')} but has no letter number" in english


@pytest.mark.parametrize("rule", [pasal_71_2, pasal_162_3])
def test_an_approval_without_a_date_is_a_breach_that_says_the_number_sent(rule: Any) -> None:
    decided = date(2025, 2, 20) if rule is pasal_162_3 else date(2024, 6, 13)
    approval = MendagriApproval("100.2.2.6/1234/OTDA", None)
    finding = rule(_action(decision_date=decided, approval=approval), PILKADA_2024)
    assert finding is not None and finding.disposition is Disposition.BREACH
    assert finding.reason_key == "imut.reason.window_approval_undated"
    assert finding.evidence["approval_letter_no"] == approval.letter_no
    assert finding.evidence["approval_date"] == ""
    indonesian, english = _says(finding)
    assert "persetujuan Mendagri 100.2.2.6/1234/OTDA tanpa tanggal" in indonesian
    assert "approval 100.2.2.6/1234/OTDA has no date" in english
    assert "without the Minister of Home Affairs' written approval" not in english


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"approval_no": None, "approval_date": "2024-06-03"}, MendagriApproval("", date(2024, 6, 3))),
        ({"approval_no": " ", "approval_date": "2024-06-03"}, MendagriApproval("", date(2024, 6, 3))),
        # A number without a date reaches the rules too: it does not count, but the finding says so.
        ({"approval_no": "100/1/OTDA", "approval_date": None}, MendagriApproval("100/1/OTDA", None)),
        ({"approval_no": None, "approval_date": None}, None),
    ],
)
def test_a_staged_approval_with_a_date_reaches_the_rules_even_without_a_number(
    fields: dict[str, Any], expected: MendagriApproval | None
) -> None:
    staged = {
        "action": "mutasi",
        "official_role": "kepala_daerah",
        "decision_date": "2024-06-10",
        "effective_date": "2024-06-17",
        **fields,
    }
    assert personnel_action("a1", "198001012005011001", staged).approval == expected


@pytest.mark.parametrize(
    ("before", "after", "covered"),
    [
        (PostClass.JPT_MADYA, PostClass.JPT_MADYA, True),
        (PostClass.JPT_PRATAMA, PostClass.LAINNYA, True),  # removed from a covered post
        (None, PostClass.PENGAWAS, True),  # appointed to a covered post
        (PostClass.FUNGSIONAL_TUGAS_TAMBAHAN, None, True),  # a kepala sekolah replaced
        (PostClass.LAINNYA, PostClass.LAINNYA, False),  # a plain functional or executor post
        (None, None, False),
    ],
)
def test_only_covered_post_classes_count(
    before: PostClass | None, after: PostClass | None, covered: bool
) -> None:
    action = _action(
        post_before=Post(before) if before else None,
        post_after=Post(after) if after else None,
    )
    assert (pasal_71_2(action, PILKADA_2024) is not None) is covered


@pytest.mark.parametrize(
    ("role", "flagged"),
    [
        (OfficialRole.KEPALA_DAERAH, True),
        (OfficialRole.PJ_KEPALA_DAERAH, True),
        (OfficialRole.PLT_KEPALA_DAERAH, True),
        (OfficialRole.PIMPINAN_INSTANSI, False),
        (OfficialRole.LAINNYA, False),
    ],
)
def test_only_regional_heads_are_bound_by_pasal_71_2(role: OfficialRole, flagged: bool) -> None:
    action = _action(decided_by=dataclasses.replace(GOVERNOR, role=role))
    assert (pasal_71_2(action, PILKADA_2024) is not None) is flagged


# --- reporting within 7 working days ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("decided", "seventh", "eighth"),
    [
        # Tue 26 Nov 2024; Wed 27 Nov (voting day) is a national holiday.
        (date(2024, 11, 26), date(2024, 12, 6), date(2024, 12, 9)),
        # Thu 4 Apr 2024; 8, 9, 12, 15 Apr are cuti bersama and 10, 11 Apr Idul Fitri.
        (date(2024, 4, 4), date(2024, 4, 23), date(2024, 4, 24)),
        # Mon 23 Dec 2024; 25 Dec Natal, 26 Dec cuti bersama, 1 Jan 2025 New Year.
        (date(2024, 12, 23), date(2025, 1, 6), date(2025, 1, 7)),
    ],
)
def test_reporting_on_the_7th_working_day_is_on_time_and_on_the_8th_late(
    decided: date, seventh: date, eighth: date
) -> None:
    assert (
        late_reporting(
            _action(decision_date=decided, reported_on=seventh), PILKADA_2024, workdays=WORKDAYS, as_of=eighth
        )
        is None
    )
    late = late_reporting(
        _action(decision_date=decided, reported_on=eighth), PILKADA_2024, workdays=WORKDAYS, as_of=eighth
    )
    assert late is not None
    assert late.reason_key == "imut.reason.reporting_late"
    assert late.reason_params["working_days"] == "8"
    assert late.evidence["deadline"] == seventh.isoformat()
    assert not late.provisional
    assert "working day 8" in _says(late)[1]


def test_unreported_action_is_a_finding_only_after_the_deadline() -> None:
    action = _action(decision_date=date(2024, 11, 26), reported_on=None)
    deadline = date(2024, 12, 6)
    assert late_reporting(action, PILKADA_2024, workdays=WORKDAYS, as_of=deadline) is None
    missing = late_reporting(action, PILKADA_2024, workdays=WORKDAYS, as_of=deadline + ONE_DAY)
    assert missing is not None
    assert missing.reason_key == "imut.reason.reporting_missing"
    assert missing.reason_params["as_of"] == "2024-12-07"


@pytest.mark.parametrize(
    ("decided", "flagged"),
    [
        (BAN_FIRST - ONE_DAY, False),  # before the watch window
        (BAN_FIRST, True),
        (AFTER_LAST, True),  # the watch window runs to the end of the Pasal 162(3) window
        (AFTER_LAST + ONE_DAY, False),
    ],
)
def test_reporting_rule_watches_the_election_window(decided: date, flagged: bool) -> None:
    action = _action(decision_date=decided, reported_on=decided + timedelta(days=30))
    found = late_reporting(action, PILKADA_2024, workdays=WORKDAYS, as_of=decided + timedelta(days=30))
    assert (found is not None) is flagged


def test_reporting_rule_covers_every_post_class_but_only_regional_heads() -> None:
    late = {"decision_date": date(2024, 6, 3), "reported_on": date(2024, 7, 3)}
    plain = _action(post_before=Post(PostClass.LAINNYA), post_after=Post(PostClass.LAINNYA), **late)
    assert late_reporting(plain, PILKADA_2024, workdays=WORKDAYS, as_of=date(2024, 7, 3)) is not None
    by_sekda = _action(decided_by=SEKDA, **late)
    assert late_reporting(by_sekda, PILKADA_2024, workdays=WORKDAYS, as_of=date(2024, 7, 3)) is None


def test_after_inauguration_with_no_end_of_term_only_pasal_162_3_applies() -> None:
    # The calendar knows the inauguration but not the end of the term: the ban ended the day before.
    calendar = ElectionCalendar((dataclasses.replace(PILKADA_2024, end_of_term=None),))
    action = _action(decision_date=date(2025, 3, 10), reported_on=date(2025, 3, 10))
    found = evaluate(
        action, elections=calendar, workdays=WORKDAYS, blocks={}, cases={}, as_of=date(2025, 4, 1)
    )
    assert [f.rule for f in found] == [Rule.PASAL_162_3]


def test_a_minister_demoting_an_asn_in_a_case_is_flagged_against_the_national_event() -> None:
    calendar = ElectionCalendar((dataclasses.replace(PILKADA_2024, region_code="*"),))
    minister = DecidingOfficial(OfficialRole.PIMPINAN_INSTANSI, "Menteri", heads_instansi_id="KEMEN-X")
    action = _action(
        kind=ActionKind.DEMOSI, instansi_id="KEMEN-X", decided_by=minister, decision_date=date(2024, 10, 1)
    )
    cases = {action.nip: [NeutralityCaseRef("BWS-9", date(2024, 9, 1))]}
    found = evaluate(
        action, elections=calendar, workdays=WORKDAYS, blocks={}, cases=cases, as_of=date(2024, 11, 1)
    )
    assert [(f.rule, f.disposition, f.event_id) for f in found] == [
        (Rule.POSSIBLE_RETALIATION, Disposition.INVESTIGATE, "pilkada-2024")
    ]
    # A regional row of the event does not reach an official who governs no region.
    regional = ElectionCalendar((PILKADA_2024,))
    assert (
        evaluate(
            action, elections=regional, workdays=WORKDAYS, blocks={}, cases=cases, as_of=date(2024, 11, 1)
        )
        == ()
    )


def test_late_finding_in_a_year_without_decreed_cuti_bersama_is_provisional() -> None:
    event = dataclasses.replace(
        PILKADA_2024,
        event_id="pilkada-2099",
        candidate_determination=date(2099, 9, 20),
        voting=None,
        inauguration=None,
        end_of_term=None,
    )
    decided = date(2099, 5, 1)
    late = late_reporting(
        _action(decision_date=decided, reported_on=date(2099, 6, 1)),
        event,
        workdays=WORKDAYS,
        as_of=date(2099, 6, 1),
    )
    assert late is not None
    assert late.provisional
    assert late.evidence["unconfirmed_years"] == "2099"
    assert late.reason_params  # renders with the window left open
    assert _says(late)


# --- block breach ----------------------------------------------------------------------------------

BLOCK = BlockInterval(date(2024, 5, 10), date(2024, 7, 1), "pemblokiran SBT-42")


@pytest.mark.parametrize(
    ("effective", "flagged"),
    [
        (date(2024, 5, 9), False),  # the day before the block
        (date(2024, 5, 10), True),  # the day it was set
        (date(2024, 6, 30), True),  # its last day
        (date(2024, 7, 1), False),  # the day it was lifted
    ],
)
def test_block_breach_boundaries(effective: date, flagged: bool) -> None:
    # Decided before the block: only the effective date can fall in it.
    action = _action(kind=ActionKind.PROMOSI, decision_date=date(2024, 5, 1), effective_date=effective)
    found = block_breach(action, [BLOCK])
    assert (found is not None) is flagged
    if found:
        assert found.evidence["block_reference"] == "pemblokiran SBT-42"
        assert _says(found)


@pytest.mark.parametrize(
    ("kind", "disposition"),
    [
        (ActionKind.PROMOSI, Disposition.BREACH),
        (ActionKind.MUTASI, Disposition.BREACH),
        (ActionKind.ROTASI, Disposition.BREACH),
        (ActionKind.PENGANGKATAN, Disposition.BREACH),
        # Any move while blocked is found; a demotion or removal may be the sanction that lifts the
        # block (jenisHukuman 27, 28), so a steward checks it against I'DIS.
        (ActionKind.DEMOSI, Disposition.INVESTIGATE),
        (ActionKind.PEMBERHENTIAN, Disposition.INVESTIGATE),
    ],
)
def test_any_move_while_blocked_is_found(kind: ActionKind, disposition: Disposition) -> None:
    action = _action(kind=kind, effective_date=date(2030, 1, 1))
    found = block_breach(action, [BlockInterval(date(2029, 12, 1))])
    assert found is not None and found.disposition is disposition
    assert all(_says(found))


def test_a_block_lifted_and_placed_again_is_two_blocks_and_the_effective_one_is_cited() -> None:
    first, again = BlockInterval(date(2024, 5, 1), date(2024, 6, 1)), BlockInterval(date(2024, 7, 1))
    signed_in_first = _action(kind=ActionKind.PROMOSI, decision_date=date(2024, 5, 10))
    effective_in_again = dataclasses.replace(signed_in_first, effective_date=date(2024, 7, 5))
    found = block_breach(effective_in_again, [first, again])
    assert found is not None and found.evidence["blocked_on"] == "decision,effective"
    assert found.reason_params["block_start"] == found.evidence["block_start"] == "2024-07-01"
    # Signed and effective between the two blocks: lawful.
    between = _action(kind=ActionKind.PROMOSI, decision_date=date(2024, 6, 10))
    assert block_breach(between, [first, again]) is None
    # Signed in the gap, effective in the block placed again.
    late = dataclasses.replace(between, effective_date=date(2024, 7, 1))
    found = block_breach(late, [first, again])
    assert found is not None and found.evidence["blocked_on"] == "effective"
    assert found.evidence["block_start"] == "2024-07-01"


@pytest.mark.parametrize(
    ("decided", "effective", "blocked_on", "reason_key"),
    [
        # Signed while blocked, TMT backdated to before the block.
        (date(2024, 6, 10), date(2024, 4, 1), "decision", "imut.reason.block_breach_decided"),
        # Signed while blocked, TMT after the unblock.
        (date(2024, 6, 10), date(2024, 7, 15), "decision", "imut.reason.block_breach_decided"),
        # Signed before the block, effective while blocked.
        (date(2024, 5, 1), date(2024, 5, 20), "effective", "imut.reason.block_breach"),
        # Both in the block.
        (date(2024, 5, 20), date(2024, 6, 1), "decision,effective", "imut.reason.block_breach"),
    ],
)
def test_block_breach_when_the_sk_is_signed_or_takes_effect_while_blocked(
    decided: date, effective: date, blocked_on: str, reason_key: str
) -> None:
    action = _action(kind=ActionKind.PROMOSI, decision_date=decided, effective_date=effective)
    found = block_breach(action, [BLOCK])
    assert found is not None
    assert found.evidence["blocked_on"] == blocked_on
    assert found.reason_key == reason_key
    assert all(_says(found))


def test_block_breach_ignores_the_election_calendar() -> None:
    action = _action(kind=ActionKind.PROMOSI, decision_date=date(2020, 1, 6))
    found = evaluate(
        action,
        elections=ElectionCalendar((PILKADA_2024,)),
        workdays=WORKDAYS,
        blocks={action.nip: [BlockInterval(date(2019, 1, 1))]},
        cases={},
        as_of=date(2020, 3, 1),
    )
    assert [f.rule for f in found] == [Rule.BLOCK_BREACH]


# --- possible retaliation --------------------------------------------------------------------------

CASE = NeutralityCaseRef("BWS-2024-0001", date(2024, 5, 1))


@pytest.mark.parametrize(
    ("decided", "flagged"),
    [
        (BAN_FIRST - ONE_DAY, False),
        (BAN_FIRST, False),  # the case is not known yet on 22 Mar
        (CASE.known_since, True),  # decided the day the case became known
        (AFTER_LAST, True),
        (AFTER_LAST + ONE_DAY, False),
    ],
)
def test_possible_retaliation_boundaries(decided: date, flagged: bool) -> None:
    action = _action(kind=ActionKind.DEMOSI, decision_date=decided)
    found = possible_retaliation(action, PILKADA_2024, [CASE])
    assert (found is not None) is flagged
    if found:
        assert found.disposition is Disposition.INVESTIGATE
        assert found.reason_params["case_id"] == CASE.case_id
        assert "investigation" in _says(found)[1]


@pytest.mark.parametrize(
    ("changes", "flagged"),
    [
        ({"kind": ActionKind.PEMBERHENTIAN}, True),
        ({"kind": ActionKind.MUTASI}, True),
        ({"kind": ActionKind.PROMOSI}, False),
        # Decided by someone who does not head the ASN's instansi.
        ({"decided_by": SEKDA}, False),
        ({"instansi_id": "KAB-32.04"}, False),
        # I-MUT left the decider's instansi blank: a regional head heads the government they govern.
        ({"decided_by": dataclasses.replace(GOVERNOR, heads_instansi_id=None)}, True),
        ({"decided_by": dataclasses.replace(SEKDA, heads_instansi_id=None)}, False),
    ],
)
def test_possible_retaliation_needs_an_adverse_move_by_the_instansis_head(
    changes: dict[str, Any], flagged: bool
) -> None:
    action = _action(**({"kind": ActionKind.DEMOSI, "decision_date": date(2024, 6, 3)} | changes))
    assert (possible_retaliation(action, PILKADA_2024, [CASE]) is not None) is flagged


# --- evaluate and the texts ------------------------------------------------------------------------


def test_evaluate_runs_every_rule_for_the_deciders_region() -> None:
    action = _action(
        kind=ActionKind.DEMOSI,
        decision_date=date(2024, 6, 3),
        reported_on=None,
        approval=_approval(date(2024, 6, 10)),
    )
    calendar = ElectionCalendar((PILKADA_2024,))
    found = evaluate(
        action,
        elections=calendar,
        workdays=WORKDAYS,
        blocks={},
        cases={action.nip: [CASE]},
        as_of=date(2024, 7, 1),
    )
    assert {f.rule for f in found} == {Rule.PASAL_71_2, Rule.REPORTING_7_DAYS, Rule.POSSIBLE_RETALIATION}
    elsewhere = _action(decided_by=dataclasses.replace(GOVERNOR, region_code="33"), reported_on=None)
    assert (
        evaluate(
            elsewhere, elections=calendar, workdays=WORKDAYS, blocks={}, cases={}, as_of=date(2025, 1, 1)
        )
        == ()
    )


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_message_key_has_both_languages_and_all_labels(language: reasons.Language) -> None:
    for key, pair in reasons.MESSAGES.items():
        assert all(pair), key
    for kind in ActionKind:
        reasons.text(f"action.{kind.value}", language)
    for post_class in PostClass:
        reasons.text(f"post_class.{post_class.value}", language)
    for role in OfficialRole:
        reasons.text(f"role.{role.value}", language)
    for rule in (Rule.PASAL_71_2, Rule.PASAL_162_3):
        reasons.text(f"imut.basis.{rule.value}", language)


# --- properties ------------------------------------------------------------------------------------

days = st.dates(min_value=date(2023, 9, 1), max_value=date(2026, 6, 30))
offsets = st.one_of(st.none(), st.integers(-60, 60))


@given(decided=days, approval_offset=offsets, kind=st.sampled_from(ActionKind))
def test_window_findings_never_exist_outside_their_windows(
    decided: date, approval_offset: int | None, kind: ActionKind
) -> None:
    approval = None if approval_offset is None else _approval(decided + timedelta(days=approval_offset))
    action = _action(kind=kind, decision_date=decided, approval=approval)
    found = pasal_71_2(action, PILKADA_2024)
    assert (found is not None) == (
        BAN_FIRST <= decided <= BAN_LAST and (approval_offset is None or approval_offset >= 0)
    )
    after = pasal_162_3(action, PILKADA_2024)
    assert after is None or AFTER_FIRST <= decided <= AFTER_LAST
    assert found is None or after is None  # the two windows do not overlap


@given(decided=days, later=st.integers(0, 400))
def test_a_later_approval_never_clears_a_finding(decided: date, later: int) -> None:
    bare = _action(decision_date=decided, approval=None)
    approved_later = _action(decision_date=decided, approval=_approval(decided + timedelta(days=later)))
    for rule in (pasal_71_2, pasal_162_3):
        assert (rule(bare, PILKADA_2024) is None) == (rule(approved_later, PILKADA_2024) is None)


@given(decided=days, delay=st.integers(0, 40), unreported=st.booleans())
def test_reporting_finding_only_in_the_window_and_only_after_the_deadline(
    decided: date, delay: int, unreported: bool
) -> None:
    reported = decided + timedelta(days=delay)
    action = _action(decision_date=decided, reported_on=None if unreported else reported)
    found = late_reporting(action, PILKADA_2024, workdays=WORKDAYS, as_of=reported)
    deadline = WORKDAYS.add_working_days(decided, 7)
    assert (found is not None) == (decided in watch_window(PILKADA_2024) and reported > deadline)


@given(
    decided=days,
    effective=days,
    start=days,
    length=st.one_of(st.none(), st.integers(1, 400)),
    kind=st.sampled_from(ActionKind),
)
def test_block_breach_exactly_when_a_block_covers_the_decision_or_the_effective_date(
    decided: date, effective: date, start: date, length: int | None, kind: ActionKind
) -> None:
    end = None if length is None else start + timedelta(days=length)
    action = _action(kind=kind, decision_date=decided, effective_date=effective)
    found = block_breach(action, [BlockInterval(start, end)])
    on = [
        name
        for name, day in (("decision", decided), ("effective", effective))
        if BlockInterval(start, end).covers(day)
    ]
    assert (found is not None) == bool(on)
    if found is not None:
        adverse = kind in (ActionKind.DEMOSI, ActionKind.PEMBERHENTIAN)
        assert found.disposition is (Disposition.INVESTIGATE if adverse else Disposition.BREACH)
        assert found.evidence["blocked_on"] == ",".join(on)
        assert all(_says(found))


@given(
    decided=days,
    kind=st.sampled_from(ActionKind),
    role=st.sampled_from(OfficialRole),
    approval_offset=offsets,
    report_delay=st.one_of(st.none(), st.integers(0, 30)),
    case_offset=st.integers(-200, 200),
)
def test_no_election_finding_outside_the_watch_window_and_retaliation_is_never_decided(
    decided: date,
    kind: ActionKind,
    role: OfficialRole,
    approval_offset: int | None,
    report_delay: int | None,
    case_offset: int,
) -> None:
    action = _action(
        kind=kind,
        decision_date=decided,
        decided_by=dataclasses.replace(GOVERNOR, role=role),
        approval=None if approval_offset is None else _approval(decided + timedelta(days=approval_offset)),
        reported_on=None if report_delay is None else decided + timedelta(days=report_delay),
    )
    case = NeutralityCaseRef("BWS-1", decided + timedelta(days=case_offset))
    found = evaluate(
        action,
        elections=ElectionCalendar((PILKADA_2024,)),
        workdays=WORKDAYS,
        blocks={},
        cases={action.nip: [case]},
        as_of=decided + timedelta(days=60),
    )
    for finding in found:
        assert decided in watch_window(PILKADA_2024)
        assert finding.window is not None and decided in finding.window
        assert all(_says(finding))
        if finding.rule is Rule.POSSIBLE_RETALIATION:
            assert finding.disposition is Disposition.INVESTIGATE
            assert case_offset <= 0


def test_reason_dates_are_said_in_words_like_the_legal_basis_beside_them() -> None:
    params = {"reported_on": "2024-06-20", "working_days": "9", "decision_date": "2024-06-10"}
    params |= {"deadline": "2024-06-19", WITHDRAWN_PARAM: "2024-07-01"}
    indonesian = reasons.render("imut.reason.reporting_late", params, "id")
    english = reasons.render("imut.reason.reporting_late", params, "en")
    assert "Dilaporkan ke Kemendagri 20 Juni 2024" in indonesian and "batasnya 19 Juni 2024" in indonesian
    assert "10 Juni 2024" in indonesian and "1 Juli 2024" in indonesian
    assert "on 20 June 2024" in english and "1 July 2024" in english
    assert not re.search(r"\d{4}-\d{2}-\d{2}", indonesian + english)


@pytest.mark.parametrize("post_class", ["administrator", "jpt_pratama", "pengawas"])
def test_an_english_reason_names_the_post_class_without_a_wrong_article(post_class: str) -> None:
    """ "Transfer of a Administrator post" was seen on the finding page: the English reason names the
    post class without an article, which no class name then contradicts."""
    params = {
        "action": "mutasi", "post_class": post_class, "decision_date": "2024-06-10", "role": "kepala_daerah",
        "window_first": "2024-03-22", "window_last": "2025-02-19", "event": "Pilkada 2024",
    }  # fmt: skip
    said = render("imut.reason.window_no_approval", params, "en")
    assert " of a " not in said and "post class " in said, said
    assert "{" not in render("imut.reason.window_no_approval", params, "id")
