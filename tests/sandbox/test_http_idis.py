"""The I'DIS simulator: SIASN-style two tokens, Link-header paging, updatedSince, dd-mm-yyyy dates."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sbt_sync.sandbox.runtime import Sandbox
from tests.sandbox.helpers_http import control, data_dir, http, sanction, sandbox, siasn_tokens

pytestmark = pytest.mark.integration
__all__ = ["data_dir", "http", "sandbox"]  # fixtures, used by name


def _follow(
    http: requests.Session, url: str, headers: dict[str, str], **params: str | int
) -> list[dict[str, Any]]:
    """Every record reachable from ``url`` by following rel="next" links."""
    records: list[dict[str, Any]] = []
    response = http.get(url, params=params, headers=headers, timeout=5)
    while True:
        assert response.status_code == 200, response.text
        records += response.json()["data"]
        if "next" not in response.links:
            return records
        response = http.get(response.links["next"]["url"], headers=headers, timeout=5)


def test_idis_follows_link_header_pages_and_keeps_ddmmyyyy_dates(
    http: requests.Session, sandbox: Sandbox
) -> None:
    headers = siasn_tokens(http, sandbox, via="idis").headers()
    first = http.get(sandbox.endpoints.idis_url, params={"limit": 2}, headers=headers, timeout=5)
    assert first.headers["X-Total-Count"] == "3"
    assert first.links["next"]["url"].startswith(sandbox.endpoints.idis_url)
    records = _follow(http, sandbox.endpoints.idis_url, headers, limit=2)
    assert [r["nomorSk"] for r in records] == ["800/1/BKPSDM/2024", "800/2/BKPSDM/2024", "800/3/BKPSDM/2024"]
    assert records[0]["tanggalSk"] == "25-11-2024"


def test_idis_accepts_tokens_issued_by_the_siasn_gateway(http: requests.Session, sandbox: Sandbox) -> None:
    headers = siasn_tokens(http, sandbox, via="siasn").headers()
    assert http.get(sandbox.endpoints.idis_url, headers=headers, timeout=5).status_code == 200


def test_idis_updated_since_returns_injected_record_only(http: requests.Session, sandbox: Sandbox) -> None:
    headers = siasn_tokens(http, sandbox, via="idis").headers()
    watermark = http.get(sandbox.endpoints.idis_url, headers=headers, timeout=5).json()["serverTime"]
    control(sandbox, "POST", "clock", {"advance_seconds": 5})
    injected = control(sandbox, "POST", "idis/records", {"record": sanction(99, jenis="21")})
    assert injected["key"] == f"{99:032x}"
    records = _follow(http, sandbox.endpoints.idis_url, headers, updatedSince=watermark)
    assert [r["jenisHukumanId"] for r in records] == ["21"]


@pytest.mark.parametrize("drop", ["Authorization", "Auth"])
def test_idis_requires_both_tokens(http: requests.Session, sandbox: Sandbox, drop: str) -> None:
    headers = siasn_tokens(http, sandbox, via="idis").headers()
    del headers[drop]
    assert http.get(sandbox.endpoints.idis_url, headers=headers, timeout=5).status_code == 401
