"""``/api/v1/metrics``: the operators' Prometheus metrics (:mod:`sbt_sync.metrics`), counts only.

Scraped with an API bearer token (``sbt-sync users token``) of a BKN role that may watch the push
(admin, steward, auditor); an agency viewer's token is refused, since the counts span every agency.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from sbt_sync.console.api import api_user
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import console
from sbt_sync.metrics import exposition

router = APIRouter(include_in_schema=False)


@router.get("/api/v1/metrics")
async def metrics(request: Request, me: Annotated[Principal, Depends(api_user("push.view"))]) -> Response:
    body = await run_in_threadpool(exposition, console(request).database)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
