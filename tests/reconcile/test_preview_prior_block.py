"""A correction's preview says when SIASN will not follow an unblock it shows (both backends, over
loopback HTTP against the SIASN simulator).

A Kanreg blocked Budi in SIASN itself before our case blocked him, so our ``blokir`` was answered
"already in that state". A steward then assigns Budi's recommendation to Siti. The preview said
"Budi: akan dibuka blokirnya" like any other unblock, yet the next cycle parks that ``buka`` for a
steward (lifting it would lift the Kanreg's own block) and SIASN keeps Budi blocked: the consequence
the steward confirmed was not what SIASN did. Now the flag change says the unblock waits for a
steward's decision on the push monitor (``waits_for_steward``), in the console's words and the CLI,
and that is what happens; the block for Siti is sent as shown.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models import OutboxEntry, StagedRecord
from sbt_sync.enforce import run_enforcement
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import Settings
from sbt_sync.steward.links import CorrectionRequest, correct_link, preview_correction
from schemas.nip import mask_nip
from tests.console.conftest import PASSWORD
from tests.console.test_link_pages import Desk, _preview_url
from tests.push.conftest import pusher, siasn_client
from tests.push.helpers import UNGUARDED
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    T0,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.reconcile.test_probe_corrections_siasn import _siasn_blocked, siasn  # noqa: F401


def _cycle(database: Database, settings: Settings, box: Sandbox, minutes: int) -> None:
    """Reconcile, enforce and push as a cycle does (SIASN also holds the Kanreg's own block)."""
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=minutes))
    with database.session() as session:
        run_enforcement(session, UNGUARDED, AS_OF, now=T0 + timedelta(minutes=minutes))
    pusher(database, box).run()


def _parked(database: Database) -> list[tuple[str, str]]:
    with database.session() as session:
        rows = session.scalars(select(OutboxEntry).where(OutboxEntry.state == "parked"))
        return [(r.nip, r.action) for r in rows]


pytestmark = pytest.mark.integration


def test_the_preview_says_an_unblock_of_a_block_siasn_held_before_ours_waits_for_a_steward(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,  # noqa: F811
) -> None:
    db = migrated_database
    _reset(db)
    _write(db, 0, Spec("finding", "a", 0, 0), 1)
    _write(db, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(db, 2, Spec("finding", "b", 1, 1), 1)
    siasn_client(siasn).blokir(NIP_A, {"alasan": "Kanreg memblokir atas temuannya sendiri"}, "kanreg-own")
    _cycle(db, project_settings, siasn, 0)
    assert _siasn_blocked(siasn) == {NIP_A}
    with db.session() as session:
        recommendation = session.scalar(select(StagedRecord.id).where(StagedRecord.record_key.like("%-1")))
    assert recommendation is not None

    request = CorrectionRequest("assign_person", recommendation, target_nip=NIP_B)
    preview = preview_correction(db, project_settings, request, as_of=AS_OF)
    flips = {f.nip: (f.blocked_before, f.blocked_after, f.waits_for_steward) for f in preview.flag_changes}
    assert flips == {mask_nip(NIP_A): (True, False, True), mask_nip(NIP_B): (False, True, False)}

    # The console's preview says it in words.
    add_user(db, project_settings, username="steward", password=PASSWORD, role="steward", actor="test")
    desk = Desk(project_settings, db, recommendation - 1, recommendation, recommendation + 1)
    steward = desk.login("steward")
    page = steward.get(_preview_url(desk, steward)).text
    assert "menunggu keputusan steward" in page and "SIASN sudah memblokir NIP ini sebelum" in page
    assert page.count("menunggu keputusan steward") == 1  # Budi's unblock only, not Siti's block

    correct_link(db, request, reason="SK menyebut Siti", actor="ani")
    _cycle(db, project_settings, siasn, 1)
    # What the preview said: Siti blocked; Budi's unblock waits, so SIASN keeps the Kanreg's block.
    assert _siasn_blocked(siasn) == {NIP_A, NIP_B}
    assert _parked(db) == [(NIP_A, "buka")]
