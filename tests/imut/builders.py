"""I-MUT records as the source serves them (the wire format of /work/bench/imut-contract.md), landed
and staged through the same ingestion functions the source's assets call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sbt_sync.db.engine import Database
from sbt_sync.ingest.landing import FetchedRecord, land_batch
from sbt_sync.ingest.staging import StagingResult, stage_pending
from schemas.feeds import FEEDS

NIP_A = "198001012005011001"
NIP_B = "198502152010012003"
INSTANSI = "A5EB03E23C1BF6A0E040640A040252AD"
REGION = "32.73"


def action_id(n: int) -> str:
    return f"{n:032x}"


def payload(n: int, **changes: Any) -> dict[str, Any]:
    """A transfer of an Administrator decided by a regional head on 10 Jun 2024 (inside the Pilkada
    2024 ban window), reported on time, without a Mendagri approval; ``changes`` override fields."""
    record: dict[str, Any] = {
        "id": action_id(n),
        "nipBaru": NIP_A,
        "nama": "Drs. Ahmad Fauzi, M.Si.",
        "jenisTindakan": "mutasi",
        "jabatanLama": "Kepala Bagian Umum",
        "kelasJabatanLama": "administrator",
        "unitKerjaLama": "Sekretariat Daerah",
        "jabatanBaru": "Kepala Bidang Sarana",
        "kelasJabatanBaru": "administrator",
        "unitKerjaBaru": "Dinas Pendidikan",
        "instansiId": INSTANSI,
        "pejabatPenetapNama": "H. Wali Kota",
        "pejabatPenetapPeran": "kepala_daerah",
        "pejabatPenetapWilayah": REGION,
        "pejabatPenetapInstansiId": INSTANSI,
        "nomorSk": f"821/{n}/BKPSDM/2024",
        "tanggalSk": "10-06-2024",
        "tmt": "17-06-2024",
        "alasan": "penyegaran organisasi",
        "persetujuanMendagriNomor": None,
        "persetujuanMendagriTanggal": None,
        "tanggalLaporKemendagri": "12-06-2024",
        "updatedAt": "2024-06-12T09:00:00+07:00",
    }
    record.update(changes)
    return record


def ingest(database: Database, *payloads: dict[str, Any]) -> StagingResult:
    """Land ``payloads`` as one I-MUT batch and stage them, as ``raw/imut`` and ``validated/imut`` do."""
    records = [FetchedRecord(str(p["id"]), p, origin="page 1") for p in payloads]
    with database.session() as session:
        land_batch(session, source="imut", records=records, cursor=None)
    return stage_pending(database, source="imut", feed=FEEDS["imut"])


T0 = datetime(2024, 11, 27, 1, 0, tzinfo=UTC)
