"""What one outbox row sends: its idempotency key and the exact request body.

The key is made once, with the row, and stored with it: every retry or re-send of the row carries it
(SIASN replays, never applies twice) and every new change of a NIP's flag gets a new one. It names the
action and the block-state version, and is otherwise random: keys appear in logs and run metadata, and
a hash of the NIP there would give the NIP away (a birth date and a TMT month are a few million
guesses, and the line beside it shows the last 4 digits).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sbt_sync.states.outbox import PushAction

BLOKIR_REASON = (
    "PPK tidak menindaklanjuti rekomendasi netralitas ASN sampai batas waktu peringatan dan teguran "
    "(Peraturan BKN 1/2023)"
)
BUKA_REASON = (
    "Tidak ada lagi kasus netralitas yang memerlukan pemblokiran "
    "(sanksi dijatuhkan, rekomendasi dibatalkan atau ASN berhenti)"
)


def idempotency_key(action: PushAction, version: int) -> str:
    """``sbt-<action>-v<version>-<96 random bits>``: a new key for a new outbox row (store it with the
    row; it cannot be made again)."""
    return f"sbt-{action}-v{version}-{secrets.token_hex(12)}"


def push_payload(
    nip: str, action: PushAction, case_keys: Sequence[str], recommendation_nos: Sequence[str]
) -> dict[str, Any]:
    """The request body SIASN receives (``nip``, ``alasan``, ``nomorReferensi``, ``referensiKasus``)."""
    body: dict[str, Any] = {
        "nip": nip,
        "alasan": BLOKIR_REASON if action == PushAction.BLOKIR else BUKA_REASON,
        "referensiKasus": sorted(case_keys),
    }
    if recommendation_nos:
        body["nomorReferensi"] = sorted(recommendation_nos)[0]
    return body
