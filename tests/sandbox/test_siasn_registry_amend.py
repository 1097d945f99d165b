"""The SIASN simulator's registry changed under a running sync (``Registry.amend``, behind
``POST /_sandbox/siasn/registry/{nip}``): lookups and the bulk listing both see the change, and a new
``nipBaru`` is a NIP correction (same SIASN id, the old NIP unknown from then on)."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from sbt_sync.sandbox.http.siasn_registry import Registry

FIRST, SECOND, CORRECTED = "198001012005011001", "198203032007011003", "198001012005011011"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["id", "nipBaru", "nama", "kedudukanPnsId"])
    writer.writerow(["a" * 32, FIRST, "AHMAD FAUZI", "01"])
    writer.writerow(["b" * 32, SECOND, "BUDI SANTOSO", "01"])
    (tmp_path / "registry.csv.gz").write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))
    opened = Registry.open(tmp_path / "registry.csv.gz", tmp_path / "state")
    yield opened
    opened.close()


def test_an_amended_row_is_what_lookups_and_the_listing_serve(registry: Registry) -> None:
    row = registry.amend(FIRST, {"kedudukanPnsId": "99"})
    assert row["kedudukanPnsId"] == "99"
    assert registry.get(FIRST) == row
    assert [r["kedudukanPnsId"] for r in registry.page(0, 10)] == ["99", "01"]
    untouched = registry.get(SECOND)
    assert untouched is not None and untouched["kedudukanPnsId"] == "01"


def test_a_new_nip_is_a_correction_of_the_same_siasn_id(registry: Registry) -> None:
    registry.amend(FIRST, {"nipBaru": CORRECTED})
    assert registry.get(FIRST) is None
    corrected = registry.get(CORRECTED)
    assert corrected is not None and corrected["id"] == "a" * 32
    assert [r["nipBaru"] for r in registry.page(0, 10)] == [CORRECTED, SECOND]
    with pytest.raises(KeyError):
        registry.amend(FIRST, {"nama": "X"})


def test_amend_refuses_unknown_columns_and_a_nip_another_row_has(registry: Registry) -> None:
    with pytest.raises(ValueError, match="unknown column"):
        registry.amend(FIRST, {"pangkat": "III/a"})
    with pytest.raises(ValueError, match="already belongs"):
        registry.amend(FIRST, {"nipBaru": SECOND})
    unchanged = registry.get(FIRST)
    assert unchanged is not None and unchanged["nipBaru"] == FIRST
