"""A reconciliation or enforcement run started beside the daemon's (``dagster job execute``, ``sbt-sync
reconcile run`` or ``enforce run`` during the cycle) waits for the other to commit instead of inserting
the same conflicts and control actions and failing on their unique keys (PostgreSQL; SQLite serialises
writers already)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest

from sbt_sync.db.engine import Database, lock_product_writes
from sbt_sync.enforce.run import run_enforcement
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT


def _waits_for_the_lock(database: Database, work: Callable[[], object]) -> None:
    """``work`` does not finish while another transaction holds the product-writes lock, and does
    once it commits."""
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    with database.session() as holder:
        lock_product_writes(holder)
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        assert not done.wait(1.5), "it wrote while another run held the lock"
    assert done.wait(60), "it never got the lock after the other run committed"
    assert not errors, errors


@pytest.mark.parametrize("stage", ["reconciliation", "enforcement"])
def test_a_second_writer_waits_for_the_first(migrated_database: Database, stage: str) -> None:
    if migrated_database.dialect != "postgresql":
        pytest.skip("SQLite serialises writers: a second one cannot start a write transaction")
    settings = load_settings(REPO_ROOT / "sbt.yaml")

    def reconcile() -> object:
        return reconcile_database(migrated_database, settings)

    def enforce() -> object:
        with migrated_database.session() as session:
            return run_enforcement(session, settings.enforcement, date(2025, 1, 20))

    _waits_for_the_lock(migrated_database, reconcile if stage == "reconciliation" else enforce)
