"""A finding's records are said in words: a block sent to SIASN names its outbox row, the action and
its days; a block state read from SIASN says blocked or not and since when, never the records' keys
(``outbox_id``, ``acknowledged_on``, ``blocked True``)."""

from __future__ import annotations

from datetime import date

import pytest

from sbt_sync.db.models import ImutFinding
from tests.console.conftest import World

RECORDS = [
    {"kind": "push_ledger", "outbox_id": 41, "action": "blokir", "acknowledged_on": "2024-05-02",
     "counts_from": "2024-05-03"},
    {"kind": "siasn_observation", "observation_id": 7, "status": "DIBLOKIR", "blocked": True,
     "since": "2024-05-03"},
]  # fmt: skip
WORDS = {
    "id": ("baris antrean #41", "Blokir", "diterima SIASN 02-05-2024", "berlaku sejak 03-05-2024",
           "pembacaan #7", "diblokir sejak 03-05-2024"),
    "en": ("outbox row #41", "Block", "acknowledged by SIASN 02-05-2024", "counts from 03-05-2024",
           "reading #7", "blocked since 03-05-2024"),
}  # fmt: skip


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_findings_block_records_are_said_in_words(world: World, lang: str) -> None:
    with world.database.session() as session:
        finding = ImutFinding(
            finding_key=f"{'e' * 32}|block_breach", action_id="e" * 32, rule="block_breach",
            disposition="breach", basis_key="imut.basis.block_breach", reason_key="imut.reason.block_breach",
            reason_params={"action": "mutasi", "effective_date": "2024-06-17", "block_start": "2024-05-03"},
            records=RECORDS, basis_hash="b", nip="198001012005011001",
            decision_no="SK-1", decision_date=date(2024, 6, 10), official_role="kepala_daerah",
        )  # fmt: skip
        session.add(finding)
        session.flush()
        finding_id = finding.id
    page = world.login("steward").get(f"/imut/{finding_id}?lang={lang}").text
    records = page.split('id="records"')[1].split("</ul>")[0]
    for words in WORDS[lang]:
        assert words in records, words
    for key in ("outbox_id", "acknowledged_on", "counts_from", "observation_id", "blocked True", "2024-05-0"):
        assert key not in records, key
