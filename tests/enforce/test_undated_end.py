"""An end event known without its date (a sanction recorded with no SK date) ends the case as of the run
that learns of it. Nothing that was not sent before then goes out now: no letter to a PPK who has
already acted, and no block with its immediate unblock recorded for a case SIASN never blocked. Steps
already sent stay in the history, and a block an earlier run applied is still lifted. End to end on
both backends: control actions, letters, the SIASN outbox and the recap."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, Case, ControlAction, OutboxEntry
from sbt_sync.db.models.letters import Letter
from sbt_sync.reports.recap import TOTAL, build_recap
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import LetterSettings, NotifySettings, Settings
from tests.notify.helpers import add_pics
from tests.notify.test_letters import REPO_TEMPLATES, add_people, enforce_and_draft
from tests.push.conftest import pusher
from tests.push.helpers import assert_siasn_matches
from tests.reconcile.test_database_property import NIP_A
from tests.reconcile.test_probe_corrections_siasn import _siasn_blocked, siasn  # noqa: F401

pytestmark = pytest.mark.integration

SETTINGS = Settings(notify=NotifySettings(letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))))
"""CASE-01 is recommended on 2 Dec 2024: peringatan 12 Dec, teguran 19 Dec, pemblokiran 26 Dec."""
LATE = date(2025, 1, 10)


def _undated_sanction(database: Database) -> None:
    with database.session() as session:
        session.execute(
            update(Case).values(sanction_imposed="22", sanction_date=None, status="dijatuhi_hukuman")
        )


def _actions(database: Database) -> list[tuple[str, date]]:
    with database.session() as session:
        query = select(ControlAction.action, ControlAction.due_on).order_by(ControlAction.id)
        return [(str(action), due_on) for action, due_on in session.execute(query).tuples()]


def _letters(database: Database) -> list[str]:
    with database.session() as session:
        return [str(step) for step in session.scalars(select(Letter.step).order_by(Letter.id))]


def _pushes(database: Database) -> list[str]:
    with database.session() as session:
        return [str(a) for a in session.scalars(select(OutboxEntry.action).order_by(OutboxEntry.id))]


@pytest.fixture
def one_case(migrated_database: Database) -> Database:
    add_people(migrated_database, 1)
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    return migrated_database


def test_a_case_first_seen_with_an_undated_sanction_after_its_block_day_records_and_sends_nothing(
    one_case: Database,
) -> None:
    _undated_sanction(one_case)

    drafted = enforce_and_draft(one_case, SETTINGS, LATE)

    assert _actions(one_case) == []  # no peringatan, teguran, nor a block and unblock never applied
    assert (drafted["letters"], drafted["skipped"]) == (0, 0)
    assert _pushes(one_case) == []
    assert build_recap(one_case).events[TOTAL].counts["unblocked"] == 0


def test_an_undated_sanction_after_the_peringatan_keeps_it_and_sends_no_later_step(
    one_case: Database,
) -> None:
    first = enforce_and_draft(one_case, SETTINGS, date(2024, 12, 12))
    assert first["by_step"] == {"peringatan": 1}
    _undated_sanction(one_case)

    later = enforce_and_draft(one_case, SETTINGS, LATE)

    assert _actions(one_case) == [("peringatan", date(2024, 12, 12))]
    assert (later["letters"], later["skipped"]) == (0, 0)
    assert _letters(one_case) == ["peringatan"]
    assert _pushes(one_case) == []


def test_an_undated_sanction_after_a_block_still_lifts_it_on_the_run_that_learns_of_it(
    one_case: Database,
    siasn: Sandbox,  # noqa: F811
) -> None:
    enforce_and_draft(one_case, SETTINGS, date(2024, 12, 26))
    pusher(one_case, siasn).run()
    assert _pushes(one_case) == ["blokir"] and _siasn_blocked(siasn) == {NIP_A}
    _undated_sanction(one_case)

    enforce_and_draft(one_case, SETTINGS, LATE)
    pusher(one_case, siasn).run()

    assert _actions(one_case) == [
        ("peringatan", date(2024, 12, 12)),
        ("teguran", date(2024, 12, 19)),
        ("pemblokiran", date(2024, 12, 26)),
        ("buka_blokir", LATE),
    ]
    assert _pushes(one_case) == ["blokir", "buka"]
    assert _siasn_blocked(siasn) == set()
    assert_siasn_matches(one_case, siasn)
    with one_case.session() as session:
        assert session.scalars(select(BlockState.blocked)).all() == [False]
    # Run again a week later: nothing new.
    enforce_and_draft(one_case, SETTINGS, date(2025, 1, 17))
    assert len(_actions(one_case)) == 4 and _pushes(one_case) == ["blokir", "buka"]
