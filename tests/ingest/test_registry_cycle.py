"""A blocked ASN retires in SIASN's registry; the next full cycle unblocks them in SIASN, though no
source changed (issue 14, "Registry changes reach cases within one cycle").

Everything is real: the sandbox's BKN Wasdal and SIASN simulators over TLS on loopback, the Dagster
full-cycle job (registry refresh, ingestion, reconciliation, enforcement, push, readback), and the
product database on both backends. The retirement is made in the simulator's registry through the
sandbox control server, stamped with the sandbox's clock as SIASN stamps its own changes.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.definitions import FULL_CYCLE_JOB, REGISTRY_REFRESH_JOB, build_definitions
from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.http.control_client import ControlClient
from sbt_sync.sandbox.http.siasn_blocks import BLOCKED, NOT_BLOCKED
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

RETIRES = "198001012005011001"
STAYS = "198203032007011003"
START = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # 09:00 WIB
COLUMNS = [
    "id",
    "nipBaru",
    "nama",
    "gelarDepan",
    "gelarBelakang",
    "tglLahir",
    "jenisKelamin",
    "jenisPegawai",
    "instansiIndukId",
    "instansiIndukNama",
    "kanregId",
    "kedudukanPnsId",
    "kedudukanPnsNama",
    "jabatanNama",
    "updatedAt",
]
WIB = timezone(timedelta(hours=7))
PEOPLE = {RETIRES: "AHMAD FAUZI", STAYS: "BUDI SANTOSO", "198405052009011005": "EKO PRASETYO"}


def _registry(path: Path) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for number, (nip, name) in enumerate(PEOPLE.items(), 1):
        birth = f"{nip[6:8]}-{nip[4:6]}-{nip[0:4]}"
        writer.writerow(
            [
                f"{number:032x}",
                nip,
                name,
                "",
                "S.Sos.",
                birth,
                "M",
                "PNS",
                "ID-SAMPANG",
                "Pemerintah Kabupaten Sampang",
                "II",
                "01",
                "Aktif",
                "Camat",
                "2024-06-01T09:00:00+07:00",
            ]
        )
    path.write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))


def _recommendation(number: int, nip: str) -> dict[str, Any]:
    """A proven case BKN recommended on 2 December 2024: its pemblokiran fell due on 26 December."""
    return {
        "id": f"WAS-{number}",
        "nomor_rekomendasi": f"R-{number}/KP.10/XII/2024",
        "nomor_register_bawaslu": None,
        "pemilihan": "PILKADA-2024",
        "nip": nip,
        "nama": f"{PEOPLE[nip]}, S.Sos.",
        "instansi_id": "ID-SAMPANG",
        "tanggal_verifikasi": "2024-12-01T10:00:00+07:00",
        "hasil": "terbukti",
        "rekomendasi_sanksi": "2",
        "tanggal_rekomendasi": "2024-12-02",
        "batas_tindak_lanjut": "2024-12-12",
        "updated_at": "2024-12-02T10:00:00+07:00",
    }


@dataclass
class Project:
    box: Sandbox
    control: ControlClient
    definitions: dg.Definitions
    database: Database
    changed_since: bool

    def cycle(self) -> dg.ExecuteInProcessResult:
        """One full cycle, enforcement deciding for the sandbox clock's day in Jakarta."""
        day = self.box.clock.now().astimezone(WIB).date().isoformat()
        run_config = {"ops": {"enforcement__block_state": {"config": {"as_of": day}}}}
        job = self.definitions.resolve_job_def(FULL_CYCLE_JOB)
        result = job.execute_in_process(run_config=run_config, raise_on_error=False)
        failures = [e.message for e in result.all_events if e.is_failure]
        assert result.success, failures
        return result

    def blocks(self) -> dict[str, str]:
        """SIASN's block status per NIP, read from the simulator's ledger over HTTP."""
        ledger = self.control.get("/siasn/applied")
        return {nip: state["status"] for nip, state in ledger["blocks"].items()}

    def writes(self) -> list[tuple[str, str]]:
        ledger = self.control.get("/siasn/applied")
        return sorted((key["action"], key["nip"]) for key in ledger["keys"].values())


