"""The compliance report for an earlier day and holds: a case held only since after that day was not
held then (the PPK owed the follow-up and enforcement escalated it), and since the data keeps no
record of when a hold ended, a report for a day before today says its "held" are today's holds still
in force. On both backends."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.enforce import run_enforcement
from sbt_sync.reports.compliance import build_compliance
from sbt_sync.reports.compliance_render import as_text
from sbt_sync.settings import EnforcementSettings
from tests.enforce.rows import add_case, nip

POLICY = EnforcementSettings()
"""The rows' case is recommended on 1 Dec 2024: deadline 11 Dec, teguran 18 Dec, block 25 Dec."""


def _counts(database: Database, as_of: date) -> dict[str, int]:
    report = build_compliance(database, as_of=as_of, follow_up_days=10, nip_display="middle")
    (row,) = report.rows
    return {k: v for k, v in row.counts.items() if v and k != "received"}


def test_a_case_held_only_since_after_the_report_day_counts_as_not_followed_up_that_day(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:
        add_case(session, "CASE-A", nip(1))
    with migrated_database.session() as session:  # 20 Dec: overdue, peringatan and teguran go out
        run_enforcement(session, POLICY, date(2024, 12, 20))
    with migrated_database.session() as session:  # 23 Dec: an identity dispute holds the case
        session.execute(update(Case).values(held=True, hold_reason="identity dispute"))
        run_enforcement(session, POLICY, date(2024, 12, 23))

    assert _counts(migrated_database, date(2024, 12, 20)) == {"not_followed_up": 1}
    assert _counts(migrated_database, date(2024, 12, 23)) == {"held": 1}


def test_a_report_for_an_earlier_day_says_its_holds_are_todays(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        add_case(session, "CASE-A", nip(1), held=True)

    report = build_compliance(
        migrated_database, as_of=date(2025, 1, 20), follow_up_days=10, nip_display="middle"
    )

    assert "ditahan: tahanan yang masih berlaku saat laporan dibuat" in as_text(report).lower()
    assert "held: holds still in force when the report was made" in as_text(report, lang="en").lower()
