"""SIASN simulator: registry lookups, the bulk listing and block/unblock, in SIASN's conventions.

Base path ``/apisiasn/1.0``; every call carries both tokens (:mod:`.siasn_auth`).

- ``GET /pns/data-utama/{nip}`` -> ``{"data": {registry fields}}`` or 404 ``{"code": 0, "data":
  "Data tidak ditemukan"}``.
- ``GET /pns/list?offset=0&limit=1000`` -> ``{"data": [...], "total", "offset", "limit"}`` (file order).
  With ``updatedSince=<ISO 8601 instant>`` it lists only the rows changed at or after that instant,
  oldest change first (ties in file order), ``total`` counting those; ``updatedSince`` is echoed back.
- ``POST /pemblokiran/blokir`` and ``POST /pemblokiran/buka`` with an ``Idempotency-Key`` header and a
  JSON body (:mod:`.siasn_blocks`) -> ``{"success", "message", "mapData": {"nip", "status",
  "referensi", "berubah", "idempotencyKey", "tanggal"}}``; a replay carries ``Idempotent-Replayed: true``.
- ``GET /pemblokiran/{nip}`` -> ``{"data": {"nip", "status", "referensi", "alasan", "nomorReferensi",
  "tanggal"}}``; ``status`` is ``DIBLOKIR`` or ``TIDAK_DIBLOKIR``.
- Throttling answers 429 with WSO2's ``{"code": "900803", ...}`` and ``Retry-After``.

The "applied, then the connection dropped" fault hits only writes that were just applied (a replay
answers normally), so a client retrying with the same key always gets through.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.http.base import Simulator, mask_nips
from sbt_sync.sandbox.http.messages import BadRequest, Request, Response
from sbt_sync.sandbox.http.siasn_auth import TwoTokenAuth
from sbt_sync.sandbox.http.siasn_blocks import Action, BlockLedger
from sbt_sync.sandbox.http.siasn_registry import Registry

log = logging.getLogger(__name__)

BASE_PATH = "/apisiasn/1.0"
DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 5000
_NOT_FOUND = {"code": 0, "data": "Data tidak ditemukan"}


class SiasnSimulator(Simulator):
    endpoint = "siasn"

    def __init__(
        self,
        *,
        clock: SandboxClock,
        faults: FaultSwitches,
        registry: Registry,
        ledger: BlockLedger,
        auth: TwoTokenAuth,
    ) -> None:
        super().__init__(clock=clock, faults=faults)
        self.registry = registry
        self.ledger = ledger
        self.auth = auth
        auth.install(self)
        self.route("GET", BASE_PATH + r"/pns/data-utama/(?P<nip>[^/]+)", self._data_utama)
        self.route("GET", BASE_PATH + "/pns/list", self._list)
        self.route("POST", BASE_PATH + "/pemblokiran/blokir", lambda r: self._write(r, "blokir"))
        self.route("POST", BASE_PATH + "/pemblokiran/buka", lambda r: self._write(r, "buka"))
        self.route("GET", BASE_PATH + r"/pemblokiran/(?P<nip>[^/]+)", self._block_state)

    def error_response(self, status: int, message: str) -> Response:
        if status >= 500:
            # What the WSO2 gateway says when the backend fails or is unreachable.
            return Response(status, {"code": "101503", "message": "Runtime Error", "description": message})
        return Response(status, {"code": 0, "data": message})

    def throttled_response(self, retry_after: int) -> Response:
        try:
            next_access = self.clock.now() + timedelta(seconds=retry_after)
        except OverflowError:  # an absurd wait switched on to test clients: past any date
            next_access = datetime.max.replace(tzinfo=UTC)
        return Response(
            429,
            {
                "code": "900803",
                "message": "Message throttled out",
                "description": "You have exceeded your quota",
                "nextAccessTime": next_access.strftime("%Y-%b-%d %H:%M:%S+0000 UTC"),
            },
            {"Retry-After": str(retry_after)},
        )

    def _data_utama(self, request: Request) -> Response:
        self.auth.require(self, request)
        row = self.registry.get(request.params["nip"])
        return Response(404, _NOT_FOUND) if row is None else Response(200, {"data": row})

    def _list(self, request: Request) -> Response:
        self.auth.require(self, request)
        offset = request.int_param("offset", 0, minimum=0, maximum=10**9)
        limit = request.int_param("limit", DEFAULT_LIST_LIMIT, minimum=1, maximum=MAX_LIST_LIMIT)
        since = request.query.get("updatedSince")
        if not since:
            rows = self.registry.page(offset, limit)
            return Response(
                200, {"data": rows, "total": len(self.registry), "offset": offset, "limit": limit}
            )
        try:
            instant = datetime.fromisoformat(since)
        except ValueError:
            raise BadRequest("updatedSince harus berupa waktu ISO 8601") from None
        if instant.tzinfo is None:
            raise BadRequest("updatedSince harus menyertakan zona waktu")
        rows, total = self.registry.changed_since(instant, offset, limit)
        body = {"data": rows, "total": total, "offset": offset, "limit": limit, "updatedSince": since}
        return Response(200, body)

    def _block_state(self, request: Request) -> Response:
        self.auth.require(self, request)
        nip = request.params["nip"]
        if self.registry.get(nip) is None:
            return Response(404, _NOT_FOUND)
        state = self.ledger.state(nip)
        return Response(
            200,
            {
                "data": {
                    "nip": state.nip,
                    "status": state.status,
                    "referensi": state.referensi,
                    "alasan": state.alasan,
                    "nomorReferensi": state.nomorReferensi,
                    "tanggal": state.tanggal,
                }
            },
        )

    def _write(self, request: Request, action: Action) -> Response:
        self.auth.require(self, request)
        key = (request.header("Idempotency-Key") or "").strip()
        if not key or len(key) > 255:
            return _write_error(400, "Header Idempotency-Key wajib diisi (1-255 karakter)")
        try:
            body = request.json()
        except BadRequest:
            return _write_error(400, "Body harus berupa JSON")
        result = self.ledger.submit(action=action, key=key, body=body, now=self.clock.now())
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        if result.applied:
            log.info("sandbox siasn: %s applied for NIP %s", action, mask_nips(str(body.get("nip"))))
            if self.faults.roll(self.faults.get("siasn").drop_after_apply_rate):
                log.info("sandbox siasn: dropping the connection after applying %s (fault)", action)
                return Response(result.status, drop=True)
        return Response(result.status, result.body, headers)


def _write_error(status: int, message: str) -> Response:
    return Response(status, {"success": False, "message": message, "mapData": None})
