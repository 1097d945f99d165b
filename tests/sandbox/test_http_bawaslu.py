"""The bawaslu simulator: API key, page-number paging, updated_since increments, clock gating."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import requests

from sbt_sync.sandbox.runtime import Sandbox
from tests.sandbox.helpers_http import T0, control, data_dir, http, register, sandbox

pytestmark = pytest.mark.integration
__all__ = ["data_dir", "http", "sandbox"]  # fixtures, used by name


def _get(http: requests.Session, sandbox: Sandbox, **params: str | int) -> requests.Response:
    return http.get(
        sandbox.endpoints.bawaslu_url,
        params=params,
        headers={"X-API-Key": sandbox.credentials.bawaslu_api_key},
        timeout=5,
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no key at all
        {"X-API-Key": "not-the-key"},
        {"Authorization": "Bearer something"},  # a key in the wrong header
    ],
)
def test_bawaslu_rejects_missing_or_wrong_api_key(
    http: requests.Session, sandbox: Sandbox, headers: dict[str, str]
) -> None:
    response = http.get(sandbox.endpoints.bawaslu_url, headers=headers, timeout=5)
    assert response.status_code == 401
    assert "X-API-Key" in response.json()["message"]


def test_bawaslu_pages_by_number_through_every_visible_register(
    http: requests.Session, sandbox: Sandbox
) -> None:
    seen: list[str] = []
    page = 1
    while True:
        body = _get(http, sandbox, page=page, page_size=2).json()
        assert body["page"] == {"number": page, "size": 2, "total_items": 5, "total_pages": 3}
        if not body["items"]:
            break
        seen += [item["nomor_register"] for item in body["items"]]
        page += 1
    assert seen == ["REG-001", "REG-002", "REG-003", "REG-004", "REG-005"]
    assert page == 4


def test_bawaslu_updated_since_returns_only_later_versions(http: requests.Session, sandbox: Sandbox) -> None:
    first = _get(http, sandbox).json()
    assert len(first["items"]) == 5
    assert first["server_time"].endswith("+07:00")  # WIB, as bawaslu's own times
    # Nothing new at the same instant.
    assert _get(http, sandbox, updated_since=first["server_time"]).json()["items"] == []
    # REG-003 became available at T0-3h: asking from T0-2.5h gives REG-004 and REG-005 only.
    since = (T0 - timedelta(hours=2, minutes=30)).isoformat()
    assert [i["nomor_register"] for i in _get(http, sandbox, updated_since=since).json()["items"]] == [
        "REG-004",
        "REG-005",
    ]


def test_bawaslu_serves_late_correction_after_clock_advances(
    http: requests.Session, sandbox: Sandbox
) -> None:
    watermark = _get(http, sandbox).json()["server_time"]
    control(sandbox, "POST", "clock", {"advance_days": 1})
    changed = _get(http, sandbox, updated_since=watermark).json()["items"]
    # The correction replaces the earlier version of REG-001; REG-006 (T0+2d) is still in the future.
    assert [(i["nomor_register"], i["status"]) for i in changed] == [("REG-001", "dihentikan")]
    everything = {i["nomor_register"]: i["status"] for i in _get(http, sandbox).json()["items"]}
    assert everything["REG-001"] == "dihentikan"
    assert "REG-006" not in everything
    control(sandbox, "POST", "clock", {"advance_days": 1})
    assert "REG-006" in {i["nomor_register"] for i in _get(http, sandbox).json()["items"]}


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"updated_since": "2024-11-27T08:00:00"}, "no offset"),
        ({"updated_since": "yesterday"}, "not a date"),
        ({"page": 0}, "pages start at 1"),
        ({"page_size": 501}, "page size capped"),
    ],
)
def test_bawaslu_rejects_bad_parameters_with_400(
    http: requests.Session, sandbox: Sandbox, params: dict[str, str | int], reason: str
) -> None:
    assert _get(http, sandbox, **params).status_code == 400, reason


def test_bawaslu_until_pins_a_snapshot_across_pages(http: requests.Session, sandbox: Sandbox) -> None:
    snapshot = _get(http, sandbox, page_size=2).json()["server_time"]
    control(sandbox, "POST", "clock", {"advance_seconds": 1})
    control(sandbox, "POST", "bawaslu/records", {"record": register(100)})
    pinned = _get(http, sandbox, page=3, page_size=2, until=snapshot).json()
    assert [i["nomor_register"] for i in pinned["items"]] == ["REG-005"]
    assert pinned["page"]["total_items"] == 5
    assert _get(http, sandbox, updated_since=snapshot).json()["page"]["total_items"] == 1


def test_sandbox_without_tls_serves_plain_http(data_dir: Path, tmp_path: Path) -> None:
    with (
        Sandbox(data_dir, state_dir=tmp_path / "plain", tls=False, sftp=False) as plain,
        requests.Session() as session,
    ):
        session.trust_env = False
        assert plain.endpoints.ca_bundle is None
        assert plain.endpoints.bawaslu_url.startswith("http://")
        response = session.get(
            plain.endpoints.bawaslu_url, headers={"X-API-Key": plain.credentials.bawaslu_api_key}, timeout=5
        )
        assert response.status_code == 200
