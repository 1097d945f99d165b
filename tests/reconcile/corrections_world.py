"""What the steward-correction probes share over the property test's world
(``tests/reconcile/test_database_property.py``): a reconciliation at a given minute after ``T0``, and
the NIPs the enforcement policy blocks as of ``AS_OF``."""

from __future__ import annotations

from datetime import timedelta

from sbt_sync.db.engine import Database
from sbt_sync.enforce.load import load_cases
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from tests.reconcile.test_database_property import AS_OF, T0


def run_at(database: Database, settings: Settings, minutes: int, *, full: bool = False) -> None:
    """Reconcile as of ``AS_OF``, the run's clock ``minutes`` after ``T0``."""
    reconcile_database(database, settings, full=full, as_of=AS_OF, now=T0 + timedelta(minutes=minutes))


def blocked_nips(database: Database, settings: Settings) -> set[str]:
    """The NIPs the enforcement policy blocks as of ``AS_OF``, from the golden cases as stored."""
    with database.session() as session:
        plan = plan_enforcement(load_cases(session), settings.enforcement, AS_OF)
    return {nip for nip, decision in plan.blocks.items() if decision.blocked}
