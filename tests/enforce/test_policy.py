"""The enforcement policy over the case lifecycle, table-driven: one row per situation."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from sbt_sync.enforce import EnforcementCase, plan_enforcement
from sbt_sync.settings import MAX_WINDOW_DAYS, EnforcementSettings
from tests.enforce.builders import NIP_A, NIP_B, R, case

DEFAULT = EnforcementSettings()
D = date.fromisoformat

LIFECYCLE = [
    # (id, case, as_of, expected stage, blocking, [(action, due date)])
    ("before the deadline nothing happens", case(), D("2024-12-10"), "menunggu_tindak_lanjut", False, []),
    (
        "peringatan on the deadline day",
        case(),
        D("2024-12-11"),
        "peringatan",
        False,
        [("peringatan", "2024-12-11")],
    ),
    (
        "teguran seven days later",
        case(),
        D("2024-12-18"),
        "teguran",
        False,
        [("peringatan", "2024-12-11"), ("teguran", "2024-12-18")],
    ),
    (
        "pemblokiran seven days after the teguran",
        case(),
        D("2024-12-25"),
        "diblokir",
        True,
        [("peringatan", "2024-12-11"), ("teguran", "2024-12-18"), ("pemblokiran", "2024-12-25")],
    ),
    (
        "sanction before the deadline: nothing, ever",
        case(sanction_recorded=True, sanction_on=D("2024-12-05"), status="dijatuhi_hukuman"),
        D("2025-03-01"),
        "dijatuhi_hukuman",
        False,
        [],
    ),
    (
        "sanction on the teguran day stops the teguran",
        case(sanction_recorded=True, sanction_on=D("2024-12-18")),
        D("2025-03-01"),
        "dijatuhi_hukuman",
        False,
        [("peringatan", "2024-12-11")],
    ),
    (
        "sanction after the block unblocks on its date",
        case(sanction_recorded=True, sanction_on=D("2025-01-05")),
        D("2025-01-20"),
        "dijatuhi_hukuman",
        False,
        [
            ("peringatan", "2024-12-11"),
            ("teguran", "2024-12-18"),
            ("pemblokiran", "2024-12-25"),
            ("buka_blokir", "2025-01-05"),
        ],
    ),
    (
        "a sanction dated after as_of has not happened yet",
        case(sanction_recorded=True, sanction_on=D("2025-02-01")),
        D("2025-01-20"),
        "diblokir",
        True,
        [("peringatan", "2024-12-11"), ("teguran", "2024-12-18"), ("pemblokiran", "2024-12-25")],
    ),
    (
        "annulled after the block: unblock on the annulment date",
        case(
            verification_result="dibatalkan", status="dibatalkan", annulled=True, annulled_on=D("2025-01-02")
        ),
        D("2025-01-20"),
        "dibatalkan",
        False,
        [
            ("peringatan", "2024-12-11"),
            ("teguran", "2024-12-18"),
            ("pemblokiran", "2024-12-25"),
            ("buka_blokir", "2025-01-02"),
        ],
    ),
    (
        "annulled before the deadline: nothing",
        case(verification_result="dibatalkan", annulled=True, annulled_on=D("2024-12-03")),
        D("2025-01-20"),
        "dibatalkan",
        False,
        [],
    ),
    (
        "left service after the block: unblock on that day",
        case(left_service=True, left_service_on=D("2024-12-30"), status="asn_berhenti"),
        D("2025-01-20"),
        "meninggalkan_dinas",
        False,
        [
            ("peringatan", "2024-12-11"),
            ("teguran", "2024-12-18"),
            ("pemblokiran", "2024-12-25"),
            ("buka_blokir", "2024-12-30"),
        ],
    ),
    (
        "leaving service in the future does not stop the block",
        case(left_service=True, left_service_on=D("2025-06-30")),
        D("2025-01-20"),
        "diblokir",
        True,
        [("peringatan", "2024-12-11"), ("teguran", "2024-12-18"), ("pemblokiran", "2024-12-25")],
    ),
    (
        "an end without a date ends the case as of as_of and fires no step it may predate",
        case(sanction_recorded=True, status="dijatuhi_hukuman"),
        D("2025-01-20"),
        "dijatuhi_hukuman",
        False,
        [],
    ),
    (
        "an end without a date lifts a block an earlier run recorded, on as_of",
        case(sanction_recorded=True, status="dijatuhi_hukuman", block_recorded=True),
        D("2025-01-20"),
        "dijatuhi_hukuman",
        False,
        [("buka_blokir", "2025-01-20")],
    ),
    (
        "an undated departure beside a later dated sanction: still no step",
        case(left_service=True, sanction_recorded=True, sanction_on=D("2025-01-05")),
        D("2025-01-20"),
        "dijatuhi_hukuman",
        False,
        [],
    ),
    (
        "held case: only the hold, never blocked",
        case(held=True),
        D("2025-01-20"),
        "ditahan",
        False,
        [("hold", "2025-01-20")],
    ),
    (
        "held but sanctioned: the hold no longer matters, the block ends",
        case(held=True, sanction_recorded=True, sanction_on=D("2025-01-05")),
        D("2025-01-20"),
        "dijatuhi_hukuman",
        False,
        [
            ("peringatan", "2024-12-11"),
            ("teguran", "2024-12-18"),
            ("pemblokiran", "2024-12-25"),
            ("buka_blokir", "2025-01-05"),
        ],
    ),
    (
        "not proven: nothing",
        case(verification_result="tidak_terbukti"),
        D("2025-06-01"),
        "tidak_terbukti",
        False,
        [],
    ),
    ("rejected: nothing", case(verification_result="ditolak"), D("2025-06-01"), "ditolak", False, []),
    (
        "not verified yet: nothing",
        case(verification_result=None, recommendation_date=None, status="menunggu_verifikasi"),
        D("2025-06-01"),
        "menunggu_verifikasi",
        False,
        [],
    ),
    (
        "no recommendation date: the source's deadline is used",
        case(recommendation_date=None, follow_up_deadline=D("2024-12-11")),
        D("2024-12-18"),
        "teguran",
        False,
        [("peringatan", "2024-12-11"), ("teguran", "2024-12-18")],
    ),
]


@pytest.mark.parametrize(
    ("given", "as_of", "stage", "blocking", "steps"),
    [pytest.param(*row[1:], id=row[0]) for row in LIFECYCLE],
)
def test_policy_follows_the_case_lifecycle(
    given: EnforcementCase, as_of: date, stage: str, blocking: bool, steps: list[tuple[str, str]]
) -> None:
    plan = plan_enforcement([given], DEFAULT, as_of)
    (outcome,) = plan.outcomes
    assert outcome.stage == stage
    assert outcome.blocking is blocking
    assert [(s.action, s.due_on.isoformat()) for s in outcome.steps] == steps
    assert plan.blocks[NIP_A].blocked is blocking
    assert all(s.reason for s in outcome.steps)


def test_policy_intervals_come_from_the_settings() -> None:
    policy = EnforcementSettings(
        follow_up_days=14, peringatan_after_days=1, teguran_after_days=3, pemblokiran_after_days=2
    )
    plan = plan_enforcement([case()], policy, D("2025-01-20"))
    assert [(s.action, s.due_on) for s in plan.steps] == [
        ("peringatan", D("2024-12-16")),
        ("teguran", D("2024-12-19")),
        ("pemblokiran", D("2024-12-21")),
    ]


NIPS_TABLE = [
    # (id, cases, blocked?, blocking case ids)
    (
        "one blocking case of two blocks the NIP",
        [case(1), case(2, sanction_recorded=True, sanction_on=R)],
        True,
        (1,),
    ),
    (
        "the NIP stays blocked while any case requires it",
        [case(1), case(2, recommendation_date=D("2024-11-01"))],
        True,
        (1, 2),
    ),
    (
        "a sanction on one case leaves the other's block",
        [case(1, sanction_recorded=True, sanction_on=D("2025-01-05")), case(2)],
        True,
        (2,),
    ),
    (
        "both cases ended: unblocked",
        [
            case(1, sanction_recorded=True, sanction_on=D("2025-01-05")),
            case(2, verification_result="dibatalkan", annulled=True, annulled_on=D("2025-01-06")),
        ],
        False,
        (),
    ),
    ("a held case does not block, the other one does", [case(1, held=True), case(2)], True, (2,)),
    ("only held cases: not blocked", [case(1, held=True), case(2, held=True)], False, ()),
]


@pytest.mark.parametrize(
    ("cases", "blocked", "blocking"), [pytest.param(*row[1:], id=row[0]) for row in NIPS_TABLE]
)
def test_block_state_per_nip_follows_every_case_of_the_asn(
    cases: list[EnforcementCase], blocked: bool, blocking: tuple[int, ...]
) -> None:
    plan = plan_enforcement(cases, DEFAULT, D("2025-01-20"))
    decision = plan.blocks[NIP_A]
    assert decision.blocked is blocked
    assert decision.blocking_case_ids == blocking
    assert decision.case_ids == tuple(sorted(c.case_id for c in cases))


def test_holds_are_reported_and_other_nips_are_independent() -> None:
    plan = plan_enforcement([case(1, held=True), case(2, nip=NIP_B)], DEFAULT, D("2025-01-20"))
    assert [(h.case_key, h.action) for h in plan.holds] == [("CASE-001", "hold")]
    assert plan.blocked_nips == (NIP_B,)
    assert plan.blocks[NIP_A].held_case_ids == (1,) and "held" in plan.blocks[NIP_A].reason


def test_a_case_without_nip_is_escalated_but_flags_no_one() -> None:
    plan = plan_enforcement([case(1, nip=None)], DEFAULT, D("2025-01-20"))
    assert plan.outcomes[0].blocking and "pemblokiran" in {s.action for s in plan.steps}
    assert plan.blocks == {}


def test_plan_does_not_depend_on_input_order() -> None:
    cases = [
        case(
            i,
            nip=NIP_A if i % 2 else NIP_B,
            recommendation_date=D("2024-11-20") + (D("2024-12-02") - D("2024-12-01")) * i,
        )
        for i in range(1, 9)
    ]
    forward = plan_enforcement(cases, DEFAULT, D("2025-01-10"))
    backward = plan_enforcement(list(reversed(cases)), DEFAULT, D("2025-01-10"))
    assert forward == backward


def test_an_early_warning_before_the_recommendation_itself_is_refused_when_the_settings_load() -> None:
    """14 days before a 10-day deadline is 4 days before the recommendation: a PPK cannot be warned
    of a recommendation not issued yet. Up to the window itself (the recommendation's day) is fine."""
    with pytest.raises(ValidationError, match="peringatan_dini_days_before"):
        EnforcementSettings(follow_up_days=10, peringatan_dini_days_before=14)
    policy = EnforcementSettings(follow_up_days=10, peringatan_dini_days_before=10)
    assert [(s.action, s.due_on) for s in plan_enforcement([case()], policy, R).steps] == [
        ("peringatan_dini", R)
    ]


@pytest.mark.parametrize(
    "key", ["follow_up_days", "peringatan_after_days", "teguran_after_days", "pemblokiran_after_days"]
)
def test_a_window_too_long_for_a_date_is_refused_when_the_settings_load(key: str) -> None:
    """Windows adding up to more days than a date holds made every enforcement run, letter draft and
    compliance report fail with OverflowError; ``sbt.yaml`` now refuses a window over ten years,
    naming the key, and the longest one allowed still plans."""
    with pytest.raises(ValidationError, match=key):
        EnforcementSettings(**{key: 3_000_000})
    longest = EnforcementSettings(**{key: MAX_WINDOW_DAYS})
    assert plan_enforcement([case()], longest, R).outcomes
