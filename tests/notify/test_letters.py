"""Letters from control steps: the pure choice (one per PPK, step and day; skips), the early warning
in the policy, and drafting in the database (numbers, sha256, outbox) on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case
from sbt_sync.db.models.letters import Letter, LetterItem, NotificationOutboxEntry
from sbt_sync.enforce import run_enforcement
from sbt_sync.enforce.model import EnforcementCase
from sbt_sync.enforce.policy import decide_case
from sbt_sync.ingest.registry import registry_row
from sbt_sync.letters.draft import draft_letters
from sbt_sync.letters.model import StepCandidate, mask_nip, plan_letters
from sbt_sync.letters.numbering import format_number, next_seq
from sbt_sync.letters.query import case_letters
from sbt_sync.settings import EnforcementSettings, LetterSettings, NotifySettings, Settings
from tests.conftest import REPO_ROOT
from tests.enforce.rows import add_case, nip
from tests.notify.helpers import add_pics, outbox
from tests.support.registry import registry_item

REPO_TEMPLATES = REPO_ROOT / "sbt_sync" / "letters" / "templates"

EARLY = EnforcementSettings(peringatan_dini_days_before=3)
R = date(2024, 12, 1)
"""Recommendation date of the test cases: deadline 12-11, early warning 12-08, teguran 12-18."""


@pytest.mark.parametrize(
    ("as_of", "policy", "steps", "stage"),
    [
        # The early warning falls 3 days before the deadline while the PPK still has time.
        (date(2024, 12, 8), EARLY, [("peringatan_dini", "2024-12-08")], "menunggu_tindak_lanjut"),
        (date(2024, 12, 10), EARLY, [("peringatan_dini", "2024-12-08")], "menunggu_tindak_lanjut"),
        # Not before its day, nor once the deadline has come (the peringatan says more then).
        (date(2024, 12, 7), EARLY, [], "menunggu_tindak_lanjut"),
        (date(2024, 12, 11), EARLY, [("peringatan", "2024-12-11")], "peringatan"),
        # Off by default: the existing behaviour.
        (date(2024, 12, 9), EnforcementSettings(), [], "menunggu_tindak_lanjut"),
    ],
)
def test_the_policy_gives_an_early_warning_before_the_deadline_only_when_configured(
    as_of: date, policy: EnforcementSettings, steps: list[tuple[str, str]], stage: str
) -> None:
    case = EnforcementCase(1, "K-1", nip(1), "menunggu_tindak_lanjut_ppk", "terbukti", R)
    outcome = decide_case(case, policy, as_of)
    assert [(s.action, s.due_on.isoformat()) for s in outcome.steps] == steps
    assert outcome.stage == stage


def test_an_early_warning_is_not_given_once_the_sanction_is_recorded() -> None:
    case = EnforcementCase(
        1,
        "K-1",
        nip(1),
        "dijatuhi_hukuman",
        "terbukti",
        R,
        sanction_recorded=True,
        sanction_on=date(2024, 12, 5),
    )
    assert decide_case(case, EARLY, date(2024, 12, 9)).steps == ()


def candidate(action_id: int, action: str, instansi: str | None = "A", **changes: object) -> StepCandidate:
    base = StepCandidate(
        action_id=action_id,
        action=action,
        due_on=date(2024, 12, 11),
        case_id=action_id,
        case_key=f"K-{action_id:02d}",
        nip="198001012005011001",
        name="Budi",
        instansi_id=instansi,
        instansi_name=f"Pemerintah Kabupaten {instansi}",
        recommendation_no=f"REK/{action_id}",
        recommendation_date=R,
        deadline=date(2024, 12, 11),
        sanction="Sanksi moral tertutup",
        later_steps=frozenset(),
        ended=False,
    )
    return base.__class__(**{**base.__dict__, **changes})


def test_one_letter_per_ppk_and_step_lists_every_case_and_skips_say_why() -> None:
    day = date(2024, 12, 12)
    plans, skipped = plan_letters(
        [
            candidate(1, "peringatan"),
            candidate(2, "peringatan"),
            candidate(3, "peringatan", instansi="B"),
            candidate(4, "teguran"),
            candidate(5, "peringatan", later_steps=frozenset({"teguran"})),  # the teguran says more
            candidate(6, "peringatan", ended=True),  # sanction recorded meanwhile
            candidate(7, "peringatan", due_on=date(2024, 11, 1)),  # history before the backfill window
            candidate(8, "peringatan_dini", due_on=date(2024, 12, 8)),  # the deadline already passed
            candidate(9, "peringatan", instansi=None),
            candidate(10, "pemblokiran"),  # not a letter: SIASN is told instead
        ],
        letter_day=day,
        policy=EnforcementSettings(),
        letters=LetterSettings(),
    )
    assert [(p.instansi_id, p.step, [c.case_key for c in p.cases]) for p in plans] == [
        ("A", "peringatan", ["K-01", "K-02"]),
        ("A", "teguran", ["K-04"]),
        ("B", "peringatan", ["K-03"]),
    ]
    assert sorted(skipped) == [5, 6, 7, 8, 9]
    assert plans[0].cases[0].nip == "1980**********1001"
    assert plans[0].cases[0].next_step == "Teguran pada 18 Desember 2024."


def test_a_ppk_that_has_todays_letter_gets_new_cases_in_tomorrows() -> None:
    policy, letters = EnforcementSettings(), LetterSettings()
    today, _ = plan_letters(
        [candidate(1, "peringatan")],
        letter_day=date(2024, 12, 12),
        policy=policy,
        letters=letters,
        lettered_today={("A", "peringatan")},
    )
    tomorrow, _ = plan_letters(
        [candidate(1, "peringatan")], letter_day=date(2024, 12, 13), policy=policy, letters=letters
    )
    assert (today, [p.action_ids for p in tomorrow]) == ([], [(1,)])


@pytest.mark.parametrize(
    ("display", "shown"),
    [("full", "198001012005011001"), ("middle", "1980**********1001"), ("last4", "**************1001")],
)
def test_letters_show_nips_as_the_deployment_chooses(display: str, shown: str) -> None:
    assert mask_nip("198001012005011001", display) == shown


def add_people(database: Database, count: int, instansi: str = "Sampang") -> None:
    with database.session() as session:
        rows = [registry_row(registry_item(nip(i), f"ASN NOMOR {i}", instansi)) for i in range(1, count + 1)]
        session.execute(insert(AsnRegistryEntry), rows)
        for i in range(1, count + 1):
            add_case(session, f"CASE-{i:02d}", nip(i), recommended=R + timedelta(days=i % 2))


def enforce_and_draft(database: Database, settings: Settings, day: date) -> dict[str, object]:
    with database.session() as session:
        run_enforcement(session, settings.enforcement, day)
    with database.session() as session:
        return draft_letters(session, settings, day).as_dict()


def test_drafting_numbers_renders_stores_and_queues_each_letter_once(migrated_database: Database) -> None:
    settings = Settings(
        enforcement=EARLY,
        notify=NotifySettings(letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))),
    )
    add_people(migrated_database, 4)
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")

    early = enforce_and_draft(migrated_database, settings, date(2024, 12, 9))
    again = enforce_and_draft(migrated_database, settings, date(2024, 12, 9))
    late = enforce_and_draft(migrated_database, settings, date(2024, 12, 19))

    assert (early["letters"], early["cases"], early["by_step"]) == (1, 4, {"peringatan_dini": 1})
    assert early["numbers"] == ["0001/B-AK.02.02/SD/F/2024"]
    assert (again["letters"], again["skipped"]) == (0, 0)
    # Ten days later every case has had its peringatan and its teguran is due: only the teguran goes
    # (one letter for the PPK), the superseded peringatan is recorded as skipped.
    assert (late["letters"], late["by_step"], late["skipped"]) == (1, {"teguran": 1}, 4)
    assert late["numbers"] == ["0002/B-AK.02.02/SD/F/2024"]
    with migrated_database.session() as session:
        letters = list(session.scalars(select(Letter).order_by(Letter.id)))
        assert all(
            hashlib.sha256(x.pdf).hexdigest() == x.sha256 and x.pdf.startswith(b"%PDF") for x in letters
        )
        items = session.scalar(select(func.count()).select_from(LetterItem))
        assert items == 12  # 4 early warnings, 4 skipped peringatan, 4 teguran
    rows = outbox(migrated_database)
    assert [(r.state, r.recipients) for r in rows] == [("pending", ["pic@sampang.go.id"])] * 2
    assert len({r.message_id for r in rows}) == 2


def test_a_case_shows_its_letters_and_why_a_step_got_none(migrated_database: Database) -> None:
    settings = Settings(enforcement=EARLY)
    add_people(migrated_database, 1)
    enforce_and_draft(migrated_database, settings, date(2024, 12, 9))
    enforce_and_draft(migrated_database, settings, date(2024, 12, 19))
    with migrated_database.session() as session:
        case_id = session.scalar(select(Case.id))
        assert case_id is not None
        shown = case_letters(session, case_id)
    assert [(e["step"], e.get("number"), e.get("mail")) for e in shown] == [
        ("peringatan_dini", "0001/B-AK.02.02/SD/F/2024", "parked"),  # no PIC address yet
        ("peringatan", None, None),
        ("teguran", "0002/B-AK.02.02/SD/F/2024", "parked"),
    ]
    assert shown[1]["skipped"] == "later_step"


def test_reviewed_mode_holds_drafted_letters(migrated_database: Database) -> None:
    settings = Settings(
        enforcement=EARLY,
        notify=NotifySettings(mode="reviewed", letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))),
    )
    add_people(migrated_database, 1)
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    assert enforce_and_draft(migrated_database, settings, date(2024, 12, 12))["queued"] == {"held": 1}
    with migrated_database.session() as session:
        assert session.scalar(select(NotificationOutboxEntry.state)) == "held"


def test_letter_numbers_are_per_year_and_never_reused_under_concurrency(migrated_database: Database) -> None:
    taken: list[int] = []
    lock = threading.Lock()

    def allocate() -> None:
        for _ in range(5):
            with migrated_database.session() as session:
                value = next_seq(session, 2025)
            with lock:
                taken.append(value)

    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with migrated_database.session() as session:
        first_of_2026 = next_seq(session, 2026)
    assert sorted(taken) == list(range(1, 21))
    assert first_of_2026 == 1
    assert (
        format_number("{seq:04d}/B-AK.02.02/SD/F/{year}", 7, date(2025, 3, 1)) == "0007/B-AK.02.02/SD/F/2025"
    )


def test_a_rolled_back_draft_issues_no_number(migrated_database: Database) -> None:
    with pytest.raises(RuntimeError), migrated_database.session() as session:
        next_seq(session, 2025)
        raise RuntimeError("crash before the letter is stored")
    with migrated_database.session() as session:
        assert next_seq(session, 2025) == 1
