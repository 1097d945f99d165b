"""Two drafters on one day (the daemon's cycle and a ``sbt-sync letters draft`` beside it, or two
Dagster runs): the second waits for the first and finds its letters, so every letter is written once,
numbered once, and neither run fails."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, insert, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, ControlAction
from sbt_sync.db.models.letters import Letter, LetterItem, NotificationOutboxEntry
from sbt_sync.enforce import run_enforcement
from sbt_sync.ingest.registry import registry_row
from sbt_sync.letters.draft import DraftReport, draft_letters
from sbt_sync.settings import LetterSettings, NotifySettings, Settings
from tests.enforce.rows import add_case, nip
from tests.notify.helpers import add_pics
from tests.notify.test_letters import REPO_TEMPLATES
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

SETTINGS = Settings(notify=NotifySettings(letters=LetterSettings(templates_dir=str(REPO_TEMPLATES))))
DAY = date(2024, 12, 12)  # the deadline of a recommendation of 2 December: the peringatan
PPKS = 12


def cases_of_many_ppks(database: Database) -> None:
    """One case at each of :data:`PPKS` instansi, each with a PIC, and their peringatan recorded."""
    with database.session() as session:
        people = [registry_row(registry_item(nip(i + 1), f"ASN {i}", f"Kab {i:02d}")) for i in range(PPKS)]
        session.execute(insert(AsnRegistryEntry), people)
        for i in range(PPKS):
            add_case(session, f"CASE-{i:02d}", nip(i + 1), recommended=date(2024, 12, 2))
    for i in range(PPKS):
        add_pics(database, f"ID-Kab {i:02d}", f"pic{i}@kab.go.id")
    with database.session() as session:
        run_enforcement(session, SETTINGS.enforcement, DAY)


def test_two_drafters_racing_on_one_day_write_each_letter_once_and_neither_fails(
    migrated_database: Database,
) -> None:
    cases_of_many_ppks(migrated_database)
    start = threading.Barrier(2)
    reports: list[DraftReport] = []
    errors: list[BaseException] = []

    def drafter() -> None:
        start.wait()
        try:
            with migrated_database.session() as session:
                reports.append(draft_letters(session, SETTINGS, DAY))
        except BaseException as exc:  # the test reports what a drafter raised
            errors.append(exc)

    threads = [threading.Thread(target=drafter) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(r.letters for r in reports) == [0, PPKS]  # the second found the first's letters
    with migrated_database.session() as session:
        letters = session.execute(select(Letter.number, Letter.part)).all()
        items = session.scalar(select(func.count(LetterItem.id)))
        steps = session.scalar(select(func.count(ControlAction.id)))
        queued = session.scalar(select(func.count(NotificationOutboxEntry.id)))
    assert len(letters) == PPKS == queued == items == steps
    assert {part for _, part in letters} == {1}
    assert sorted(number for number, _ in letters) == [f"{i:04d}/B-AK.02.02/SD/F/2024" for i in range(1, 13)]
