"""What one outbox row sends: its idempotency key and the exact request body.

The key is derived from the NIP, the action and the block-state version, so the same change always
carries the same key (a retry or a re-sent row is replayed by SIASN, never applied twice) and every
new change of a NIP's flag gets a new one. The NIP enters only through a hash: keys appear in logs.
"""

from __future__ import annotations

import hashlib
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


def idempotency_key(nip: str, action: PushAction, version: int) -> str:
    """``sbt-<action>-v<version>-<hash of the NIP>``: stable for one change, unique across changes."""
    digest = hashlib.sha256(f"sbt-sync:{nip}".encode()).hexdigest()[:24]
    return f"sbt-{action}-v{version}-{digest}"


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
