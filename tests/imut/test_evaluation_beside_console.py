"""An I-MUT evaluation, or a steward's decision on a finding from the CLI, while the console writes:
on SQLite each takes the database's write lock before its first read, so a console request arriving
between its reads and its first write waits for it instead of failing the ``golden/imut_findings``
run (or the decision) 'database is locked'. Both writes are kept, on both backends."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import ImutFinding, ImutFindingDecision
from sbt_sync.imut.review import StewardChoice
from sbt_sync.imut.run import evaluate_database
from sbt_sync.imut.steward import decide_finding
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT
from tests.imut.builders import action_id, ingest, payload
from tests.support.console_write import console_writes_meanwhile, recorded_reads

AS_OF = date(2024, 11, 27)


def test_a_console_write_during_an_imut_evaluation_waits_for_it_and_both_are_kept(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1))
    settings = load_settings(REPO_ROOT / "sbt.yaml", env={})

    with console_writes_meanwhile(migrated_database) as request:
        stats = evaluate_database(migrated_database, settings, as_of=AS_OF)

    assert (stats.actions, stats.opened) == (1, 1)
    assert recorded_reads(migrated_database) == 1 and request.recorded is not None
    assert request.waited_for_the_writer == (migrated_database.dialect == "sqlite")
    with migrated_database.session() as session:
        found = {(row.action_id, row.rule) for row in session.scalars(select(ImutFinding))}
    assert found == {(action_id(1), "pasal_71_2")}


def test_a_console_write_during_a_cli_decision_on_a_finding_waits_for_it_and_both_are_kept(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1))
    evaluate_database(migrated_database, load_settings(REPO_ROOT / "sbt.yaml", env={}), as_of=AS_OF)
    with migrated_database.session() as session:
        finding_id = session.scalars(select(ImutFinding.id)).one()

    with console_writes_meanwhile(migrated_database) as request:
        decided = decide_finding(
            migrated_database, finding_id, choice=StewardChoice.CONFIRM, reason="SK checked", actor="siti"
        )

    assert recorded_reads(migrated_database) == 1 and request.recorded is not None
    assert request.waited_for_the_writer == (migrated_database.dialect == "sqlite")
    with migrated_database.session() as session:
        assert session.scalars(select(ImutFindingDecision.id)).all() == [decided]
        finding = session.get(ImutFinding, finding_id)
        assert finding is not None and finding.review == "confirmed"
