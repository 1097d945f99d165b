"""Fault switches on the HTTP simulators: 5xx, 429 with Retry-After, latency, token expiry, truncation,
and SIASN's "applied, then the connection dropped"."""

from __future__ import annotations

import json
import time

import pytest
import requests

from sbt_sync.sandbox.runtime import Sandbox
from tests.sandbox.helpers_http import NIP_A, control, data_dir, http, sandbox, siasn_tokens, wasdal_token

pytestmark = pytest.mark.integration
__all__ = ["data_dir", "http", "sandbox"]  # fixtures, used by name


def _bawaslu(http: requests.Session, sandbox: Sandbox) -> requests.Response:
    headers = {"X-API-Key": sandbox.credentials.bawaslu_api_key}
    return http.get(sandbox.endpoints.bawaslu_url, headers=headers, timeout=5)


def test_error_5xx_rate_one_answers_server_errors(http: requests.Session, sandbox: Sandbox) -> None:
    control(sandbox, "POST", "faults", {"endpoint": "bawaslu", "error_5xx_rate": 1.0})
    statuses = {_bawaslu(http, sandbox).status_code for _ in range(3)}
    assert statuses == {500, 502, 503}
    control(sandbox, "POST", "faults/reset")
    assert _bawaslu(http, sandbox).status_code == 200


def test_faults_are_per_endpoint(http: requests.Session, sandbox: Sandbox) -> None:
    control(sandbox, "POST", "faults", {"endpoint": "siasn", "error_5xx_rate": 1.0})
    assert _bawaslu(http, sandbox).status_code == 200


def test_siasn_throttle_answers_429_with_wso2_body_and_retry_after(
    http: requests.Session, sandbox: Sandbox
) -> None:
    headers = siasn_tokens(http, sandbox).headers()
    control(sandbox, "POST", "faults", {"endpoint": "siasn", "throttle_rate": 1.0, "retry_after_seconds": 7})
    response = http.get(
        f"{sandbox.endpoints.siasn_base_url}/pns/data-utama/{NIP_A}", headers=headers, timeout=5
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["code"] == "900803"
    assert response.json()["message"] == "Message throttled out"


def test_latency_delays_every_answer(http: requests.Session, sandbox: Sandbox) -> None:
    control(sandbox, "POST", "faults", {"endpoint": "bawaslu", "latency_ms": 300})
    started = time.monotonic()
    assert _bawaslu(http, sandbox).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_truncate_sends_200_with_a_cut_json_body(http: requests.Session, sandbox: Sandbox) -> None:
    control(sandbox, "POST", "faults", {"endpoint": "bawaslu", "truncate_rate": 1.0})
    response = _bawaslu(http, sandbox)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_token_ttl_fault_expires_tokens_already_issued(http: requests.Session, sandbox: Sandbox) -> None:
    token = wasdal_token(http, sandbox)
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get(sandbox.endpoints.bkn_wasdal_url, headers=headers, timeout=5).status_code == 200
    control(sandbox, "POST", "faults", {"endpoint": "bkn_wasdal", "token_ttl_seconds": 1})
    time.sleep(1.1)
    assert http.get(sandbox.endpoints.bkn_wasdal_url, headers=headers, timeout=5).status_code == 401
    # A fresh token says how short its life is.
    assert wasdal_token(http, sandbox) != token


def test_siasn_tokens_expire_under_token_ttl_fault(http: requests.Session, sandbox: Sandbox) -> None:
    control(sandbox, "POST", "faults", {"endpoint": "siasn", "token_ttl_seconds": 1})
    headers = siasn_tokens(http, sandbox).headers()
    url = f"{sandbox.endpoints.siasn_base_url}/pns/data-utama/{NIP_A}"
    assert http.get(url, headers=headers, timeout=5).status_code == 200
    time.sleep(1.1)
    response = http.get(url, headers=headers, timeout=5)
    assert (response.status_code, response.json()["code"]) == (401, "900901")


def test_siasn_drop_after_apply_then_retry_with_same_key_applies_exactly_once(
    http: requests.Session, sandbox: Sandbox
) -> None:
    headers = {**siasn_tokens(http, sandbox).headers(), "Idempotency-Key": "push-0001"}
    url = f"{sandbox.endpoints.siasn_base_url}/pemblokiran/blokir"
    body = {"nip": NIP_A, "alasan": "PPK tidak menindaklanjuti", "nomorReferensi": "R-001/KASN/2024"}
    control(sandbox, "POST", "faults", {"endpoint": "siasn", "drop_after_apply_rate": 1.0})
    with pytest.raises(requests.ConnectionError):
        http.post(url, json=body, headers=headers, timeout=5)
    # The block was applied even though the client never heard back.
    assert control(sandbox, "GET", "siasn/applied")["blocks"][NIP_A]["status"] == "DIBLOKIR"
    retried = http.post(url, json=body, headers=headers, timeout=5)
    assert retried.status_code == 200
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["mapData"]["status"] == "DIBLOKIR"
    applied = control(sandbox, "GET", "siasn/applied")
    assert applied["keys"]["push-0001"]["applied"] == 1
    assert applied["applied_per_nip"][NIP_A]["blokir"] == 1


def test_faults_endpoint_rejects_unknown_switch_or_endpoint(sandbox: Sandbox) -> None:
    url = f"{sandbox.endpoints.control_url}/_sandbox/faults"
    with requests.Session() as session:
        session.trust_env = False
        bad_switch = session.post(url, json={"endpoint": "siasn", "explode": 1}, timeout=5)
        bad_endpoint = session.post(url, json={"endpoint": "kpu", "latency_ms": 1}, timeout=5)
        bad_rate = session.post(url, json={"endpoint": "siasn", "error_5xx_rate": 2}, timeout=5)
    assert [r.status_code for r in (bad_switch, bad_endpoint, bad_rate)] == [400, 400, 400]
