"""Acceptance probe, end to end to SIASN: a sanction I'DIS files under the wrong recommendation number,
a steward's move of it, and a later revision of the sanction, through reconciliation, enforcement, the
pusher and the SIASN simulator (both backends).

Budi and Siti are both blocked in SIASN. Siti's sanction arrives under Budi's recommendation number:
Budi's case is held (the sanction names someone else), so Budi is unblocked and Siti stays blocked; a
steward moves the sanction to Siti's case: SIASN unblocks Siti and blocks Budi again; I'DIS then
revises the sanction's code after an objection: nothing more is sent, SIASN keeps Budi blocked and
Siti unblocked."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import StagedRecord
from sbt_sync.enforce import run_enforcement
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import Settings
from sbt_sync.steward.links import CorrectionRequest, correct_link
from tests.push.conftest import pusher
from tests.push.helpers import UNGUARDED, assert_siasn_matches
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

pytestmark = pytest.mark.integration


@pytest.fixture
def siasn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The SIASN simulator (TLS) whose registry knows Budi and Siti; no agency feeds, no SFTP."""
    root = tmp_path_factory.mktemp("corrections-siasn")
    for folder in ("http", "sftp"):
        (root / folder).mkdir()
    for source in ("bawaslu", "bkn_wasdal", "idis"):
        (root / "http" / f"{source}.jsonl").write_text("", encoding="utf-8")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["id", "nipBaru", "nama", "tglLahir", "jenisKelamin", "instansiIndukId"])
    writer.writerow([f"{1:032x}", NIP_A, "BUDI SANTOSO", "01-01-1980", "M", "ID-Sampang"])
    writer.writerow([f"{2:032x}", NIP_B, "SITI AMINAH", "02-02-1990", "F", "ID-Sampang"])
    (root / "registry.csv.gz").write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))
    clock = SandboxClock(T0, frozen=True)
    state = root.parent / f"{root.name}-state"
    with Sandbox(root, state_dir=state, clock=clock, faults=FaultSwitches(seed=5), sftp=False) as box:
        yield box


def _cycle(database: Database, settings: Settings, box: Sandbox, minutes: int) -> int:
    """Reconcile, enforce and push as a cycle does; the number of changes SIASN acknowledged."""
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=minutes))
    with database.session() as session:
        run_enforcement(session, UNGUARDED, AS_OF, now=T0 + timedelta(minutes=minutes))
    acked = pusher(database, box).run().acked
    assert_siasn_matches(database, box)
    return acked


def _siasn_blocked(box: Sandbox) -> set[str]:
    assert box.ledger is not None
    return {n for n in (NIP_A, NIP_B) if box.ledger.state(n).status == "DIBLOKIR"}


def test_siasn_follows_a_misnumbered_sanction_its_move_and_its_revision(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,
) -> None:
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    _write(database, 3, Spec("recommendation", "b", 1, 1), 1)
    assert _cycle(database, project_settings, siasn, 0) == 2
    assert _siasn_blocked(siasn) == {NIP_A, NIP_B}

    _write(database, 4, Spec("sanction", "b", 0, 0), 1)  # Siti's sanction under Budi's number
    with database.session() as session:
        sanction = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "idis-4")).one()
        sanction.fields = {**sanction.fields, "sanction_date": "2025-01-10"}
        sanction_id = sanction.id
        siti_recommendation = session.scalars(
            select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-3")
        ).one()
    _cycle(database, project_settings, siasn, 1)
    assert _siasn_blocked(siasn) == {NIP_B}  # no block rests on the disputed sanction, nor its lifting

    correct_link(
        database,
        CorrectionRequest("move_record", sanction_id, siti_recommendation),
        reason="the SK names Siti; I'DIS typed Budi's number",
        actor="ani",
    )
    assert _cycle(database, project_settings, siasn, 2) == 2
    assert _siasn_blocked(siasn) == {NIP_A}

    with database.session() as session:  # after Siti's objection the governor lightens the sanction
        row = session.get(StagedRecord, sanction_id)
        assert row is not None
        row.fields = {**row.fields, "sanction_code": "22", "sanction_sk_no": "800/2/2025"}
        row.content_hash, row.needs_reconcile = "revised", True
    assert _cycle(database, project_settings, siasn, 3) == 0
    assert _siasn_blocked(siasn) == {NIP_A}
