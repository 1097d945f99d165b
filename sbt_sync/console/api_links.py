"""Link corrections in the JSON API (:mod:`sbt_sync.steward.links`), for scripts: preview a correction,
record it, undo it, reopen a resolved decision. The same service and rules as the console's pages and
``sbt-sync links``; writes are audited with channel ``api``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from sbt_sync.console.api import ERRORS, NOT_FOUND, CleanText, Id, api_user
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import client_address, console
from sbt_sync.console.web_access import record as record_read
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import nips_in
from sbt_sync.steward.conflicts import ConflictNotFound
from sbt_sync.steward.links import (
    CorrectionRequest,
    correct_link,
    parse_person,
    preview_correction,
    reopen_decision,
    undo_correction,
)

router = APIRouter(prefix="/api/v1", tags=["links"])
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"description": "The correction cannot apply (no such record, same case, unknown NIP, no reason)"}
}
RecordId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class LinkChange(BaseModel):
    kind: Literal["move_record", "assign_person", "split", "merge"]
    record: RecordId = Field(
        description="The staged record corrected (for a merge: one of the case merged away)"
    )
    target_record: RecordId | None = Field(
        None, description="move_record, merge: a record of the target case"
    )
    target_nip: CleanText | None = Field(
        None, max_length=32, description="assign_person: the ASN's NIP, or 'none' (no ASN)"
    )


class LinkDecision(LinkChange):
    reason: CleanText = Field(min_length=1, max_length=2000)


class Reason(BaseModel):
    reason: CleanText = Field(min_length=1, max_length=2000)


class FlagChangeOut(BaseModel):
    nip: str = Field(description="Masked")
    name: str | None
    blocked_before: bool
    blocked_after: bool
    cases_after: list[str]


class ConsequenceOut(BaseModel):
    cases_before: dict[str, list[int]]
    cases_after: dict[str, list[int]]
    flag_changes: list[FlagChangeOut]
    held_after: list[str]


class Recorded(BaseModel):
    correction_id: int


class Reopened(BaseModel):
    conflict_id: int
    decision_id: int


def _request(body: LinkChange) -> CorrectionRequest:
    """Raises SbtError for a missing target or an unreadable NIP."""
    if body.kind in ("move_record", "merge") and body.target_record is None:
        raise SbtError(f"{body.kind} needs target_record")
    if body.kind == "assign_person" and not body.target_nip:
        raise SbtError("assign_person needs target_nip (a NIP or 'none')")
    nip = parse_person(body.target_nip) if body.kind == "assign_person" and body.target_nip else None
    return CorrectionRequest(
        body.kind, body.record, target_staged_record_id=body.target_record, target_nip=nip
    )


@router.post("/links/preview", response_model=ConsequenceOut, responses={**ERRORS, **REFUSED})
def preview(
    request: Request, body: LinkChange, me: Annotated[Principal, Depends(api_user("cases.act"))]
) -> ConsequenceOut:
    """What the correction would change at the next cycle (cases, block flags, holds); stores nothing."""
    ctx = console(request)
    try:
        consequence = preview_correction(ctx.database, ctx.settings, _request(body))
    except SbtError as exc:
        raise HTTPException(422, str(exc)) from exc
    record_read(request, me, "source_record", nips_in(consequence, body.model_dump()))
    return ConsequenceOut.model_validate(consequence.as_dict())


@router.post("/links", response_model=Recorded, responses={**ERRORS, **REFUSED})
def record(
    request: Request, body: LinkDecision, me: Annotated[Principal, Depends(api_user("cases.act"))]
) -> Recorded:
    """Record the correction (audited); the next reconciliation applies it."""
    try:
        correction = correct_link(
            console(request).database, _request(body), reason=body.reason, actor=me.username, channel="api",
            client_address=client_address(request),
        )  # fmt: skip
    except SbtError as exc:
        raise HTTPException(422, str(exc)) from exc
    return Recorded(correction_id=correction)


@router.post("/links/{correction_id}/undo", response_model=Recorded, responses={**ERRORS, **REFUSED})
def undo(
    request: Request,
    correction_id: Id,
    body: Reason,
    me: Annotated[Principal, Depends(api_user("cases.act"))],
) -> Recorded:
    """Undo a correction: the next reconciliation links its records as if it had never been made."""
    try:
        undo_correction(
            console(request).database, correction_id, reason=body.reason, actor=me.username, channel="api",
            client_address=client_address(request),
        )  # fmt: skip
    except SbtError as exc:
        raise HTTPException(422, str(exc)) from exc
    return Recorded(correction_id=correction_id)


@router.post(
    "/conflicts/{conflict_id}/reopen",
    response_model=Reopened,
    responses={**ERRORS, 404: NOT_FOUND, 422: {"description": "The conflict is not resolved"}},
)
def reopen(
    request: Request,
    conflict_id: Id,
    body: Reason,
    me: Annotated[Principal, Depends(api_user("conflicts.act"))],
) -> Reopened:
    """Reopen a resolved decision: it stops applying and the conflict waits in the queue again."""
    try:
        decision = reopen_decision(
            console(request).database, conflict_id, reason=body.reason, actor=me.username, channel="api",
            client_address=client_address(request),
        )  # fmt: skip
    except ConflictNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except SbtError as exc:
        raise HTTPException(422, str(exc)) from exc
    return Reopened(conflict_id=conflict_id, decision_id=decision)
