"""The sandbox control server: clock, faults, SIASN's exactly-once evidence, record injection and
the mail server's mailbox.

Plain HTTP on loopback, no auth (it only ever steers a local sandbox). JSON in and out:

- ``GET /_sandbox/status``: clock, faults, endpoint URLs (no secrets), record counts and
  ``siasn_writes`` (idempotency keys seen, NIPs with a block state).
- ``GET /_sandbox/clock``; ``POST /_sandbox/clock`` with ``{"now": ISO}`` or ``{"advance_days": n}``
  (also ``advance_hours``, ``advance_seconds``), optionally ``"frozen": bool``.
- ``GET /_sandbox/faults``; ``POST /_sandbox/faults`` with ``{"endpoint": "siasn", "<switch>": value,
  ...}``; ``POST /_sandbox/faults/reset``.
- ``GET /_sandbox/siasn/applied``: per idempotency key, per NIP and the current block states.
- ``POST /_sandbox/{bawaslu|bkn_wasdal|idis|imut}/records`` with ``{"record": {...}, "key"?: str,
  "available_at"?: ISO}`` publishes a record version (default: now, key from the record).
- ``POST /_sandbox/siasn/registry/{nip}`` with ``{"set": {"kedudukanPnsId": "99", ...}}`` changes
  that ASN's registry row from now on (a retirement, a new name, a NIP correction through
  ``nipBaru``); ``updatedAt`` becomes the sandbox's now unless given. Answers ``{"data": row}``.
- ``POST /_sandbox/siasn/forbidden/{nip}`` with ``{"forbidden": true, "message"?: str}`` makes SIASN
  refuse every block or unblock of that NIP with 403 (our operator account may not write that
  instansi's data), ``{"forbidden": false}`` lifts it.
- ``GET /_sandbox/mail``: every message the mail server accepted (Message-ID, envelope sender and
  recipients, subject, size, sha256), with counts and the Message-IDs received more than once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.http.base import Simulator
from sbt_sync.sandbox.http.fault_values import check_endpoint, coerce_fault_value
from sbt_sync.sandbox.http.messages import BadRequest, Request, Response
from sbt_sync.sandbox.http.records import VersionedRecords, parse_instant
from sbt_sync.sandbox.http.siasn_blocks import BlockLedger
from sbt_sync.sandbox.http.siasn_registry import Registry
from sbt_sync.sandbox.smtp_server import Mailbox

PREFIX = "/_sandbox"
RECORD_KEYS = {"bawaslu": "nomor_register", "bkn_wasdal": "id", "idis": "id", "imut": "id"}
_ADVANCE_UNITS = {"advance_days": "days", "advance_hours": "hours", "advance_seconds": "seconds"}


class ControlSimulator(Simulator):
    endpoint = None  # faults never apply to the control server itself

    def __init__(
        self,
        *,
        clock: SandboxClock,
        faults: FaultSwitches,
        sources: Mapping[str, VersionedRecords],
        ledger: BlockLedger,
        describe: Callable[[], dict[str, Any]],
        registry: Registry | None = None,
        mailbox: Mailbox | None = None,
    ) -> None:
        super().__init__(clock=clock, faults=faults)
        self.sources = sources
        self.ledger = ledger
        self.registry = registry
        self.mailbox = mailbox or Mailbox()
        self._describe = describe
        self.route("GET", PREFIX + "/status", self._status)
        self.route("GET", PREFIX + "/clock", lambda _: Response(200, self._clock()))
        self.route("POST", PREFIX + "/clock", self._set_clock)
        self.route("GET", PREFIX + "/faults", lambda _: Response(200, self.faults.snapshot()))
        self.route("POST", PREFIX + "/faults", self._set_faults)
        self.route("POST", PREFIX + "/faults/reset", self._reset_faults)
        self.route("GET", PREFIX + "/siasn/applied", lambda _: Response(200, self.ledger.snapshot()))
        self.route("POST", PREFIX + r"/(?P<source>bawaslu|bkn_wasdal|idis|imut)/records", self._add_record)
        self.route("POST", PREFIX + r"/siasn/registry/(?P<nip>[0-9]{18})", self._amend_registry)
        self.route("POST", PREFIX + r"/siasn/forbidden/(?P<nip>[0-9]{18})", self._forbid)
        self.route("GET", PREFIX + "/mail", lambda _: Response(200, self.mailbox.snapshot()))

    def error_response(self, status: int, message: str) -> Response:
        return Response(status, {"ok": False, "error": message})

    def _clock(self) -> dict[str, Any]:
        return {"now": self.clock.now().isoformat(), "frozen": self.clock.frozen}

    def _status(self, _: Request) -> Response:
        now = self.clock.now()
        applied = self.ledger.snapshot()
        return Response(
            200,
            {
                **self._describe(),
                "clock": self._clock(),
                "faults": self.faults.snapshot(),
                "records": {name: source.counts(now) for name, source in self.sources.items()},
                "siasn_writes": {"keys": len(applied["keys"]), "block_states": len(applied["blocks"])},
                "mail": {"messages": len(self.mailbox.messages())},
            },
        )

    def _body(self, request: Request) -> dict[str, Any]:
        body = request.json()
        if not isinstance(body, dict):
            raise BadRequest("expected a JSON object")
        return body

    def _set_clock(self, request: Request) -> Response:
        body = self._body(request)
        unknown = set(body) - {"now", "frozen", *_ADVANCE_UNITS}
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
        frozen = body.get("frozen")
        if frozen is not None and not isinstance(frozen, bool):
            raise BadRequest("frozen must be true or false")
        advances = {name: body[name] for name in _ADVANCE_UNITS if name in body}
        if "now" in body and advances:
            raise BadRequest("give either now or an advance, not both")
        if "now" in body:
            try:
                self.clock.set(parse_instant(str(body["now"])), frozen=frozen)
            except ValueError as exc:
                raise BadRequest(f"now: {exc}") from exc
        else:
            delta = timedelta()
            for name, amount in advances.items():
                if isinstance(amount, bool) or not isinstance(amount, int | float):
                    raise BadRequest(f"{name} must be a number")
                delta += timedelta(**{_ADVANCE_UNITS[name]: amount})
            self.clock.set(self.clock.now() + delta, frozen=frozen)
        return Response(200, self._clock())

    def _set_faults(self, request: Request) -> Response:
        body = self._body(request)
        endpoint = body.pop("endpoint", None)
        if not isinstance(endpoint, str):
            raise BadRequest('endpoint is required, e.g. {"endpoint": "siasn", "error_5xx_rate": 0.3}')
        try:
            changes = {name: coerce_fault_value(name, value) for name, value in body.items()}
            self.faults.set(check_endpoint(endpoint), **changes)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        return Response(200, self.faults.snapshot())

    def _reset_faults(self, _: Request) -> Response:
        self.faults.reset()
        return Response(200, self.faults.snapshot())

    def _add_record(self, request: Request) -> Response:
        source = request.params["source"]
        body = self._body(request)
        record = body.get("record")
        if not isinstance(record, dict):
            raise BadRequest("record must be a JSON object")
        key = body.get("key", record.get(RECORD_KEYS[source]))
        if not isinstance(key, str) or not key:
            raise BadRequest(f"key is required (or a record with {RECORD_KEYS[source]})")
        try:
            available_at = parse_instant(body["available_at"]) if "available_at" in body else self.clock.now()
        except (ValueError, TypeError, AttributeError) as exc:
            raise BadRequest("available_at must be an ISO-8601 instant with a UTC offset") from exc
        version = self.sources[source].add(key, record, available_at)
        return Response(201, {"source": source, "key": key, "available_at": version.available_at.isoformat()})

    def _forbid(self, request: Request) -> Response:
        body = self._body(request)
        forbidden, message = body.get("forbidden"), body.get("message")
        if not isinstance(forbidden, bool):
            raise BadRequest("forbidden must be true or false")
        if message is not None and (not isinstance(message, str) or not message.strip()):
            raise BadRequest("message must be a non-empty string")
        nip = request.params["nip"]
        if not forbidden:
            self.ledger.allow(nip)
        elif message is None:
            self.ledger.forbid(nip)
        else:
            self.ledger.forbid(nip, message)
        return Response(200, {"nip": nip, "forbidden": forbidden})

    def _amend_registry(self, request: Request) -> Response:
        if self.registry is None:
            return self.error_response(404, "this sandbox serves no SIASN registry")
        changes = self._body(request).get("set")
        if not isinstance(changes, dict) or not changes:
            raise BadRequest('set must be a non-empty JSON object, e.g. {"set": {"kedudukanPnsId": "99"}}')
        if any(value is not None and not isinstance(value, str) for value in changes.values()):
            raise BadRequest("set: every value must be a string or null")
        if "updatedAt" in self.registry.columns and "updatedAt" not in changes:
            # SIASN stamps its own change; enforcement dates a departure by it.
            changes["updatedAt"] = self.clock.now().isoformat()
        try:
            row = self.registry.amend(request.params["nip"], changes)
        except KeyError:
            return self.error_response(404, "Data tidak ditemukan")
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        return Response(200, {"data": row})
