"""SIASN's block ledger: block state per NIP and idempotent writes, with exactly-once evidence.

A write is ``blokir`` or ``buka`` with a JSON body ``{"nip", "alasan", "nomorReferensi"?,
"referensiKasus"?: [...]}`` and an ``Idempotency-Key``. The first request with a key is processed
(its answer stored); the same key with the same action and body replays the stored answer; the same
key with anything else is refused with 422. ``applied`` counts how often a key was processed (1 when
clients and server behave) and ``applied_per_nip`` how often each NIP was written (refusals write
nothing and are not counted there), so a client that
retried with a fresh key shows up as two applications for one NIP.

A NIP can be made *forbidden* (:meth:`BlockLedger.forbid`): every write for it is refused with 403,
before its key is looked at or stored, as SIASN refuses an operator account writes to another
instansi's data while it accepts that account's writes for every other NIP.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

Action = Literal["blokir", "buka"]
BLOCKED = "DIBLOKIR"
NOT_BLOCKED = "TIDAK_DIBLOKIR"
FORBIDDEN_MESSAGE = "Anda tidak berwenang mengubah data PNS instansi lain"


@dataclass(slots=True)
class BlockState:
    nip: str
    status: str
    referensi: str | None = None
    alasan: str | None = None
    nomorReferensi: str | None = None  # SIASN's own field name
    tanggal: str | None = None


@dataclass(slots=True)
class KeyRecord:
    action: str
    nip: str
    fingerprint: str
    status: int
    response: dict[str, Any]
    changed: bool
    applied: int = 1
    replays: int = 0


@dataclass(frozen=True, slots=True)
class WriteResult:
    status: int
    body: dict[str, Any]
    replayed: bool
    applied: bool


def _fail(status: int, message: str) -> WriteResult:
    return WriteResult(status, {"success": False, "message": message, "mapData": None}, False, False)


class BlockLedger:
    """Thread-safe: writes are serialised, so one key is never processed twice concurrently."""

    def __init__(self, nip_exists: Callable[[str], bool]) -> None:
        self._nip_exists = nip_exists
        self._lock = threading.Lock()
        self._states: dict[str, BlockState] = {}
        self._keys: dict[str, KeyRecord] = {}
        self._per_nip: dict[str, dict[str, int]] = {}
        self._forbidden: dict[str, str] = {}

    def forbid(self, nip: str, message: str = FORBIDDEN_MESSAGE) -> None:
        """Refuse every write for ``nip`` with 403 and ``message`` until :meth:`allow` (or :meth:`reset`)."""
        with self._lock:
            self._forbidden[nip] = message

    def allow(self, nip: str) -> None:
        """Take ``nip`` off the forbidden list (its writes are processed again)."""
        with self._lock:
            self._forbidden.pop(nip, None)

    def state(self, nip: str) -> BlockState:
        with self._lock:
            return self._states.get(nip) or BlockState(nip, NOT_BLOCKED)

    def reset(self) -> None:
        """Forget every block, key and count: SIASN as before any write (a sandbox served to a new
        product database: its idempotency keys are its own, and so must SIASN's flags be)."""
        with self._lock:
            self._states.clear()
            self._keys.clear()
            self._per_nip.clear()
            self._forbidden.clear()

    def submit(self, *, action: Action, key: str, body: Any, now: datetime) -> WriteResult:
        """Process, replay or refuse one write; only processed writes change state or counts."""
        fingerprint = hashlib.sha256(
            json.dumps([action, body], sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        with self._lock:
            forbidden = self._forbidden.get(str(body.get("nip"))) if isinstance(body, dict) else None
            if forbidden is not None:  # authorisation comes first: nothing stored under the key
                return _fail(403, forbidden)
            known = self._keys.get(key)
            if known is not None:
                if known.fingerprint != fingerprint:
                    return _fail(422, "Idempotency-Key sudah dipakai untuk permintaan yang berbeda")
                known.replays += 1
                return WriteResult(known.status, known.response, True, False)
            problem = _invalid(body)
            if problem:
                return _fail(400, problem)
            nip = body["nip"]
            if not self._nip_exists(nip):
                status, response, changed = 404, {"success": False, "message": "Data tidak ditemukan"}, False
                response["mapData"] = {"nip": nip, "status": None, "referensi": None}
            else:
                status, response, changed = 200, *self._apply(action, key, body, now)
            self._keys[key] = KeyRecord(action, nip, fingerprint, status, response, changed)
            if status == 200:  # a refusal (unknown NIP) writes nothing: not an application
                counts = self._per_nip.setdefault(nip, {"blokir": 0, "buka": 0})
                counts[action] += 1
            return WriteResult(status, response, False, True)

    def _apply(
        self, action: Action, key: str, body: dict[str, Any], now: datetime
    ) -> tuple[dict[str, Any], bool]:
        nip = body["nip"]
        referensi = hashlib.sha256(f"{action}:{key}".encode()).hexdigest()[:32]
        current = self._states.get(nip) or BlockState(nip, NOT_BLOCKED)
        target = BLOCKED if action == "blokir" else NOT_BLOCKED
        changed = current.status != target
        if changed:
            self._states[nip] = BlockState(
                nip, target, referensi, body["alasan"], body.get("nomorReferensi"), now.isoformat()
            )
        if action == "blokir":
            message = "Data PNS berhasil diblokir" if changed else "Data PNS sudah dalam status blokir"
        else:
            message = "Blokir data PNS berhasil dibuka" if changed else "Data PNS tidak dalam status blokir"
        map_data = {
            "nip": nip,
            "status": target,
            "referensi": referensi,
            "berubah": changed,
            "idempotencyKey": key,
            "tanggal": now.isoformat(),
        }
        return {"success": True, "message": message, "mapData": map_data}, changed

    def snapshot(self) -> dict[str, Any]:
        """Counts per key, per NIP, and current block states (for the control endpoint)."""
        with self._lock:
            return {
                "keys": {
                    key: {
                        "action": rec.action,
                        "nip": rec.nip,
                        "applied": rec.applied,
                        "replays": rec.replays,
                        "changed": rec.changed,
                        "status": rec.status,
                        "referensi": (rec.response.get("mapData") or {}).get("referensi"),
                    }
                    for key, rec in self._keys.items()
                },
                "applied_per_nip": {nip: dict(counts) for nip, counts in self._per_nip.items()},
                "blocks": {nip: asdict(state) for nip, state in self._states.items()},
                "forbidden": sorted(self._forbidden),
            }


def _invalid(body: Any) -> str | None:
    """Why ``body`` is not a valid write, or None."""
    if not isinstance(body, dict):
        return "Body harus berupa objek JSON"
    nip = body.get("nip")
    if not isinstance(nip, str) or len(nip) != 18 or not nip.isdigit():
        return "nip wajib diisi (18 digit)"
    if not isinstance(body.get("alasan"), str) or not body["alasan"].strip():
        return "alasan wajib diisi"
    refs = body.get("referensiKasus")
    if refs is not None and not (isinstance(refs, list) and all(isinstance(r, str) for r in refs)):
        return "referensiKasus harus berupa daftar string"
    if body.get("nomorReferensi") is not None and not isinstance(body["nomorReferensi"], str):
        return "nomorReferensi harus berupa string"
    return None
