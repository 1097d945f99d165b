"""A reopened identity decision's reason reads in words in both languages, saying which of the NIP,
name and instansi the record writes changed since the steward's decision, never their values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sbt_sync.console.labels_history import reopened_text
from sbt_sync.reconcile.identity.written import changed_reason

DECIDED = datetime(2025, 1, 20, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changed", "indonesian", "english"),
    [
        (["name"], "Nama pada rekaman berubah sejak keputusan steward tanggal 2025-01-20.",
         "The record's name changed since the steward's decision of 2025-01-20."),
        (["nip", "name"], "NIP dan nama pada rekaman berubah", "The record's NIP and name changed"),
        (["nip", "name", "instansi"], "NIP, nama dan instansi pada rekaman berubah",
         "The record's NIP, name and instansi changed"),
        # A decision recorded before fingerprints were kept: which part changed is not known.
        (None, "NIP, nama atau instansi pada rekaman berubah", "The record's NIP, name or instansi changed"),
    ],
)  # fmt: skip
def test_a_reopened_identity_reason_reads_in_words_in_both_languages(
    changed: list[str] | None, indonesian: str, english: str
) -> None:
    stored = changed_reason(DECIDED, changed)
    assert indonesian in reopened_text(stored, lang="id")
    assert english in reopened_text(stored, lang="en")
