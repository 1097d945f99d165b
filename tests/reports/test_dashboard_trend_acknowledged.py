"""The dashboard's monthly trend counts the blocks SIASN acknowledged, by the WIB month of the
acknowledgement, as the recap's "Diblokir" does: a pemblokiran step the history records but that never
reached SIASN (queued behind the change guard, not pushed, or first seen after its end) is no block."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry
from sbt_sync.enforce import run_enforcement
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import EnforcementSettings
from sbt_sync.states.outbox import OutboxState
from sbt_sync.steward.dashboard import build_dashboard
from tests.enforce.rows import add_case, nip
from tests.push.conftest import pusher
from tests.reconcile.test_probe_corrections_siasn import siasn  # noqa: F401

POLICY = EnforcementSettings()
BLOCK_DAY = date(2024, 12, 25)
"""The rows' cases are recommended on 1 Dec 2024: pemblokiran due 25 Dec."""


def _blocked_by_month(database: Database) -> dict[str, int]:
    trend = build_dashboard(database).trend
    return {month: series["blocked"] for month, series in trend.items() if series.get("blocked")}


def _enforce(database: Database, day: date) -> None:
    with database.session() as session:
        run_enforcement(session, POLICY, day)


def test_a_block_recorded_but_never_sent_is_not_in_the_trend(migrated_database: Database) -> None:
    with migrated_database.session() as session:  # first seen after its block day, sanctioned since
        add_case(session, "CASE-A", nip(1), sanction_date=date(2025, 1, 5))
    _enforce(migrated_database, date(2025, 1, 10))  # records pemblokiran 25 Dec, buka_blokir 5 Jan

    assert _blocked_by_month(migrated_database) == {}


@pytest.mark.integration
def test_the_trend_counts_a_block_in_the_wib_month_siasn_acknowledged_it(
    migrated_database: Database,
    siasn: Sandbox,  # noqa: F811
) -> None:
    database = migrated_database
    with database.session() as session:
        add_case(session, "CASE-A", nip(1))
    _enforce(database, BLOCK_DAY)  # the block is queued, not sent

    assert _blocked_by_month(database) == {}

    pusher(database, siasn).run()
    # Acknowledged on 31 Dec 2024 at 18:00 UTC: 1 January 2025 in WIB.
    with database.session() as session:
        session.execute(
            update(OutboxEntry)
                .where(OutboxEntry.state == OutboxState.ACKED)
                .values(acked_at=datetime(2024, 12, 31, 18, 0, tzinfo=UTC))
        )  # fmt: skip

    assert _blocked_by_month(database) == {"2025-01": 1}
    assert build_dashboard(database).recap.events["TOTAL"].counts["blocked"] == 1
