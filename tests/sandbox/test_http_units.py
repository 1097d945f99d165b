"""Pure parts of the HTTP simulators, without servers: parsing, versioning, the registry, the ledger."""

from __future__ import annotations

import gzip
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from sbt_sync.errors import SbtError
from sbt_sync.sandbox.http.base import mask_nips
from sbt_sync.sandbox.http.bkn_wasdal import decode_cursor, encode_cursor
from sbt_sync.sandbox.http.credentials import SandboxCredentials
from sbt_sync.sandbox.http.fault_values import parse_assignment
from sbt_sync.sandbox.http.messages import BadRequest
from sbt_sync.sandbox.http.records import VersionedRecords
from sbt_sync.sandbox.http.siasn_blocks import BlockLedger
from sbt_sync.sandbox.http.siasn_registry import Registry
from tests.sandbox.helpers_http import NIP_A, NIP_B, T0, WIB, write_data_dir


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("siasn.error_5xx_rate=0.2", ("siasn", "error_5xx_rate", 0.2)),
        ("*.latency_ms=50", ("*", "latency_ms", 50)),
        ("idis.token_ttl_seconds=none", ("idis", "token_ttl_seconds", None)),  # back to normal lifetimes
        ("sftp.disconnect_rate=1", ("sftp", "disconnect_rate", 1.0)),
    ],
)
def test_fault_assignment_parses_typed_values(text: str, expected: tuple[str, str, object]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "siasn.error_5xx_rate",  # no value
        "error_5xx_rate=0.2",  # no endpoint
        "kpu.latency_ms=1",  # unknown endpoint
        "siasn.bogus=1",  # unknown switch
        "siasn.throttle_rate=1.5",  # a rate above 1
        "siasn.latency_ms=-5",  # negative
        "siasn.latency_ms=fast",  # not a number
    ],
)
def test_fault_assignment_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        parse_assignment(text)


def test_versions_serve_latest_available_per_key_in_position_order() -> None:
    records = VersionedRecords("test")
    records.add("B", {"v": 1}, T0 - timedelta(hours=2))
    records.add("A", {"v": 1}, T0 - timedelta(hours=1))
    records.add("B", {"v": 2}, T0 + timedelta(hours=1))  # a late correction
    assert [(v.key, v.record["v"]) for v in records.current(T0)] == [("B", 1), ("A", 1)]
    later = T0 + timedelta(hours=1)
    assert [(v.key, v.record["v"]) for v in records.current(later)] == [("A", 1), ("B", 2)]
    assert [v.key for v in records.current(later, since=T0)] == ["B"]
    assert [v.key for v in records.current(later, after=(T0 - timedelta(hours=1), "A"))] == ["B"]


def test_cursor_round_trips_and_rejects_garbage() -> None:
    position = (T0.astimezone(WIB), "WAS-001")
    assert decode_cursor(encode_cursor(position)) == position
    with pytest.raises(BadRequest):
        decode_cursor("bm90IGpzb24")


def test_registry_indexes_the_csv_once_and_looks_up_by_nip(tmp_path: Path) -> None:
    data = write_data_dir(tmp_path / "data")
    registry = Registry.open(data / "registry.csv.gz", tmp_path / "state")
    try:
        assert len(registry) == 3
        row = registry.get(NIP_B)
        assert row is not None and row["nama"] == "Siti Aminah"
        assert registry.get("000000000000000000") is None
        assert [r["nipBaru"] for r in registry.page(1, 5)] == [NIP_B, "198507072010121003"]
    finally:
        registry.close()
    cached = list((tmp_path / "state").glob("siasn_registry-*.sqlite"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    Registry.open(data / "registry.csv.gz", tmp_path / "state").close()
    assert cached[0].stat().st_mtime_ns == mtime  # reused, not rebuilt


def test_registry_without_nip_column_is_an_operator_error(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv.gz"
    path.write_bytes(gzip.compress(b"id,nama\n1,Budi\n"))
    with pytest.raises(SbtError, match="nipBaru"):
        Registry.open(path, tmp_path / "state")
    assert not list((tmp_path / "state").glob("*.sqlite*"))


def test_ledger_applies_one_key_once_under_concurrent_retries() -> None:
    ledger = BlockLedger(lambda nip: nip in {NIP_A})
    body = {"nip": NIP_A, "alasan": "tidak ditindaklanjuti"}
    results = []

    def submit() -> None:
        results.append(ledger.submit(action="blokir", key="k", body=body, now=T0))

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result.applied for result in results) == 1
    assert {result.body["mapData"]["referensi"] for result in results} == {
        results[0].body["mapData"]["referensi"]
    }
    snapshot = ledger.snapshot()
    assert snapshot["keys"]["k"]["applied"] == 1
    assert snapshot["keys"]["k"]["replays"] == 7


def test_ledger_unblock_of_never_blocked_nip_succeeds_without_change() -> None:
    ledger = BlockLedger(lambda nip: True)
    result = ledger.submit(action="buka", key="k", body={"nip": NIP_B, "alasan": "sanksi"}, now=T0)
    assert result.status == 200
    assert result.body["mapData"]["berubah"] is False
    assert ledger.state(NIP_B).status == "TIDAK_DIBLOKIR"


def test_mask_nips_keeps_only_the_last_four_digits() -> None:
    assert mask_nips(f"GET /pns/data-utama/{NIP_A} 200") == "GET /pns/data-utama/**************1001 200"
    assert mask_nips("1234567890") == "1234567890"  # not a NIP


def test_credentials_hide_values_in_repr_and_reject_unknown_fields(tmp_path: Path) -> None:
    creds = SandboxCredentials.generate(siasn_username="operator")
    assert creds.siasn_username == "operator"
    assert creds.siasn_password not in repr(creds)
    path = tmp_path / "creds.json"
    path.write_text('{"siasn_pasword": "typo"}')
    with pytest.raises(SbtError, match="siasn_pasword"):
        SandboxCredentials.from_file(path)
