"""Fixtures and builders for the HTTP simulator tests: a tiny data directory and a running sandbox.

The data directory is written here, straight from DATA_FORMAT.md, so these tests do not depend on the
generator. The clock is frozen at :data:`T0`; records are placed around it.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.runtime import Sandbox

T0 = datetime(2024, 11, 27, 8, 0, tzinfo=UTC)
WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))

NIP_A = "198001012005011001"
NIP_B = "199203152019032002"
NIP_C = "198507072010121003"
NIP_UNKNOWN = "197001011995031009"

REGISTRY_COLUMNS = [
    "id", "nipBaru", "nama", "gelarDepan", "gelarBelakang", "tglLahir", "jenisKelamin", "jenisPegawai",
    "instansiIndukId", "instansiIndukNama", "kanregId", "kedudukanPnsId", "kedudukanPnsNama",
    "jabatanNama", "updatedAt",
]  # fmt: skip


def _registry_row(nip: str, nama: str, gender: str) -> list[str]:
    birth = f"{nip[6:8]}-{nip[4:6]}-{nip[0:4]}"
    return [
        nip[:16] + "a" * 16, nip, nama, "", "S.Pd.", birth, gender, "PNS",
        "A5EB03E23BFBF6A0E040640A040252AD", "Pemerintah Kota Bandung", "3", "01", "Aktif",
        "Analis Kebijakan", "2024-01-02T03:04:05+07:00",
    ]  # fmt: skip


def register(number: int, *, status: str = "diteruskan", nip: str | None = NIP_A) -> dict[str, Any]:
    """A bawaslu register record (fields from DATA_FORMAT.md)."""
    return {
        "nomor_register": f"REG-{number:03d}",
        "jenis": "temuan",
        "pemilihan": "PILKADA-2024",
        "tanggal_register": "2024-11-20T10:00:00+07:00",
        "tanggal_diteruskan": "2024-11-21T10:00:00+07:00",
        "provinsi": "Jawa Barat",
        "kabupaten_kota": "Kota Bandung",
        "bentuk_pelanggaran": "MEDSOS",
        "uraian": "Mengunggah foto bersama pasangan calon",
        "status": status,
        "updated_at": "2024-11-21T10:00:00+07:00",
        "terlapor": [
            {"nip": nip, "nama": "Budi Santoso", "jabatan": "Camat", "kategori_jabatan": "camat_lurah"}
        ],
    }


def recommendation(number: int, *, hasil: str = "terbukti") -> dict[str, Any]:
    return {
        "id": f"WAS-{number:03d}",
        "nomor_rekomendasi": f"R-{number:03d}/KASN/2024",
        "nomor_register_bawaslu": f"REG-{number:03d}",
        "pemilihan": "PILKADA-2024",
        "nip": NIP_A,
        "nama": "Budi Santoso",
        "instansi_id": "A5EB03E23BFBF6A0E040640A040252AD",
        "tanggal_verifikasi": "2024-11-22T09:00:00+08:00",
        "hasil": hasil,
        "rekomendasi_sanksi": "22",
        "tanggal_rekomendasi": "2024-11-23T09:00:00+08:00",
        "batas_tindak_lanjut": "2024-12-03T09:00:00+08:00",
        "updated_at": "2024-11-23T09:00:00+08:00",
    }


def sanction(number: int, *, jenis: str = "22") -> dict[str, Any]:
    return {
        "id": f"{number:032x}",
        "nipBaru": NIP_B,
        "nama": "Siti Aminah",
        "nomorSk": f"800/{number}/BKPSDM/2024",
        "tanggalSk": "25-11-2024",
        "jenisHukumanId": jenis,
        "jenisHukumanNama": "SANKSI MORAL TERTUTUP",
        "tmtHukuman": "26-11-2024",
        "nomorRekomendasi": f"R-{number:03d}/KASN/2024",
        "instansiId": "A5EB03E23BFBF6A0E040640A040252AD",
        "updatedAt": "2024-11-25T10:00:00+07:00",
    }


def _line(key: str, record: dict[str, Any], available_at: datetime) -> str:
    return json.dumps({"available_at": available_at.isoformat(), "key": key, "record": record})


def write_data_dir(root: Path) -> Path:
    """Write the tiny data directory under ``root`` and return it.

    bawaslu: REG-001..REG-005 available one hour apart from T0-5h; REG-001 corrected at T0+1d;
    REG-006 first available at T0+2d. bkn_wasdal: WAS-001..WAS-004 from T0-4h, WAS-005 at T0+1d.
    idis: three sanctions from T0-3h, a fourth at T0+1d. Registry: NIP_A, NIP_B, NIP_C.
    """
    (root / "http").mkdir(parents=True)
    (root / "sftp").mkdir()
    (root / "sftp" / "deliveries.jsonl").write_text("", encoding="utf-8")
    clock = {"start": T0.isoformat(), "end": (T0 + timedelta(days=3)).isoformat(), "as_of": T0.isoformat()}
    manifest = {"format": 1, "seed": 1, "scale": "small", "generator_version": "test", "clock": clock}
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    bawaslu = [_line(f"REG-{n:03d}", register(n), T0 - timedelta(hours=6 - n)) for n in range(1, 6)]
    bawaslu.append(_line("REG-001", register(1, status="dihentikan"), T0 + timedelta(days=1)))
    bawaslu.append(_line("REG-006", register(6), T0 + timedelta(days=2)))
    wasdal = [
        _line(f"WAS-{n:03d}", recommendation(n), (T0 - timedelta(hours=5 - n)).astimezone(WITA))
        for n in range(1, 5)
    ]
    wasdal.append(_line("WAS-005", recommendation(5), T0 + timedelta(days=1)))
    idis = [
        _line(f"{n:032x}", sanction(n), (T0 - timedelta(hours=4 - n)).astimezone(WIB)) for n in range(1, 4)
    ]
    idis.append(_line(f"{4:032x}", sanction(4), T0 + timedelta(days=1)))
    for name, lines in (("bawaslu", bawaslu), ("bkn_wasdal", wasdal), ("idis", idis)):
        (root / "http" / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(REGISTRY_COLUMNS)
    for nip, nama, gender in (
        (NIP_A, "Budi Santoso", "M"),
        (NIP_B, "Siti Aminah", "F"),
        (NIP_C, "Agus", "M"),
    ):
        writer.writerow(_registry_row(nip, nama, gender))
    (root / "registry.csv.gz").write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))
    return root


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_data_dir(tmp_path / "data")


@pytest.fixture
def sandbox(data_dir: Path, tmp_path: Path) -> Iterator[Sandbox]:
    """A running sandbox over the tiny data (HTTPS, no SFTP), clock frozen at T0."""
    with Sandbox(
        data_dir,
        state_dir=tmp_path / "state",
        clock=SandboxClock(T0, frozen=True),
        faults=FaultSwitches(seed=3),
        sftp=False,
    ) as running:
        yield running


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[requests.Session]:
    """A requests session trusting the sandbox CA."""
    with requests.Session() as session:
        # REQUESTS_CA_BUNDLE in the environment would override session.verify otherwise.
        session.trust_env = False
        session.verify = str(sandbox.endpoints.ca_bundle)
        yield session


@dataclass(frozen=True)
class SiasnTokens:
    gateway: str
    sso: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.gateway}", "Auth": f"bearer {self.sso}"}


def siasn_tokens(session: requests.Session, sandbox: Sandbox, *, via: str = "siasn") -> SiasnTokens:
    """Both SIASN tokens, fetched from the ``via`` simulator's token endpoints."""
    creds, ends = sandbox.credentials, sandbox.endpoints
    token_url, sso_url = {
        "siasn": (ends.siasn_token_url, ends.siasn_sso_token_url),
        "idis": (ends.idis_token_url, ends.idis_sso_token_url),
        "imut": (ends.imut_token_url, ends.imut_sso_token_url),
    }[via]
    gateway = session.post(
        token_url,
        data={"grant_type": "client_credentials"},
        auth=(creds.siasn_consumer_key, creds.siasn_consumer_secret),
        timeout=5,
    )
    sso = session.post(
        sso_url,
        data={
            "grant_type": "password",
            "client_id": creds.siasn_sso_client_id,
            "username": creds.siasn_username,
            "password": creds.siasn_password,
        },
        timeout=5,
    )
    assert gateway.status_code == 200, gateway.text
    assert sso.status_code == 200, sso.text
    return SiasnTokens(gateway.json()["access_token"], sso.json()["access_token"])


def wasdal_token(session: requests.Session, sandbox: Sandbox) -> str:
    creds = sandbox.credentials
    response = session.post(
        sandbox.endpoints.bkn_wasdal_token_url,
        data={"grant_type": "client_credentials"},
        auth=(creds.bkn_wasdal_client_id, creds.bkn_wasdal_client_secret),
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def control(sandbox: Sandbox, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the control server (plain HTTP) and return its JSON, asserting success."""
    with requests.Session() as session:
        session.trust_env = False
        response = session.request(
            method, f"{sandbox.endpoints.control_url}/_sandbox/{path}", json=body, timeout=5
        )
    assert response.status_code in (200, 201), response.text
    return response.json()