@pytest.fixture(params=[True, False], ids=["changed-since", "lookup-only"])
def project(
    migrated_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[Project]:
    """A project whose SIASN offers the changed-since listing, or not: then only the per-NIP lookup of
    the ASN who matter now (an open case, a block) brings the retirement within one cycle."""
    data = tmp_path / "data"
    (data / "http").mkdir(parents=True)
    (data / "sftp").mkdir()
    _registry(data / "registry.csv.gz")
    for source in ("bawaslu", "bkn_wasdal", "idis"):
        (data / "http" / f"{source}.jsonl").write_text("", encoding="utf-8")
    clock = SandboxClock(START, frozen=True)
    with Sandbox(
        data, state_dir=tmp_path / "state", clock=clock, faults=FaultSwitches(seed=3), sftp=False
    ) as box:
        base: dict[str, Any] = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
        config = sandbox_config(base, box.endpoints)
        for name, source in config["sources"].items():
            source["enabled"] = name == "bkn_wasdal"  # the one source this case needs
        url = migrated_database.engine.url.render_as_string(hide_password=False)
        config["database"] = {"url": url}
        config["siasn"]["registry_changed_since"] = request.param
        path = tmp_path / "sbt.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        for name, value in sandbox_secrets(config, box.credentials, box.endpoints).items():
            monkeypatch.setenv(name, value)
        definitions = build_definitions(config_path=str(path), database_url=url)
        control = ControlClient(box.endpoints.control_url)
        yield Project(box, control, definitions, migrated_database, changed_since=request.param)


def _metadata(result: dg.ExecuteInProcessResult, key: str) -> dict[str, Any]:
    [materialization] = [
        event.materialization
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey.from_user_string(key)
    ]
    return {name: getattr(value, "value", value) for name, value in materialization.metadata.items()}


def _status(database: Database, nip: str) -> str | None:
    with database.session() as session:
        return session.scalar(select(Case.status).where(Case.nip == nip))


def test_a_blocked_asn_who_retires_is_unblocked_by_the_next_cycle_without_any_source_change(
    project: Project,
) -> None:
    for number, nip in enumerate((RETIRES, STAYS), 1):
        project.control.post("/bkn_wasdal/records", {"record": _recommendation(number, nip)})

    first = project.cycle()
    assert project.blocks() == {RETIRES: BLOCKED, STAYS: BLOCKED}
    assert _status(project.database, RETIRES) == "menunggu_tindak_lanjut_ppk"

    # A week later SIASN records the retirement; no agency sends anything.
    project.box.clock.set(START + timedelta(days=7), frozen=True)
    changed = project.control.post(
        f"/siasn/registry/{RETIRES}",
        {"set": {"kedudukanPnsId": "99", "kedudukanPnsNama": "Pensiun"}},
    )
    assert changed["data"]["updatedAt"] == (START + timedelta(days=7)).isoformat()

    second = project.cycle()

    # The first cycle loaded the empty mirror in full; later cycles read only what changed.
    assert _metadata(first, "reference/asn_registry")["mode"] == "full"
    registry = _metadata(second, "reference/asn_registry")
    assert registry["mode"] == "incremental"
    # The changed-since listing is read only where SIASN offers it; the lookup always.
    assert ("changes" in registry, "lookup" in registry) == (project.changed_since, True)
    assert (registry["changed"], registry["staged_flagged"]) == (1, 1)
    assert registry["case_changes"] == {"kedudukan": 1}
    raw = _metadata(second, "raw/bkn_wasdal")
    assert (raw["new"], raw["changed"]) == (0, 0)  # no source changed ...
    golden = _metadata(second, "golden/cases")
    assert (golden["staged_changed"], golden["cases_recomputed"]) == (1, 1)  # ... yet the case moved
    assert _status(project.database, RETIRES) == "asn_berhenti"
    assert _status(project.database, STAYS) == "menunggu_tindak_lanjut_ppk"
    assert project.blocks() == {RETIRES: NOT_BLOCKED, STAYS: BLOCKED}
    assert project.writes() == [("blokir", RETIRES), ("blokir", STAYS), ("buka", RETIRES)]
    assert _metadata(second, "sync/siasn_readback")["in_sync"] == 2

    # The cycle after that finds nothing new: no flag, nothing recomputed, nothing sent.
    third = project.cycle()
    assert _metadata(third, "reference/asn_registry")["staged_flagged"] == 0
    assert _metadata(third, "golden/cases")["staged_changed"] == 0
    assert project.writes() == [("blokir", RETIRES), ("blokir", STAYS), ("buka", RETIRES)]
    assert first.success and second.success


def test_the_registry_refresh_job_reads_the_whole_registry_on_its_own(project: Project) -> None:
    """The full refresh is its own job (with its own schedule); it re-reads every row, writing only
    what changed."""
    job = project.definitions.resolve_job_def(REGISTRY_REFRESH_JOB)
    first = job.execute_in_process(raise_on_error=False)
    assert first.success
    loaded = _metadata(first, "reference/asn_registry")
    assert (loaded["mode"], loaded["new"], loaded["pass_completed"]) == ("full", len(PEOPLE), True)

    project.box.clock.set(START + timedelta(days=7), frozen=True)
    project.control.post(f"/siasn/registry/{RETIRES}", {"set": {"kedudukanPnsId": "99"}})
    again = _metadata(job.execute_in_process(raise_on_error=False), "reference/asn_registry")
    assert (again["mode"], again["fetched"], again["new"], again["changed"]) == ("full", len(PEOPLE), 0, 1)
