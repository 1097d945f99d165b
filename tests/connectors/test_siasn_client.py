"""The SIASN client against the sandbox's SIASN simulator: lookups, registry, exactly-once block flags."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.errors import AuthenticationError
from connectors.retry import RetryPolicy
from connectors.siasn import PermanentPushError, SiasnApi, SiasnClient, SiasnConfig, TransientPushError
from sbt_sync.sandbox.runtime import Sandbox
from tests.connectors.helpers_sandbox import NIPS, UNKNOWN_NIP, http_client, siasn_credentials

pytestmark = pytest.mark.integration

BODY = {"alasan": "PPK tidak menindaklanjuti rekomendasi", "nomorReferensi": "REK-2024-001"}


def siasn(box: Sandbox, *, retry: RetryPolicy | None = None, password: str | None = None) -> SiasnClient:
    config = SiasnConfig(
        box.endpoints.siasn_base_url, siasn_credentials(box, password=password), registry_page_size=2
    )
    return SiasnClient(config, http=http_client(box) if retry is None else http_client(box, retry))


def applied(box: Sandbox, key: str) -> dict[str, Any]:
    assert box.ledger is not None
    record: dict[str, Any] = box.ledger.snapshot()["keys"][key]
    return record


def test_client_satisfies_the_siasn_interface(sandbox: Sandbox) -> None:
    api: SiasnApi = siasn(sandbox)  # mypy checks the structural match
    assert api is not None


def test_data_utama_returns_the_record_or_none_for_an_unknown_nip(sandbox: Sandbox) -> None:
    client = siasn(sandbox)
    record = client.data_utama(NIPS[0])
    assert record is not None and record["nipBaru"] == NIPS[0] and record["nama"] == "ASN 0"
    assert client.data_utama(UNKNOWN_NIP) is None


def test_malformed_nip_is_refused_before_any_call(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="18 digits"):
        siasn(sandbox).data_utama("1980 0101 ../../x")


def test_registry_listing_pages_by_offset_and_resumes(sandbox: Sandbox) -> None:
    client = siasn(sandbox)
    pages = list(client.registry_pages())
    assert [page.cursor for page in pages] == ["2", "3"]
    assert [row["nipBaru"] for page in pages for row in page.items] == list(NIPS)
    assert [row["nipBaru"] for page in client.registry_pages("2") for row in page.items] == [NIPS[2]]


def test_blokir_returns_siasn_reference_and_status_reads_it_back(sandbox: Sandbox) -> None:
    client = siasn(sandbox)
    result = client.blokir(NIPS[1], BODY, "key-1")
    assert result.reference and result.changed is True and result.replayed is False
    status = client.status(NIPS[1])
    assert status is not None and status.blocked and status.reference == result.reference
    assert status.case_reference == "REK-2024-001"
    unblocked = client.buka(NIPS[1], {"alasan": "sanksi dijatuhkan"}, "key-2")
    assert unblocked.changed is True
    after = client.status(NIPS[1])
    assert after is not None and not after.blocked
    assert client.status(UNKNOWN_NIP) is None


def test_dropped_connection_after_apply_is_retried_with_the_same_key_and_applied_once(
    sandbox: Sandbox,
) -> None:
    client = siasn(sandbox)
    client.data_utama(NIPS[0])  # tokens first, so the fault hits the write itself
    sandbox.faults.set("siasn", drop_after_apply_rate=1.0)
    result = client.blokir(NIPS[0], BODY, "key-drop")
    assert result.replayed is True  # the answer came from SIASN's idempotency store
    record = applied(sandbox, "key-drop")
    assert record["applied"] == 1 and record["replays"] == 1
    assert client.stats.snapshot() == {"connection": 1}


def test_same_key_with_another_body_is_a_permanent_error_with_siasn_message(sandbox: Sandbox) -> None:
    client = siasn(sandbox)
    client.blokir(NIPS[2], BODY, "key-reuse")
    with pytest.raises(PermanentPushError) as caught:
        client.blokir(NIPS[2], {**BODY, "alasan": "lain"}, "key-reuse")
    assert caught.value.status == 422
    assert caught.value.siasn_message == "Idempotency-Key sudah dipakai untuk permintaan yang berbeda"
    assert NIPS[2] not in str(caught.value)  # the NIP is masked in the message


def test_unknown_nip_write_is_permanent(sandbox: Sandbox) -> None:
    with pytest.raises(PermanentPushError, match="Data tidak ditemukan"):
        siasn(sandbox).blokir(UNKNOWN_NIP, BODY, "key-unknown")


def test_wso2_throttling_is_retried_then_reported_as_transient_with_retry_after(sandbox: Sandbox) -> None:
    client = siasn(sandbox)
    client.data_utama(NIPS[0])
    sandbox.faults.set("siasn", throttle_rate=1.0, retry_after_seconds=0)
    with pytest.raises(TransientPushError, match="throttled") as caught:
        client.blokir(NIPS[0], BODY, "key-throttled")
    assert caught.value.retryable and caught.value.retry_after == 0.0
    assert caught.value.idempotency_key == "key-throttled"
    assert client.stats.snapshot() == {"throttled": 3}  # 4 attempts: 3 retries


def test_server_errors_then_recovery_apply_exactly_once(sandbox: Sandbox) -> None:
    client = siasn(sandbox, retry=RetryPolicy(max_attempts=30, initial_backoff=0.001, max_backoff=0.01))
    client.data_utama(NIPS[0])
    sandbox.faults.set("siasn", error_5xx_rate=0.5, drop_after_apply_rate=0.5)
    for number, nip in enumerate(NIPS):
        client.blokir(nip, BODY, f"key-{number}")
    sandbox.faults.reset()
    assert sandbox.ledger is not None
    per_nip = sandbox.ledger.snapshot()["applied_per_nip"]
    assert all(per_nip[nip]["blokir"] == 1 for nip in NIPS)
    assert client.stats.retries > 0


def test_wrong_sso_password_is_an_authentication_error(sandbox: Sandbox) -> None:
    with pytest.raises(AuthenticationError, match="SIASN SSO token endpoint refused") as caught:
        siasn(sandbox, password="wrong").data_utama(NIPS[0])
    assert "wrong" not in str(caught.value)
