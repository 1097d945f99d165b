"""Bawaslu simulator: registers of findings and reports, API key, page-number paging.

``GET /api/v1/register?page=1&page_size=100&updated_since=<ISO with offset>&until=<ISO>``
with header ``X-API-Key``. Answer::

    {"items": [<register>...],
     "page": {"number", "size", "total_items", "total_pages"},
     "server_time": "<sandbox now, WIB>"}

Items are the latest available version of each register, ordered by the instant that version became
available (then register number). ``updated_since`` keeps versions that became available strictly
after it. Between two pages the clock may publish new versions; a client that wants a stable snapshot
passes page 1's ``server_time`` as ``until`` on later pages, and the next increment's
``updated_since``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.http.auth import same_secret
from sbt_sync.sandbox.http.base import Simulator
from sbt_sync.sandbox.http.messages import BadRequest, Request, Response
from sbt_sync.sandbox.http.records import VersionedRecords, parse_instant

REGISTER_PATH = "/api/v1/register"
API_KEY_HEADER = "X-API-Key"
WIB = timezone(timedelta(hours=7), "WIB")
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def instant_param(request: Request, name: str) -> datetime | None:
    """Query parameter ``name`` as an aware instant; raises :class:`BadRequest` if malformed."""
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return parse_instant(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an ISO-8601 instant with a UTC offset") from exc


class BawasluSimulator(Simulator):
    endpoint = "bawaslu"

    def __init__(
        self, *, clock: SandboxClock, faults: FaultSwitches, records: VersionedRecords, api_key: str
    ) -> None:
        super().__init__(clock=clock, faults=faults)
        self.records = records
        self._api_key = api_key
        self.route("GET", REGISTER_PATH, self._registers)

    def error_response(self, status: int, message: str) -> Response:
        return Response(status, {"status": "error", "code": status, "message": message})

    def _registers(self, request: Request) -> Response:
        if not same_secret(request.header(API_KEY_HEADER), self._api_key):
            return self.error_response(401, f"missing or invalid {API_KEY_HEADER} header")
        page = request.int_param("page", 1, minimum=1, maximum=10_000_000)
        size = request.int_param("page_size", DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
        since = instant_param(request, "updated_since")
        now = self.clock.now()
        until = instant_param(request, "until")
        visible = self.records.current(min(now, until) if until else now, since=since)
        start = (page - 1) * size
        return Response(
            200,
            {
                "items": [version.record for version in visible[start : start + size]],
                "page": {
                    "number": page,
                    "size": size,
                    "total_items": len(visible),
                    "total_pages": math.ceil(len(visible) / size),
                },
                "server_time": now.astimezone(WIB).isoformat(),
            },
        )
