"""Acceptance probe (DESIGN.md, "The golden dataset": a registry change marks that ASN's cases for
reconciliation, so an unblock never waits for a source to change), end to end to the SIASN simulator
on both backends. Budi and Siti are blocked; then only the registry changes:

- Budi leaves service, for each kedudukan meaning so (diberhentikan, meninggal, berhenti atas
  permintaan sendiri, pensiun): the next cycle unblocks him;
- SIASN corrects Budi's NIP (same SIASN id, a new ``nipBaru``): the NIP the sources wrote no longer
  identifies anybody, so the next cycle unblocks it (and, his records' name and birth date identifying
  him under the corrected NIP, blocks that one: his case is still overdue), whether the row reached
  the mirror by a per-NIP lookup or a changed-since listing.

Siti stays blocked throughout, and no source record changed.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from connectors.http.paging import Page
from sbt_sync.db.engine import Database
from sbt_sync.enforce import run_enforcement
from sbt_sync.ingest.registry import lookup_registry, refresh_registry
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import Settings
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
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

NIP_A_CORRECTED = "198001012005011009"
"""Budi's NIP as SIASN corrected it (the serial was wrong)."""
LEAVING = {
    "66": "Diberhentikan",
    "77": "Meninggal Dunia",
    "88": "Berhenti Atas Permintaan Sendiri",
    "99": "Pensiun",
}


@pytest.fixture
def siasn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The SIASN simulator (TLS) whose registry knows Budi under both NIPs and Siti; no agency feeds."""
    root = tmp_path_factory.mktemp("audit-registry-siasn")
    for folder in ("http", "sftp"):
        (root / folder).mkdir()
    for source in ("bawaslu", "bkn_wasdal", "idis"):
        (root / "http" / f"{source}.jsonl").write_text("", encoding="utf-8")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["id", "nipBaru", "nama", "tglLahir", "jenisKelamin", "instansiIndukId"])
    writer.writerow([f"{1:032x}", NIP_A, "BUDI SANTOSO", "01-01-1980", "M", "ID-Sampang"])
    writer.writerow([f"{2:032x}", NIP_B, "SITI AMINAH", "02-02-1990", "F", "ID-Sampang"])
    writer.writerow([f"{3:032x}", NIP_A_CORRECTED, "BUDI SANTOSO", "01-01-1980", "M", "ID-Sampang"])
    (root / "registry.csv.gz").write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))
    clock = SandboxClock(T0, frozen=True)
    state = root.parent / f"{root.name}-state"
    with Sandbox(root, state_dir=state, clock=clock, faults=FaultSwitches(seed=5), sftp=False) as box:
        yield box


def _cycle(database: Database, settings: Settings, box: Sandbox, minutes: int) -> None:
    now = T0 + timedelta(minutes=minutes)
    reconcile_database(database, settings, as_of=AS_OF, now=now)
    with database.session() as session:
        run_enforcement(session, UNGUARDED, AS_OF, now=now)
    pusher(database, box).run()
    assert_siasn_matches(database, box)


def _blocked(box: Sandbox) -> set[str]:
    assert box.ledger is not None
    nips = (NIP_A, NIP_A_CORRECTED, NIP_B)
    return {n for n in nips if box.ledger.state(n).status == "DIBLOKIR"}


@pytest.fixture
def both_blocked(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,
) -> Database:
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    _write(database, 3, Spec("recommendation", "b", 1, 1), 1)
    _cycle(database, project_settings, siasn, 0)
    assert _blocked(siasn) == {NIP_A, NIP_B}
    return database


def _lookup(database: Database, *items: dict[str, Any]) -> None:
    by_nip = {item["nipBaru"]: item for item in items}
    lookup_registry(database, by_nip.get, sorted({NIP_A, NIP_B} | set(by_nip)))


def _listing(*items: dict[str, Any]) -> Any:
    def pages(cursor: str | None) -> Iterator[Page]:
        yield Page(list(items), None, 1, True)

    return pages


@pytest.mark.parametrize("code", sorted(LEAVING))
def test_an_asn_leaving_service_is_unblocked_by_the_next_cycle(
    both_blocked: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,
    code: str,
) -> None:
    left = registry_item(NIP_A, "BUDI SANTOSO") | {
        "kedudukanPnsId": code,
        "kedudukanPnsNama": LEAVING[code],
        "updatedAt": "2025-01-19T10:00:00+07:00",
    }
    _lookup(both_blocked, left, registry_item(NIP_B, "SITI AMINAH", back="S.Pd."))
    _cycle(both_blocked, project_settings, siasn, 1)
    assert _blocked(siasn) == {NIP_B}


@pytest.mark.parametrize("how", ["listing", "lookup"])
def test_a_nip_siasn_corrects_is_unblocked_by_the_next_cycle(
    both_blocked: Database,
    project_settings: Settings,  # noqa: F811
    siasn: Sandbox,
    how: str,
) -> None:
    budi = registry_item(NIP_A, "BUDI SANTOSO")
    corrected = registry_item(NIP_A_CORRECTED, "BUDI SANTOSO") | {
        "id": budi["id"],
        "updatedAt": "2025-01-19T10:00:00+07:00",
    }
    siti = registry_item(NIP_B, "SITI AMINAH", back="S.Pd.")
    if how == "listing":
        refresh_registry(both_blocked, _listing(corrected, siti))
    else:
        # SIASN no longer knows the old NIP; the per-NIP lookup of the new one finds Budi's row.
        by_nip = {NIP_A_CORRECTED: corrected, NIP_B: siti}
        lookup_registry(both_blocked, by_nip.get, [NIP_A, NIP_A_CORRECTED, NIP_B])
    _cycle(both_blocked, project_settings, siasn, 1)
    # The old NIP identifies nobody now: unblocked. The records' name and birth date identify Budi
    # under his corrected NIP, and his case is still overdue: the block follows him there.
    assert _blocked(siasn) == {NIP_A_CORRECTED, NIP_B}
