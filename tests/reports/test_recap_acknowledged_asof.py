"""A recap or compliance report for an earlier day counts the blocks SIASN acknowledged of the changes
decided by that day, not the ones decided since, on both backends: "Diblokir" and "Dibuka blokirnya"
are what SIASN acknowledged, so a report for 24 December does not show the block decided on the 25th,
and one for 9 January still shows the block whose lifting was decided on the 10th. The day a change
was decided for places it (``outbox.decided_on``), not the wall clock when SIASN answered: the
sandbox's clock, like ``--as-of``, decides for other days than today."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, OutboxEntry
from sbt_sync.reports.compliance import build_compliance
from sbt_sync.reports.recap import TOTAL, build_recap
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.states.outbox import OutboxState, PushAction
from tests.enforce.rows import add_case, nip
from tests.push.conftest import pusher
from tests.reconcile.test_probe_corrections_siasn import siasn  # noqa: F401
from tests.reports.test_recap_categories import BLOCK_DAY, _enforce


def _blocked_then_lifted(database: Database, siasn: Sandbox) -> None:  # noqa: F811
    with database.session() as session:
        add_case(session, "CASE-A", nip(1))
    _enforce(database, BLOCK_DAY)
    pusher(database, siasn).run()
    with database.session() as session:  # the PPK imposes the sanction; enforcement lifts the block
        session.execute(
            update(Case).values(
                sanction_imposed="22", sanction_date=date(2025, 1, 5), status="dijatuhi_hukuman"
            )
        )
    _enforce(database, date(2025, 1, 10))
    pusher(database, siasn).run()
    with database.session() as session:
        decided = session.execute(
            select(OutboxEntry.action, OutboxEntry.decided_on).where(OutboxEntry.state == OutboxState.ACKED)
        ).all()
    assert sorted(decided) == [(PushAction.BLOKIR, BLOCK_DAY), (PushAction.BUKA, date(2025, 1, 10))]


def test_a_recap_for_an_earlier_day_counts_the_changes_siasn_acknowledged_decided_by_then(
    migrated_database: Database,
    siasn: Sandbox,  # noqa: F811
) -> None:
    database = migrated_database
    _blocked_then_lifted(database, siasn)

    def counted(day: date | None) -> tuple[int, int, int]:
        row = build_recap(database, as_of=day).events[TOTAL].counts
        return row["blocked"], row["blocked_nips"], row["unblocked"]

    assert counted(date(2024, 12, 24)) == (0, 0, 0)
    assert counted(BLOCK_DAY) == (1, 1, 0)
    assert counted(date(2025, 1, 9)) == (1, 1, 0)
    assert counted(date(2025, 1, 10)) == (0, 0, 1)
    assert counted(None) == (0, 0, 1)  # today


def test_a_compliance_report_for_an_earlier_day_shows_the_block_siasn_still_held_then(
    migrated_database: Database,
    siasn: Sandbox,  # noqa: F811
) -> None:
    database = migrated_database
    _blocked_then_lifted(database, siasn)

    def blocked(day: date) -> set[str]:
        report = build_compliance(database, as_of=day, follow_up_days=10, nip_display="full")
        return {n for row in report.rows for n in row.blocked_nips}

    assert blocked(date(2024, 12, 24)) == set()
    assert blocked(date(2024, 12, 25)) == {nip(1)}
    assert blocked(date(2025, 1, 9)) == {nip(1)}
    assert blocked(date(2025, 1, 10)) == set()


def test_a_recap_for_an_earlier_day_does_not_count_a_case_held_only_since(
    migrated_database: Database,
) -> None:
    """As the compliance report does: held on 23 December, so not held on the 20th."""
    with migrated_database.session() as session:
        add_case(session, "CASE-A", nip(1))
    _enforce(migrated_database, date(2024, 12, 20))
    with migrated_database.session() as session:  # an identity dispute holds the case
        session.execute(update(Case).values(held=True, hold_reason="identity dispute"))
    _enforce(migrated_database, date(2024, 12, 23))

    def held(day: date) -> int:
        return build_recap(migrated_database, as_of=day).events[TOTAL].counts["held"]

    assert (held(date(2024, 12, 20)), held(date(2024, 12, 23)), held(date(2025, 1, 5))) == (0, 1, 1)


def test_a_block_that_still_stands_counts_for_its_cases_now_in_a_report_for_its_day(
    migrated_database: Database,
    siasn: Sandbox,  # noqa: F811
) -> None:
    """The sandbox (and `--as-of`) reports for a day other than today: a block SIASN still holds is
    for the cases block_state names now, though the case's key changed since SIASN was told of it."""
    database = migrated_database
    with database.session() as session:
        add_case(session, "CASE-A", nip(1))
    _enforce(database, BLOCK_DAY)
    pusher(database, siasn).run()
    with database.session() as session:  # reconciliation re-keyed the case (its id, and the block, stay)
        session.execute(update(Case).values(case_key="CASE-A-MERGED"))

    row = build_recap(database, as_of=BLOCK_DAY).events[TOTAL].counts
    assert (row["blocked"], row["blocked_nips"]) == (1, 1)
