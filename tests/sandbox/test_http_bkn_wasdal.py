"""The bkn_wasdal simulator: OAuth2 client credentials, opaque cursor paging and cursor increments."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sbt_sync.sandbox.runtime import Sandbox
from tests.sandbox.helpers_http import control, data_dir, http, recommendation, sandbox, wasdal_token

pytestmark = pytest.mark.integration
__all__ = ["data_dir", "http", "sandbox"]  # fixtures, used by name


def _page(http: requests.Session, sandbox: Sandbox, token: str, **params: str | int) -> dict[str, Any]:
    response = http.get(
        sandbox.endpoints.bkn_wasdal_url,
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_wasdal_token_accepts_client_credentials_in_form_fields(
    http: requests.Session, sandbox: Sandbox
) -> None:
    creds = sandbox.credentials
    response = http.post(
        sandbox.endpoints.bkn_wasdal_token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": creds.bkn_wasdal_client_id,
            "client_secret": creds.bkn_wasdal_client_secret,
        },
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"
    assert response.json()["expires_in"] == 3600


@pytest.mark.parametrize(
    ("auth", "data"),
    [
        (("wrong", "secret"), {"grant_type": "client_credentials"}),
        (None, {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}),
        (None, {"grant_type": "client_credentials"}),
    ],
)
def test_wasdal_token_rejects_wrong_client_with_401(
    http: requests.Session, sandbox: Sandbox, auth: tuple[str, str] | None, data: dict[str, str]
) -> None:
    response = http.post(sandbox.endpoints.bkn_wasdal_token_url, data=data, auth=auth, timeout=5)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer forged"}, {"Authorization": "Basic Zm9vOmJhcg=="}]
)
def test_wasdal_records_reject_missing_or_invalid_token(
    http: requests.Session, sandbox: Sandbox, headers: dict[str, str]
) -> None:
    response = http.get(sandbox.endpoints.bkn_wasdal_url, headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_wasdal_cursor_pages_then_increments_with_only_what_changed(
    http: requests.Session, sandbox: Sandbox
) -> None:
    token = wasdal_token(http, sandbox)
    first = _page(http, sandbox, token, limit=3)
    assert [i["id"] for i in first["items"]] == ["WAS-001", "WAS-002", "WAS-003"]
    assert first["next_cursor"]
    last = _page(http, sandbox, token, limit=3, cursor=first["next_cursor"])
    assert [i["id"] for i in last["items"]] == ["WAS-004"]
    assert last["next_cursor"] is None
    # Nothing changed yet: the sync cursor gives an empty page and stays put.
    idle = _page(http, sandbox, token, cursor=last["sync_cursor"])
    assert idle["items"] == []
    assert idle["sync_cursor"] == last["sync_cursor"]
    # WAS-005 lands a day later, and a correction of WAS-002 is injected: only those two come back.
    control(sandbox, "POST", "clock", {"advance_days": 1, "advance_seconds": 1})
    control(sandbox, "POST", "bkn_wasdal/records", {"record": recommendation(2, hasil="dibatalkan")})
    changed = _page(http, sandbox, token, cursor=last["sync_cursor"])
    assert [(i["id"], i["hasil"]) for i in changed["items"]] == [
        ("WAS-005", "terbukti"),
        ("WAS-002", "dibatalkan"),
    ]


def test_wasdal_rejects_a_cursor_it_did_not_issue(http: requests.Session, sandbox: Sandbox) -> None:
    token = wasdal_token(http, sandbox)
    response = http.get(
        sandbox.endpoints.bkn_wasdal_url,
        params={"cursor": "not-a-cursor"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 400
