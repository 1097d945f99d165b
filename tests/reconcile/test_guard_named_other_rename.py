"""A steward's "keep" on a record naming another ASN rests on the name the record writes too: when the
source re-sends it with the same NIP under another name, the keep no longer holds; the conflict
reopens saying the record's name changed (in words, never the name), the case is held again and a new
keep lifts the hold (both backends).

I'DIS files Siti's sanction under Budi's number; a steward keeps it in Budi's case. I'DIS then re-sends
it with Siti's NIP under another spelling of her name (it still resolves to Siti, so whom it names, by
NIP, did not change).
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import StagedRecord, StewardDecision
from sbt_sync.settings import Settings
from tests.reconcile.corrections_world import blocked_nips, run_at
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.reconcile.test_named_other_reopen import _budi, _keep, _named_other, _resend, _world

pytestmark = pytest.mark.integration

PERSONAL = (NIP_A, NIP_B, "Siti", "SITI", "Sitti", "Budi", "BUDI")
"""What must not appear in a stored reopen reason or a log line."""


def _assert_no_personal_data(text: str) -> None:
    leaked = [value for value in PERSONAL if value in text]
    assert not leaked, (leaked, text)


def test_a_kept_record_whose_name_alone_changes_reopens_and_holds_the_case_again(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = migrated_database
    sanction_id = _world(database)
    run_at(database, project_settings, 0)
    conflict = _named_other(database, sanction_id)
    _keep(database, conflict.id)
    run_at(database, project_settings, 1)
    assert blocked_nips(database, project_settings) == {NIP_A, NIP_B}

    _resend(database, 2, NIP_B, "Sitti Aminah")  # the same NIP, her name spelt otherwise
    with caplog.at_level(logging.DEBUG):
        run_at(database, project_settings, 2)
    with database.session() as session:
        assert session.get(StagedRecord, sanction_id).resolved_nip == NIP_B  # type: ignore[union-attr]
    reopened = _named_other(database, sanction_id)
    assert (reopened.id, reopened.status) == (conflict.id, "open")
    why = reopened.reopened_reason or ""
    assert why.startswith("the record changed since the steward's decision of "), why
    assert why.endswith(": its name changed"), why
    _assert_no_personal_data(why)
    _assert_no_personal_data(caplog.text)
    assert _budi(database).held and blocked_nips(database, project_settings) == {NIP_B}

    _keep(database, conflict.id)  # the steward looks again: still Budi's case
    run_at(database, project_settings, 3)
    assert _named_other(database, sanction_id).status == "resolved"
    assert blocked_nips(database, project_settings) == {NIP_A, NIP_B}
    with database.session() as session:
        decisions = session.scalars(select(StewardDecision).where(StewardDecision.conflict_id == conflict.id))
        assert [d.decision["value"] for d in decisions] == ["keep", "keep"]
