"""The I-MUT simulator: SIASN two tokens, Link paging, updatedSince, later versions of an action."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets
from tests.sandbox.helpers_http import NIP_A, T0, WIB, control, http, siasn_tokens, write_data_dir

pytestmark = pytest.mark.integration
__all__ = ["http"]  # fixture, used by name


def action(n: int, **changes: Any) -> dict[str, Any]:
    """A transfer decided by a regent inside the Pilkada 2024 ban window, without approval."""
    record: dict[str, Any] = {
        "id": f"{n:032X}",
        "nipBaru": NIP_A,
        "nama": "Budi Santoso",
        "jenisTindakan": "mutasi",
        "jabatanLama": "Kepala Bagian Umum",
        "kelasJabatanLama": "administrator",
        "unitKerjaLama": "Sekretariat Daerah",
        "jabatanBaru": "Sekretaris Dinas",
        "kelasJabatanBaru": "administrator",
        "unitKerjaBaru": "Dinas Pendidikan",
        "instansiId": "A5EB03E23BFBF6A0E040640A040252AD",
        "pejabatPenetapNama": "Bupati Garut",
        "pejabatPenetapPeran": "kepala_daerah",
        "pejabatPenetapWilayah": "32.05",
        "pejabatPenetapInstansiId": "A5EB03E23BFBF6A0E040640A040252AD",
        "nomorSk": f"800.1.3/{n:05d}/BKPSDM/2024",
        "tanggalSk": "10-06-2024",
        "tmt": "17-06-2024",
        "alasan": "Kebutuhan organisasi",
        "persetujuanMendagriNomor": None,
        "persetujuanMendagriTanggal": None,
        "tanggalLaporKemendagri": "12-06-2024",
        "updatedAt": None,
    }
    return record | changes


def _line(record: dict[str, Any], at: datetime) -> str:
    stamped = record | {"updatedAt": at.astimezone(WIB).isoformat()}
    return json.dumps(
        {"available_at": at.astimezone(WIB).isoformat(), "key": record["id"], "record": stamped}
    )


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """The tiny data plus I-MUT: actions 1-3 from T0-3h, a later version of action 1 (its approval,
    dated after the decision) at T0+2h, action 4 at T0+1d. Clock frozen at T0."""
    root = write_data_dir(tmp_path / "data")
    lines = [_line(action(n), T0 - timedelta(hours=4 - n)) for n in range(1, 4)]
    approved = action(
        1, persetujuanMendagriNomor="100.2.2.6/0001/SJ", persetujuanMendagriTanggal="01-07-2024"
    )
    lines += [_line(approved, T0 + timedelta(hours=2)), _line(action(4), T0 + timedelta(days=1))]
    (root / "http" / "imut.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Sandbox(
        root,
        state_dir=tmp_path / "state",
        clock=SandboxClock(T0, frozen=True),
        faults=FaultSwitches(seed=3),
        sftp=False,
    ) as running:
        yield running


def _follow(
    http: requests.Session, url: str, headers: dict[str, str], **params: str | int
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    response = http.get(url, params=params, headers=headers, timeout=5)
    while True:
        assert response.status_code == 200, response.text
        records += response.json()["data"]
        if "next" not in response.links:
            return records
        response = http.get(response.links["next"]["url"], headers=headers, timeout=5)


def test_imut_serves_pages_by_link_header_in_availability_order(
    http: requests.Session, sandbox: Sandbox
) -> None:
    url = sandbox.endpoints.imut_url
    assert url.endswith("/apiimut/1.0/tindakan-kepegawaian")
    headers = siasn_tokens(http, sandbox, via="imut").headers()
    first = http.get(url, params={"limit": 2}, headers=headers, timeout=5)
    assert first.headers["X-Total-Count"] == "3" and first.json()["total"] == 3
    assert len(first.json()["data"]) == 2
    assert first.links["next"]["url"].startswith(url)
    records = _follow(http, url, headers, limit=2)
    assert [r["id"] for r in records] == [f"{n:032X}" for n in (1, 2, 3)]
    assert records[0]["tanggalSk"] == "10-06-2024" and records[0]["persetujuanMendagriTanggal"] is None


@pytest.mark.parametrize("drop", ["Authorization", "Auth"])
def test_imut_refuses_a_request_missing_either_token(
    http: requests.Session, sandbox: Sandbox, drop: str
) -> None:
    headers = siasn_tokens(http, sandbox, via="siasn").headers()  # tokens of any SIASN simulator count
    assert http.get(sandbox.endpoints.imut_url, headers=headers, timeout=5).status_code == 200
    del headers[drop]
    assert http.get(sandbox.endpoints.imut_url, headers=headers, timeout=5).status_code == 401


def test_updated_since_serves_the_later_version_of_an_action_with_a_newer_updated_at(
    http: requests.Session, sandbox: Sandbox
) -> None:
    url = sandbox.endpoints.imut_url
    headers = siasn_tokens(http, sandbox, via="imut").headers()
    before = {r["id"]: r for r in _follow(http, url, headers)}
    watermark = http.get(url, headers=headers, timeout=5).json()["serverTime"]
    control(sandbox, "POST", "clock", {"advance_hours": 3})
    changed = _follow(http, url, headers, updatedSince=watermark)
    assert [r["id"] for r in changed] == [f"{1:032X}"]
    later = changed[0]
    assert later["persetujuanMendagriTanggal"] == "01-07-2024"
    old = before[later["id"]]
    assert datetime.fromisoformat(later["updatedAt"]) > datetime.fromisoformat(old["updatedAt"])
    control(sandbox, "POST", "clock", {"advance_days": 1})
    assert [r["id"] for r in _follow(http, url, headers, updatedSince=watermark)] == [
        f"{1:032X}",
        f"{4:032X}",
    ]


def test_control_injects_an_action_and_faults_reach_the_imut_endpoint(
    http: requests.Session, sandbox: Sandbox
) -> None:
    url = sandbox.endpoints.imut_url
    headers = siasn_tokens(http, sandbox, via="imut").headers()
    injected = control(sandbox, "POST", "imut/records", {"record": action(9)})
    assert injected["key"] == f"{9:032X}"
    assert f"{9:032X}" in {r["id"] for r in _follow(http, url, headers)}
    control(sandbox, "POST", "faults", {"endpoint": "imut", "throttle_rate": 1.0, "retry_after_seconds": 7})
    throttled = http.get(url, headers=headers, timeout=5)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    control(sandbox, "POST", "faults/reset")
    assert http.get(url, headers=headers, timeout=5).status_code == 200


def test_wiring_points_an_imut_source_at_the_simulator_and_its_token_endpoints(sandbox: Sandbox) -> None:
    base = {
        "sources": {
            "imut": {
                "kind": "http",
                "base_url": "https://127.0.0.1:18085",
                "path": "/apiimut/1.0/tindakan-kepegawaian",
                "auth": {
                    "type": "siasn_tokens",
                    "gateway_token_url": "https://127.0.0.1:18084/oauth2/token",
                    "sso_token_url": "https://127.0.0.1:18084/sso",
                    "consumer_key_env": "K",
                    "consumer_secret_env": "S",
                    "username_env": "U",
                    "password_env": "P",
                },
            }
        }
    }
    ends = sandbox.endpoints
    source = sandbox_config(base, ends)["sources"]["imut"]
    assert source["base_url"] + source["path"] == ends.imut_url
    assert (source["auth"]["gateway_token_url"], source["auth"]["sso_token_url"]) == (
        ends.imut_token_url,
        ends.imut_sso_token_url,
    )
    secrets = sandbox_secrets(base, sandbox.credentials, ends)
    assert secrets["U"] == sandbox.credentials.siasn_username
    assert sandbox.describe()["imut"]["url"] == ends.imut_url
