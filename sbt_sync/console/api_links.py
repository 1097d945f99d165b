"""Link corrections in the JSON API (:mod:`sbt_sync.steward.links`), for scripts: preview a correction,
an undo or a reopening, then confirm it with the preview's ``fingerprint``. The same service and rules
as the console's pages and ``sbt-sync links``; writes are audited with channel ``api``.

A confirmation records only the consequence that was read: without a fingerprint it is refused, and
when the consequence changed since the preview (a source re-sent a record, another decision came in)
it is refused with the consequence as it is now and its fingerprint (:mod:`sbt_sync.steward.link_confirm`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from sbt_sync.console.api import ERRORS, NOT_FOUND, CleanText, Id, api_user
from sbt_sync.console.roles import Principal
from sbt_sync.console.web import client_address, console
from sbt_sync.console.web_access import record as record_read
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import nips_in
from sbt_sync.steward.conflicts import ConflictNotFound
from sbt_sync.steward.link_confirm import (
    ConsequenceChanged,
    confirm_correction,
    confirm_reopen,
    confirm_undo,
)
from sbt_sync.steward.links import (
    Consequence,
    CorrectionRequest,
    parse_person,
    preview_correction,
    preview_reopen,
    preview_undo,
)

router = APIRouter(prefix="/api/v1", tags=["links"])
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "The correction cannot apply (no such record, same case, unknown NIP, no reason), or "
        "its consequence changed since the preview (``detail.code`` consequence_changed, "
        "``detail.consequence``: the consequence now, with its fingerprint)"
    }
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


Fingerprint = Field(
    min_length=1,
    max_length=64,
    description="The fingerprint of the preview read: refused if it changed since",
)


class LinkDecision(LinkChange):
    reason: CleanText = Field(min_length=1, max_length=2000)
    fingerprint: str = Fingerprint


class Reason(BaseModel):
    reason: CleanText = Field(min_length=1, max_length=2000)
    fingerprint: str = Fingerprint


class FlagChangeOut(BaseModel):
    nip: str = Field(description="Masked")
    name: str | None
    blocked_before: bool
    blocked_after: bool
    cases_after: list[str]
    waits_for_steward: bool = Field(
        False,
        description="An unblock SIASN will not follow by itself: SIASN held the block before ours, so "
        "the unblock is parked for a steward on the push monitor",
    )


class ConsequenceOut(BaseModel):
    cases_before: dict[str, list[int]]
    cases_after: dict[str, list[int]]
    flag_changes: list[FlagChangeOut]
    held_after: list[str]
    fingerprint: str = Field(description="Send it back to confirm this consequence")


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


def _out(consequence: Consequence) -> ConsequenceOut:
    return ConsequenceOut.model_validate({**consequence.as_dict(), "fingerprint": consequence.digest})


def _refused(request: Request, me: Principal, exc: SbtError) -> HTTPException:
    """A refusal as the API answers it: a changed consequence with the consequence now (a read)."""
    if isinstance(exc, ConsequenceChanged):
        record_read(request, me, "source_record", nips_in(exc.consequence))
        now = jsonable_encoder(_out(exc.consequence))
        return HTTPException(422, {"code": exc.code, "message": str(exc), "consequence": now})
    if isinstance(exc, ConflictNotFound):
        return HTTPException(404, str(exc))
    return HTTPException(422, str(exc))


@router.post("/links/preview", response_model=ConsequenceOut, responses={**ERRORS, **REFUSED})
def preview(
    request: Request, body: LinkChange, me: Annotated[Principal, Depends(api_user("cases.act"))]
) -> ConsequenceOut:
    """What the correction would change at the next cycle (cases, block flags, holds) and the
    fingerprint that confirms it; stores nothing."""
    ctx = console(request)
    try:
        consequence = preview_correction(ctx.database, ctx.settings, _request(body))
    except SbtError as exc:
        raise HTTPException(422, str(exc)) from exc
    record_read(request, me, "source_record", nips_in(consequence, body.model_dump()))
    return _out(consequence)


@router.post("/links", response_model=Recorded, responses={**ERRORS, **REFUSED})
def record(
    request: Request, body: LinkDecision, me: Annotated[Principal, Depends(api_user("cases.act"))]
) -> Recorded:
    """Record the correction previewed (audited); the next reconciliation applies it."""
    ctx = console(request)
    try:
        correction, _ = confirm_correction(
            ctx.database, ctx.settings, _request(body), shown=body.fingerprint, reason=body.reason,
            actor=me.username, channel="api", client_address=client_address(request),
        )  # fmt: skip
    except SbtError as exc:
        raise _refused(request, me, exc) from exc
    return Recorded(correction_id=correction)


@router.get("/links/{correction_id}/undo", response_model=ConsequenceOut, responses={**ERRORS, **REFUSED})
def undo_preview(
    request: Request, correction_id: Id, me: Annotated[Principal, Depends(api_user("cases.act"))]
) -> ConsequenceOut:
    """What undoing the correction would change at the next cycle, and the fingerprint that confirms
    it; stores nothing."""
    ctx = console(request)
    try:
        consequence = preview_undo(ctx.database, ctx.settings, correction_id)
    except SbtError as exc:
        raise HTTPException(422, str(exc)) from exc
    record_read(request, me, "source_record", nips_in(consequence))
    return _out(consequence)


@router.post("/links/{correction_id}/undo", response_model=Recorded, responses={**ERRORS, **REFUSED})
def undo(
    request: Request,
    correction_id: Id,
    body: Reason,
    me: Annotated[Principal, Depends(api_user("cases.act"))],
) -> Recorded:
    """Undo the correction previewed: the next reconciliation links its records as if it had never
    been made."""
    ctx = console(request)
    try:
        confirm_undo(
            ctx.database, ctx.settings, correction_id, shown=body.fingerprint, reason=body.reason,
            actor=me.username, channel="api", client_address=client_address(request),
        )  # fmt: skip
    except SbtError as exc:
        raise _refused(request, me, exc) from exc
    return Recorded(correction_id=correction_id)


@router.get(
    "/conflicts/{conflict_id}/reopen",
    response_model=ConsequenceOut,
    responses={**ERRORS, 404: NOT_FOUND, 422: {"description": "The conflict is not resolved"}},
)
def reopen_preview(
    request: Request, conflict_id: Id, me: Annotated[Principal, Depends(api_user("conflicts.act"))]
) -> ConsequenceOut:
    """What reopening the resolved conflict would change at the next cycle, and the fingerprint that
    confirms it; stores nothing."""
    ctx = console(request)
    try:
        consequence = preview_reopen(ctx.database, ctx.settings, conflict_id)
    except SbtError as exc:
        raise _refused(request, me, exc) from exc
    record_read(request, me, "source_record", nips_in(consequence))
    return _out(consequence)


@router.post(
    "/conflicts/{conflict_id}/reopen",
    response_model=Reopened,
    responses={**ERRORS, 404: NOT_FOUND, **REFUSED},
)
def reopen(
    request: Request,
    conflict_id: Id,
    body: Reason,
    me: Annotated[Principal, Depends(api_user("conflicts.act"))],
) -> Reopened:
    """Reopen the resolved decision previewed: it stops applying and the conflict waits in the queue
    again."""
    ctx = console(request)
    try:
        decision, _ = confirm_reopen(
            ctx.database, ctx.settings, conflict_id, shown=body.fingerprint, reason=body.reason,
            actor=me.username, channel="api", client_address=client_address(request),
        )  # fmt: skip
    except SbtError as exc:
        raise _refused(request, me, exc) from exc
    return Reopened(conflict_id=conflict_id, decision_id=decision)
