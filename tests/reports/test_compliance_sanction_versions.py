"""The compliance report for an earlier day follows the sanction version in force on that day: a
sanction imposed (late) on 10 December and annulled on objection on 12 January counts, in the report
as of 10 January, as the late follow-up it then was, not as the held case it became later; and as
of 20 January as held (the annulment is in force). Through the database on both backends."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.reports.compliance import build_compliance
from sbt_sync.steward.sanctions import revise_sanction
from tests.reconcile.test_sanction_revisions_db import LETTER, _cycle, _sanction, _settings, _world

pytestmark = pytest.mark.integration


def _counts(database: Database, as_of: date) -> dict[str, int]:
    report = build_compliance(database, as_of=as_of, follow_up_days=10, nip_display="last4")
    (row,) = report.rows
    return {k: v for k, v in row.counts.items() if v}


def test_a_report_for_a_day_before_an_annulment_counts_the_sanction_then_in_force(
    migrated_database: Database,
) -> None:
    settings = _settings()
    _world(migrated_database)  # recommended 1 November: deadline 11 November
    _sanction(migrated_database, "idis-0001", "25", "2024-12-10", "800/101/BKPSDM/2024")
    _cycle(migrated_database, settings)
    before = _counts(migrated_database, date(2025, 1, 10))
    assert before == {"received": 1, "late": 1, "followed_up": 1}

    with migrated_database.session() as session:
        case_key = session.scalars(select(Case.case_key)).one()
    revise_sanction(
        migrated_database, case_key, code="annul", letter_no=LETTER, letter_date=date(2025, 1, 12),
        reason="keberatan dikabulkan", actor="ani",
    )  # fmt: skip
    _cycle(migrated_database, settings)

    assert _counts(migrated_database, date(2025, 1, 10)) == before
    assert _counts(migrated_database, date(2025, 1, 20)) == {"received": 1, "held": 1}
