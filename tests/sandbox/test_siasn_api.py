"""The SIASN simulator: two-token auth, registry lookups and listing, idempotent block/unblock."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from sbt_sync.sandbox.runtime import Sandbox
from tests.sandbox.helpers_http import (
    NIP_A,
    NIP_B,
    NIP_UNKNOWN,
    SiasnTokens,
    control,
    data_dir,
    http,
    sandbox,
    siasn_tokens,
)

pytestmark = pytest.mark.integration
__all__ = ["data_dir", "http", "sandbox"]  # fixtures, used by name


@pytest.fixture
def tokens(http: requests.Session, sandbox: Sandbox) -> SiasnTokens:
    return siasn_tokens(http, sandbox)


def _write(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens, action: str, key: str, body: dict[str, Any]
) -> requests.Response:
    return http.post(
        f"{sandbox.endpoints.siasn_base_url}/pemblokiran/{action}",
        json=body,
        headers={**tokens.headers(), "Idempotency-Key": key},
        timeout=5,
    )


BLOCK_A = {
    "nip": NIP_A,
    "alasan": "PPK tidak menindaklanjuti rekomendasi",
    "referensiKasus": ["R-001/KASN/2024"],
}


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda h: h.pop("Authorization"), "900902"),  # gateway token missing
        (lambda h: h.update(Authorization="Bearer forged"), "900901"),  # gateway token unknown
        (lambda h: h.pop("Auth"), 0),  # SSO token missing
        (lambda h: h.update(Auth="bearer forged"), 0),  # SSO token unknown
    ],
)
def test_siasn_rejects_a_call_missing_either_valid_token(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens, mutate: Any, code: object
) -> None:
    headers = tokens.headers()
    mutate(headers)
    response = http.get(
        f"{sandbox.endpoints.siasn_base_url}/pns/data-utama/{NIP_A}", headers=headers, timeout=5
    )
    assert response.status_code == 401
    assert response.json()["code"] == code


def test_siasn_rejects_swapped_tokens(http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens) -> None:
    swapped = {"Authorization": f"Bearer {tokens.sso}", "Auth": f"bearer {tokens.gateway}"}
    response = http.get(f"{sandbox.endpoints.siasn_base_url}/pns/list", headers=swapped, timeout=5)
    assert response.status_code == 401


def test_siasn_token_endpoints_reject_wrong_credentials(http: requests.Session, sandbox: Sandbox) -> None:
    creds = sandbox.credentials
    gateway = http.post(
        sandbox.endpoints.siasn_token_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(b"key:wrong").decode()},
        timeout=5,
    )
    assert (gateway.status_code, gateway.json()["error"]) == (401, "invalid_client")
    sso = http.post(
        sandbox.endpoints.siasn_sso_token_url,
        data={
            "grant_type": "password",
            "client_id": creds.siasn_sso_client_id,
            "username": creds.siasn_username,
            "password": "wrong",
        },
        timeout=5,
    )
    assert (sso.status_code, sso.json()["error"]) == (401, "invalid_grant")


def test_siasn_data_utama_returns_registry_fields_or_not_found(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens
) -> None:
    base = sandbox.endpoints.siasn_base_url
    found = http.get(f"{base}/pns/data-utama/{NIP_B}", headers=tokens.headers(), timeout=5)
    assert found.status_code == 200
    data = found.json()["data"]
    assert (data["nipBaru"], data["nama"], data["tglLahir"], data["jenisKelamin"]) == (
        NIP_B,
        "Siti Aminah",
        "15-03-1992",
        "F",
    )
    assert data["gelarDepan"] is None  # empty CSV cells come back as null
    missing = http.get(f"{base}/pns/data-utama/{NIP_UNKNOWN}", headers=tokens.headers(), timeout=5)
    assert (missing.status_code, missing.json()) == (404, {"code": 0, "data": "Data tidak ditemukan"})


def test_siasn_bulk_listing_pages_by_offset(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens
) -> None:
    url = f"{sandbox.endpoints.siasn_base_url}/pns/list"
    first = http.get(url, params={"offset": 0, "limit": 2}, headers=tokens.headers(), timeout=5).json()
    rest = http.get(url, params={"offset": 2, "limit": 2}, headers=tokens.headers(), timeout=5).json()
    assert (first["total"], first["offset"], first["limit"]) == (3, 0, 2)
    assert [r["nipBaru"] for r in first["data"] + rest["data"]] == [NIP_A, NIP_B, "198507072010121003"]


def test_siasn_block_then_unblock_changes_state_with_references(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens
) -> None:
    blocked = _write(http, sandbox, tokens, "blokir", "key-1", BLOCK_A)
    assert blocked.status_code == 200
    body = blocked.json()
    assert body["success"] is True
    assert body["mapData"]["status"] == "DIBLOKIR"
    assert len(body["mapData"]["referensi"]) == 32
    state = http.get(
        f"{sandbox.endpoints.siasn_base_url}/pemblokiran/{NIP_A}", headers=tokens.headers(), timeout=5
    )
    assert state.json()["data"]["status"] == "DIBLOKIR"
    opened = _write(http, sandbox, tokens, "buka", "key-2", {"nip": NIP_A, "alasan": "Sanksi dijatuhkan"})
    assert opened.json()["mapData"]["status"] == "TIDAK_DIBLOKIR"
    state = http.get(
        f"{sandbox.endpoints.siasn_base_url}/pemblokiran/{NIP_A}", headers=tokens.headers(), timeout=5
    )
    assert state.json()["data"]["status"] == "TIDAK_DIBLOKIR"


def test_siasn_replays_same_key_and_body_without_applying_again(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens
) -> None:
    first = _write(http, sandbox, tokens, "blokir", "key-replay", BLOCK_A)
    again = _write(http, sandbox, tokens, "blokir", "key-replay", BLOCK_A)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    applied = control(sandbox, "GET", "siasn/applied")
    assert applied["keys"]["key-replay"]["applied"] == 1
    assert applied["keys"]["key-replay"]["replays"] == 1
    assert applied["applied_per_nip"][NIP_A] == {"blokir": 1, "buka": 0}


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("blokir", {**BLOCK_A, "alasan": "alasan lain"}),  # same key, other body
        ("buka", BLOCK_A),  # same key and body, other action
    ],
)
def test_siasn_refuses_reused_key_with_another_request(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens, action: str, body: dict[str, Any]
) -> None:
    assert _write(http, sandbox, tokens, "blokir", "key-reuse", BLOCK_A).status_code == 200
    reused = _write(http, sandbox, tokens, action, "key-reuse", body)
    assert reused.status_code == 422
    assert reused.json()["success"] is False
    assert control(sandbox, "GET", "siasn/applied")["keys"]["key-reuse"]["applied"] == 1


def test_siasn_write_without_idempotency_key_is_a_bad_request(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens
) -> None:
    response = http.post(
        f"{sandbox.endpoints.siasn_base_url}/pemblokiran/blokir",
        json=BLOCK_A,
        headers=tokens.headers(),
        timeout=5,
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["message"]


@pytest.mark.parametrize(
    "body",
    [{"nip": "1980", "alasan": "x"}, {"nip": NIP_A}, {"nip": NIP_A, "alasan": "x", "referensiKasus": "R-1"}],
)
def test_siasn_write_with_invalid_body_is_refused_and_not_stored(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens, body: dict[str, Any]
) -> None:
    assert _write(http, sandbox, tokens, "blokir", "key-bad", body).status_code == 400
    # The key was not consumed: a correct request with it goes through.
    assert _write(http, sandbox, tokens, "blokir", "key-bad", BLOCK_A).status_code == 200


def test_siasn_block_of_unknown_nip_is_not_found(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens
) -> None:
    response = _write(http, sandbox, tokens, "blokir", "key-unknown", {**BLOCK_A, "nip": NIP_UNKNOWN})
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_siasn_refuses_every_write_of_a_forbidden_nip_with_403_and_stores_no_key(
    http: requests.Session, sandbox: Sandbox, tokens: SiasnTokens
) -> None:
    control(
        sandbox, "POST", f"siasn/forbidden/{NIP_A}", {"forbidden": True, "message": "Bukan instansi Anda"}
    )
    refused = _write(http, sandbox, tokens, "blokir", "key-forbidden", BLOCK_A)
    assert (refused.status_code, refused.json()["message"]) == (403, "Bukan instansi Anda")
    other = _write(http, sandbox, tokens, "blokir", "key-other", {**BLOCK_A, "nip": NIP_B})
    assert other.status_code == 200  # the account itself is fine
    applied = control(sandbox, "GET", "siasn/applied")
    assert "key-forbidden" not in applied["keys"] and applied["forbidden"] == [NIP_A]
    control(sandbox, "POST", f"siasn/forbidden/{NIP_A}", {"forbidden": False})
    assert _write(http, sandbox, tokens, "blokir", "key-forbidden", BLOCK_A).status_code == 200
