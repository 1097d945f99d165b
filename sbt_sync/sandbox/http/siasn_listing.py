"""A SIASN-family listing (I'DIS, I-MUT): both SIASN tokens, ``updatedSince`` and ``Link`` paging.

``GET <records_path>?updatedSince=<ISO with offset>&limit=100`` with both SIASN tokens (see
:mod:`sbt_sync.sandbox.http.siasn_auth`; the token endpoints are served here too). Answer
``{"data": [...], "total": N, "serverTime": "<sandbox now>"}`` and, while more remain, a header
``Link: <absolute URL>; rel="next"``. ``updatedSince`` keeps versions that became available strictly
after it; the next link pins the snapshot (``until``) so pages stay consistent while the clock runs,
and ``serverTime`` is the instant to pass as the next increment's ``updatedSince``.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlencode

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.http.base import Simulator
from sbt_sync.sandbox.http.bawaslu import instant_param
from sbt_sync.sandbox.http.messages import Request, Response
from sbt_sync.sandbox.http.records import VersionedRecords
from sbt_sync.sandbox.http.siasn_auth import TwoTokenAuth

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class SiasnListingSimulator(Simulator):
    """Serves one source's versioned records at ``records_path``; subclasses name the path and the
    fault endpoint."""

    records_path: ClassVar[str]

    def __init__(
        self, *, clock: SandboxClock, faults: FaultSwitches, records: VersionedRecords, auth: TwoTokenAuth
    ) -> None:
        super().__init__(clock=clock, faults=faults)
        self.records = records
        self.auth = auth
        auth.install(self)
        self.route("GET", self.records_path, self._records)

    def error_response(self, status: int, message: str) -> Response:
        return Response(status, {"code": 0, "data": message})

    def _records(self, request: Request) -> Response:
        self.auth.require(self, request)
        limit = request.int_param("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
        offset = request.int_param("offset", 0, minimum=0, maximum=10**9)
        since = instant_param(request, "updatedSince")
        now = self.clock.now()
        until = instant_param(request, "until") or now
        visible = self.records.current(min(now, until), since=since)
        headers: dict[str, str] = {"X-Total-Count": str(len(visible))}
        if offset + limit < len(visible):
            query = {"limit": limit, "offset": offset + limit, "until": until.isoformat()}
            if since is not None:
                query["updatedSince"] = since.isoformat()
            headers["Link"] = f'<{self.base_url}{self.records_path}?{urlencode(query)}>; rel="next"'
        return Response(
            200,
            {
                "data": [version.record for version in visible[offset : offset + limit]],
                "total": len(visible),
                "serverTime": now.isoformat(),
            },
            headers,
        )
