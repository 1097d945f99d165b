"""The JSON API under ``/api/v1``: bearer-token auth, the same service layer and rules as the pages.

A token is made with ``sbt-sync users token USERNAME``; requests carry ``Authorization: Bearer <token>``.
The OpenAPI document is at ``/api/v1/openapi.json``. Writes are audited with channel ``api``; a write
whose answer shows an ASN's personal data (a case key, a quarantined value) records the read too.
``GET /api/v1/feed/block-changes`` is the ordered, cursor-paged feed of block and unblock changes
SIASN can pull (:mod:`sbt_sync.steward.feed`). An agency viewer's token gets what the pages show them:
their agency's cases and conflicts, every value as :mod:`sbt_sync.steward.scope` lets them see it.

A name, a NIP, a birth date or a staff member's username (personal data too, UU 27/2022) is never
asked for in a query string: a URL lands in the access log of every proxy in front of the console
(DESIGN.md keeps them out of logs). Searches by them post a JSON body (``POST /api/v1/cases/search``,
``POST /api/v1/registry/search``, ``POST /api/v1/conflicts/{id}/candidates``, the queue by holder
``POST /api/v1/conflicts/search``, the audit log by who acted ``POST /api/v1/audit/search``); the GET
forms refuse such a parameter with a 400 naming the POST endpoint (:func:`refuse_personal_data`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from pydantic import AfterValidator, BaseModel, Field

from sbt_sync.console.labels import error_text
from sbt_sync.console.roles import Permission, Principal
from sbt_sync.console.users import user_for_token
from sbt_sync.console.web import client_address, console, language, principal_for
from sbt_sync.console.web_access import record as record_read
from sbt_sync.errors import SbtError
from sbt_sync.pdp.access import nips_in
from sbt_sync.push.admin import outbox_status
from sbt_sync.reconcile.identity.resolve import IdentityThresholds
from sbt_sync.steward.audit import AuditFilter, list_audit
from sbt_sync.steward.cases import case_timeline, case_visible_to, list_cases
from sbt_sync.steward.conflict_detail import (
    CANDIDATE_PAGE,
    CandidateFilter,
    page_candidates,
    show_conflict,
)
from sbt_sync.steward.conflicts import (
    IDENTITY_KINDS,
    ConflictClaimed,
    ConflictFilter,
    ConflictNotFound,
    assign_conflict,
    claim_conflict,
    conflict_visible,
    list_conflicts,
)
from sbt_sync.steward.dashboard import recap_for
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.feed import block_change_feed
from sbt_sync.steward.identity_review import compare
from sbt_sync.steward.quarantine import list_quarantine, set_status
from sbt_sync.steward.registry_search import RegistryQuery, RegistrySearchError, search_registry

router = APIRouter(prefix="/api/v1", tags=["api"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Text = Annotated[str | None, Query(max_length=128)]
UNAUTHORIZED = {"description": "Missing, unknown, expired or revoked token"}
FORBIDDEN = {"description": "The token's role may not do this, or the record belongs to another agency"}
NOT_FOUND = {"description": "No such record"}
ERRORS: dict[int | str, dict[str, Any]] = {401: UNAUTHORIZED, 403: FORBIDDEN}


def api_user(permission: Permission) -> Callable[[Request], Principal]:
    def dependency(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        user = (
            user_for_token(console(request).database, token.strip()) if scheme.lower() == "bearer" else None
        )
        if user is None:
            raise HTTPException(
                401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        me = principal_for(user, console(request).settings, channel="api")
        if not me.can(permission):
            raise HTTPException(403, f"role {me.role} may not use this endpoint")
        return me

    return dependency


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    agency: str | None
    sources: list[str] | None


class Page(BaseModel):
    total: int
    items: list[dict[str, Any]]


def _storable(value: str) -> str:
    """Text a database can store: no NUL character, and valid Unicode. JSON may escape a lone UTF-16
    surrogate (``"\\ud800"``); pydantic refuses one in a required ``str`` but lets it through in an
    optional one, and no database driver can encode it (a 500 at the first query)."""
    if "\x00" in value:
        raise ValueError("a NUL character is not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text is not valid Unicode (a lone surrogate)") from None
    return value


CleanText = Annotated[str, AfterValidator(_storable)]


class Resolution(BaseModel):
    value: CleanText = Field(
        min_length=1, max_length=255, description="A NIP or 'none', a candidate value, or 'keep'"
    )
    reason: CleanText = Field(min_length=1, max_length=2000)
    allow_other: bool = Field(False, description="Accept a value that is not among the candidates")
    basis: str = Field(
        min_length=1,
        max_length=64,
        description="basis_hash of the conflict as read (GET /conflicts/{id}): a decision is refused, and "
        "the conflict as it is now returned, if it changed since",
    )


class Decided(BaseModel):
    conflict_id: int
    decision_id: int


class QuarantineChange(BaseModel):
    status: Literal["fixed_upstream", "ignored", "open"]
    reason: CleanText = Field(min_length=1, max_length=2000)


class FeedItemOut(BaseModel):
    seq: int
    nip: str
    action: Literal["blokir", "buka"]
    block_version: int
    idempotency_key: str
    cases: list[str]
    superseded: bool
    created_at: datetime
    acked_at: datetime | None
    siasn_reference: str | None


class FeedOut(BaseModel):
    items: list[FeedItemOut]
    next_cursor: int = Field(description="Pass as `after` on the next call")
    waiting_at: int | None = Field(description="The change the feed waits on (not final yet), if any")


def _aware(moment: datetime | None, name: str) -> datetime | None:
    """The query parameter ``name`` in UTC (a timestamp without an offset is read as UTC); 422 when
    its offset carries it outside the years 1 to 9999."""
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise HTTPException(
            422, f"{name} {moment.isoformat()} is outside the years 1 to 9999 in UTC"
        ) from None


PERSONAL_DATA_IN_URL: dict[int | str, dict[str, Any]] = {
    400: {"description": "A name, a NIP, a birth date or a staff username was given in the query string "
                         "(``detail.code`` personal_data_in_url): send it in the body of the POST endpoint "
                         "``detail.use`` names"}
}  # fmt: skip


def refuse_personal_data(request: Request, names: Sequence[str], use: str) -> None:
    """A 400 when the query string carries any of ``names`` (a name, a NIP, a birth date): they go in
    the body of ``use`` instead. The URL has reached the proxies' logs already; refusing it makes a
    script move to the POST endpoint rather than keep writing personal data into them. Said in the
    console's language (``err.personal_data_in_url``), with the code and the endpoint for scripts."""
    given = sorted(n for n in names if n in request.query_params)
    if not given:
        return
    refusal = SbtError(
        f"{', '.join(given)} may not be sent in a URL (it lands in proxy logs): use {use} with a JSON body",
        code="personal_data_in_url", parameters=", ".join(given), use=use,
    )  # fmt: skip
    raise HTTPException(400, {"code": refusal.code, "message": error_text(refusal, language(request)),
                              "parameters": given, "use": use})  # fmt: skip


def _refuse_unseen(request: Request, me: Principal, conflict_id: int) -> None:
    database = console(request).database
    if not conflict_visible(database, conflict_id, None):
        raise HTTPException(404, f"no conflict with id {conflict_id}")
    if not conflict_visible(database, conflict_id, me.sources):
        raise HTTPException(403, "the conflict belongs to another agency")


@router.get("/me", response_model=Me, responses=ERRORS)
def me(me: Annotated[Principal, Depends(api_user("dashboard.view"))]) -> Me:
    return Me(
        username=me.username,
        display_name=me.display_name,
        role=me.role,
        agency=me.agency,
        sources=list(me.sources) if me.sources is not None else None,
    )


@router.get("/recap", responses=ERRORS)
def recap(request: Request, me: Annotated[Principal, Depends(api_user("dashboard.view"))]) -> dict[str, Any]:
    """The recap per election event and in total (the form of BKN's published table): national, or
    for an agency viewer over the cases their agency's records are in."""
    return recap_for(console(request).database, me.sources).as_dict()


ConflictStatusChoice = Literal["open", "resolved", "auto_closed", "all"]
ConflictKindChoice = Literal[
    "identity", "name_mismatch", "unresolved", "critical_field", "lifecycle", "ambiguous_link", "named_other"
]
ConflictSort = Literal["priority", "due"]
NOBODY = "-"
"""The holder filter for the conflicts nobody handles: not a username, so a GET may carry it."""
CONFLICT_SEARCH = "POST /api/v1/conflicts/search"


class ConflictSearch(BaseModel):
    status: ConflictStatusChoice = "open"
    kind: ConflictKindChoice | None = None
    agency: CleanText | None = Field(None, max_length=128)
    kanreg: CleanText | None = Field(None, max_length=128)
    assignee: CleanText | None = Field(
        None,
        max_length=64,
        description="A username (the conflicts they handle), or '-' (nobody handles)",
    )
    case: CleanText | None = Field(
        None,
        max_length=128,
        description="The conflicts of the cases this finds: a case key, a NIP, a register or "
        "recommendation number, or the name of someone a record names (titles and order aside)",
    )
    sort: ConflictSort = "priority"
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get("/conflicts", response_model=Page, responses={**ERRORS, **PERSONAL_DATA_IN_URL})
def conflicts(
    request: Request,
    me: Annotated[Principal, Depends(api_user("conflicts.view"))],
    status: ConflictStatusChoice = "open",
    kind: ConflictKindChoice | None = None,
    agency: Text = None,
    kanreg: Text = None,
    assignee: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Only '-': the conflicts nobody handles. A username (personal data) is refused "
            f"here (400): the conflicts someone handles are found with {CONFLICT_SEARCH}",
        ),
    ] = None,
    sort: ConflictSort = "priority",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page:
    """The queue, by ``sort``: ``priority`` puts the conflicts holding a case that awaits the PPK's
    follow-up first, then those holding any other case, then the rest (:mod:`sbt_sync.steward.conflicts`).
    The conflicts a given person handles: ``POST /api/v1/conflicts/search`` (a username stays out of
    URLs); ``assignee=-`` (nobody handles them) is answered here."""
    if assignee not in (None, NOBODY):
        refuse_personal_data(request, ("assignee",), CONFLICT_SEARCH)
    search = ConflictSearch(status=status, kind=kind, agency=agency, kanreg=kanreg, assignee=assignee,
                            sort=sort, limit=limit, offset=offset)  # fmt: skip
    return _conflicts(request, me, search)


@router.post("/conflicts/search", response_model=Page, responses=ERRORS)
def conflicts_search(
    request: Request, body: ConflictSearch, me: Annotated[Principal, Depends(api_user("conflicts.view"))]
) -> Page:
    """The queue filtered as ``GET /api/v1/conflicts`` filters it, and by who handles the conflicts
    (``assignee``: a username in the body, never in a URL; '-' for nobody); an agency viewer's token
    finds only their agency's conflicts. Changes nothing."""
    return _conflicts(request, me, body)


def _conflicts(request: Request, me: Principal, body: ConflictSearch) -> Page:
    status, assignee = body.status, body.assignee
    filters = ConflictFilter(status=None if status == "all" else status, kind=body.kind, agency=body.agency,
                             kanreg=body.kanreg, assignee=assignee, case_text=body.case,
                             sources=me.sources)  # fmt: skip
    total, rows = list_conflicts(
        console(request).database, filters=filters, sort=body.sort, limit=body.limit, offset=body.offset
    )
    record_read(request, me, "search", nips_in(rows), filter={"what": "conflicts", "status": status,
                "kind": body.kind, "agency": body.agency, "kanreg": body.kanreg, "assignee": assignee,
                "case": bool(body.case), "sort": body.sort, "offset": body.offset})  # fmt: skip
    return Page(total=total, items=[asdict(r) for r in rows])


@router.get("/conflicts/{conflict_id}", responses={**ERRORS, **PERSONAL_DATA_IN_URL, 404: NOT_FOUND})
def conflict(
    request: Request,
    conflict_id: Id,
    me: Annotated[Principal, Depends(api_user("conflicts.view"))],
    page: Annotated[
        int, Query(ge=1, le=100_000, description=f"Candidates page ({CANDIDATE_PAGE} a page)")
    ] = 1,
    instansi: Annotated[str, Query(max_length=128, description="Candidates of this instansi")] = "",
    kanreg: Annotated[str, Query(max_length=8, description="Candidates of this Kanreg")] = "",
) -> dict[str, Any]:
    """One conflict with a page of its candidates (``candidate_page`` says which), the case, the
    decisions and the ``basis_hash`` a decision on it must carry. Only the page returned is recorded
    as read. Candidates by birth date: ``POST /api/v1/conflicts/{id}/candidates`` (``birth=`` here is
    refused: a birth date is never put in a URL)."""
    refuse_personal_data(request, ("birth",), f"POST /api/v1/conflicts/{conflict_id}/candidates")
    _refuse_unseen(request, me, conflict_id)
    return _conflict_page(request, me, conflict_id, CandidateFilter("", instansi, kanreg, page))


class CandidateQuery(BaseModel):
    """Which of an identity conflict's candidates to return (all of them, a page at a time, when empty)."""

    birth: CleanText = Field("", max_length=10, description="Candidates born on this day, year or month")
    instansi: CleanText = Field("", max_length=128, description="Candidates of this instansi")
    kanreg: CleanText = Field("", max_length=8, description="Candidates of this Kanreg")
    page: int = Field(1, ge=1, le=100_000, description=f"Candidates page ({CANDIDATE_PAGE} a page)")


@router.post("/conflicts/{conflict_id}/candidates", responses={**ERRORS, 404: NOT_FOUND})
def conflict_candidates(
    request: Request,
    conflict_id: Id,
    body: CandidateQuery,
    me: Annotated[Principal, Depends(api_user("conflicts.view"))],
) -> dict[str, Any]:
    """``GET /api/v1/conflicts/{id}`` with its candidates narrowed by the body (a birth date stays out
    of the URL); reads nothing else and changes nothing. Only the page returned is recorded as read."""
    _refuse_unseen(request, me, conflict_id)
    chosen = CandidateFilter(body.birth, body.instansi, body.kanreg, body.page)
    return _conflict_page(request, me, conflict_id, chosen)


def _conflict_page(
    request: Request, me: Principal, conflict_id: int, chosen: CandidateFilter
) -> dict[str, Any]:
    thresholds = IdentityThresholds.from_settings(console(request).settings.identity)
    detail = show_conflict(console(request).database, conflict_id, thresholds=thresholds, sources=me.sources)
    cpage = page_candidates(detail, chosen) if detail.summary.kind in IDENTITY_KINDS else None
    record_read(request, me, "conflict", nips_in(detail))
    return {**detail.as_dict(), "candidate_page": None if cpage is None else asdict(cpage)}


@router.post(
    "/conflicts/{conflict_id}/resolve",
    response_model=Decided,
    responses={**ERRORS, 404: NOT_FOUND, 409: {"description": "Claimed by another user"},
               422: {"description": "The value cannot decide this conflict, or the conflict changed since "
                                    "it was read (``detail.code`` conflict_changed, ``detail.conflict``: "
                                    "the conflict now)"}},
)  # fmt: skip
def resolve(
    request: Request,
    conflict_id: Id,
    body: Resolution,
    me: Annotated[Principal, Depends(api_user("conflicts.act"))],
) -> Decided:
    _refuse_unseen(request, me, conflict_id)
    try:
        decision = resolve_conflict(
            console(request).database, conflict_id, value=body.value, reason=body.reason, actor=me.username,
            channel="api", allow_other=body.allow_other, client_address=client_address(request),
            override_claim=me.role == "admin", basis_seen=body.basis,
        )  # fmt: skip
    except ConflictNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except ConflictClaimed as exc:
        raise HTTPException(409, str(exc)) from exc
    except SbtError as exc:
        if exc.code == "conflict_changed":
            now = _conflict_page(request, me, conflict_id, CandidateFilter())
            said = (
                f"conflict {conflict_id} changed since it was shown (its basis is no longer the one "
                "sent): nothing was recorded; read it again and decide on what it says now"
            )
            raise HTTPException(
                422, jsonable_encoder({"code": exc.code, "message": said, "conflict": now})
            ) from exc
        raise HTTPException(422, str(exc)) from exc
    return Decided(conflict_id=conflict_id, decision_id=decision)


@router.post(
    "/conflicts/{conflict_id}/claim", responses={**ERRORS, 404: NOT_FOUND, 409: {"description": "Claimed"}}
)
def claim(
    request: Request,
    conflict_id: Id,
    me: Annotated[Principal, Depends(api_user("conflicts.act"))],
    release: bool = False,
) -> dict[str, Any]:
    """Claim the conflict for the token's user (``release=true`` gives it back)."""
    _refuse_unseen(request, me, conflict_id)
    try:
        summary = claim_conflict(
            console(request).database, conflict_id, actor=me.username, claim=not release,
            force=me.role == "admin", channel="api", client_address=client_address(request),
        )  # fmt: skip
    except ConflictClaimed as exc:
        raise HTTPException(409, str(exc)) from exc
    except SbtError as exc:
        raise HTTPException(409, str(exc)) from exc
    record_read(request, me, "conflict", nips_in(summary))  # the answer's case key names the ASN
    return asdict(summary)


class Assignment(BaseModel):
    assignee: CleanText | None = Field(
        default=None, max_length=64, description="A steward's or admin's username; null releases the conflict"
    )


@router.post(
    "/conflicts/{conflict_id}/assign",
    responses={**ERRORS, 404: NOT_FOUND, 409: {"description": "Held by another user"},
               422: {"description": "No active steward or admin of that name, or the conflict is closed"}},
)  # fmt: skip
def assign(
    request: Request,
    conflict_id: Id,
    body: Assignment,
    me: Annotated[Principal, Depends(api_user("conflicts.act"))],
) -> dict[str, Any]:
    """Give the conflict to a steward or admin (the token's user: a claim), or to nobody (null); the
    holder, whoever assigned it and an admin may move it. Audited."""
    _refuse_unseen(request, me, conflict_id)
    try:
        summary = assign_conflict(
            console(request).database, conflict_id, actor=me.username, assignee=body.assignee,
            force=me.role == "admin", channel="api", client_address=client_address(request),
        )  # fmt: skip
    except ConflictNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except ConflictClaimed as exc:
        raise HTTPException(409, str(exc)) from exc
    except SbtError as exc:
        raise HTTPException(422, str(exc)) from exc
    record_read(request, me, "conflict", nips_in(summary))  # the answer's case key names the ASN
    return asdict(summary)


REGISTRY_SEARCH = "POST /api/v1/registry/search"
REGISTRY_PERSONAL = ("name", "nip", "birth_date")


@router.get(
    "/registry/search",
    responses={**ERRORS, **PERSONAL_DATA_IN_URL, 422: {"description": "Nothing to search by"}},
)
def registry_search_in_url(
    request: Request,
    me: Annotated[Principal, Depends(api_user("conflicts.act"))],
    instansi: Text = None,
    conflict_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[dict[str, Any]]:
    """Kept so that an old script is told in words what to do: a search by ``name``, ``nip`` or
    ``birth_date`` is refused (400) and goes to ``POST /api/v1/registry/search`` with a JSON body."""
    refuse_personal_data(request, REGISTRY_PERSONAL, REGISTRY_SEARCH)
    return _registry_search(
        request, me, RegistrySearch(instansi=instansi, conflict_id=conflict_id, limit=limit)
    )


class RegistrySearch(BaseModel):
    """What to look for in the ASN registry: at least a name, a NIP (or its first digits) or a birth
    date; the instansi narrows."""

    name: CleanText | None = Field(None, max_length=128, description="Any spelling, titles, word order")
    nip: CleanText | None = Field(None, max_length=128, description="A NIP or its first digits")
    birth_date: date | None = None
    instansi: CleanText | None = Field(None, max_length=128, description="Part of its name or its id")
    conflict_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="Compare each ASN found with this conflict's row"
    )
    limit: int = Field(20, ge=1, le=50)


@router.post(
    "/registry/search", responses={**ERRORS, 422: {"description": "Nothing to search by, or a bad NIP"}}
)
def registry_search(
    request: Request, body: RegistrySearch, me: Annotated[Principal, Depends(api_user("conflicts.act"))]
) -> list[dict[str, Any]]:
    """ASN in the registry by name (any spelling, titles, order), NIP or its first digits, birth date and
    instansi; with ``conflict_id``, each is compared field by field with that conflict's row. The
    terms travel in the body, never in a URL; the read is recorded with the NIPs returned, not the
    terms."""
    return _registry_search(request, me, body)


def _registry_search(request: Request, me: Principal, body: RegistrySearch) -> list[dict[str, Any]]:
    name, nip, birth_date, instansi = body.name, body.nip, body.birth_date, body.instansi
    conflict_id, limit = body.conflict_id, body.limit
    database = console(request).database
    thresholds = IdentityThresholds.from_settings(console(request).settings.identity)
    try:
        hits = search_registry(
            database, RegistryQuery(name, nip, birth_date, instansi), thresholds=thresholds, limit=limit
        )
    except RegistrySearchError as exc:
        raise HTTPException(422, {"code": exc.code, "message": str(exc)}) from exc
    source = None
    if conflict_id is not None:
        _refuse_unseen(request, me, conflict_id)
        source = show_conflict(database, conflict_id, thresholds=thresholds).source
    record_read(request, me, "search", nips_in(hits, source), filter={"what": "registry",
                "conflict_id": conflict_id, "limit": limit})  # fmt: skip
    return [
        {
            **asdict(h),
            "titles": sorted(h.titles),
            "matches": compare(source, h, thresholds) if source else None,
        }
        for h in hits
    ]


CASE_SEARCH = "POST /api/v1/cases/search"


@router.get("/cases", response_model=Page, responses={**ERRORS, **PERSONAL_DATA_IN_URL})
def cases(
    request: Request,
    me: Annotated[Principal, Depends(api_user("cases.view"))],
    status: Text = None,
    kanreg: Text = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page:
    """Cases by status and Kanreg. A search by NIP, name or number (``q=``) is refused here (400): it
    goes to ``POST /api/v1/cases/search`` with a JSON body."""
    refuse_personal_data(request, ("q",), CASE_SEARCH)
    return _cases(request, me, CaseSearch(status=status, kanreg=kanreg, limit=limit, offset=offset))


class CaseSearch(BaseModel):
    q: CleanText | None = Field(
        None, max_length=128, description="A NIP (or part), a name, a case key, a register or SK number"
    )
    status: CleanText | None = Field(None, max_length=128)
    kanreg: CleanText | None = Field(None, max_length=128)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.post("/cases/search", response_model=Page, responses=ERRORS)
def cases_search(
    request: Request, body: CaseSearch, me: Annotated[Principal, Depends(api_user("cases.view"))]
) -> Page:
    """Cases found by ``q`` (a NIP, a name, a number: in the body, never in a URL) and filtered by
    status and Kanreg; an agency viewer's token finds only their agency's cases. Changes nothing."""
    return _cases(request, me, body)


def _cases(request: Request, me: Principal, body: CaseSearch) -> Page:
    q, status, kanreg, limit, offset = body.q, body.status, body.kanreg, body.limit, body.offset
    total, rows = list_cases(
        console(request).database, search=q, status=status, kanreg=kanreg, sources=me.sources, limit=limit,
        offset=offset,
    )  # fmt: skip
    record_read(request, me, "search", [r.nip for r in rows], filter={"what": "cases", "status": status,
                "kanreg": kanreg, "search": bool(q), "limit": limit, "offset": offset})  # fmt: skip
    return Page(total=total, items=[asdict(r) for r in rows])


@router.get("/cases/{case_id}", responses={**ERRORS, 404: NOT_FOUND})
def case(
    request: Request, case_id: Id, me: Annotated[Principal, Depends(api_user("cases.view"))]
) -> dict[str, Any]:
    database = console(request).database
    timeline = case_timeline(database, case_id, sources=me.sources)
    if timeline is None:
        raise HTTPException(404, f"no case with id {case_id}")
    if not case_visible_to(database, case_id, me.sources):
        raise HTTPException(403, "the case belongs to another agency")
    record_read(request, me, "case", [timeline.case.nip, *(r["nip_as_written"] for r in timeline.records)])
    return asdict(timeline)


@router.get("/quarantine", response_model=Page, responses=ERRORS)
def quarantine(
    request: Request,
    me: Annotated[Principal, Depends(api_user("quarantine.view"))],
    source: Text = None,
    status: Literal["open", "fixed_upstream", "ignored", "superseded", "all"] = "open",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page:
    if source and not me.sees_source(source):
        raise HTTPException(403, "the source belongs to another agency")
    total, rows, _ = list_quarantine(
        console(request).database, source=source, status=None if status == "all" else status,
        sources=me.sources, limit=limit, offset=offset,
    )  # fmt: skip
    record_read(request, me, "quarantine", nips_in(rows), filter={
                "source": source, "status": status, "limit": limit, "offset": offset})  # fmt: skip
    return Page(total=total, items=[asdict(r) for r in rows])


@router.post(
    "/quarantine/{row_id}/status", responses={**ERRORS, 404: NOT_FOUND, 422: {"description": "Refused"}}
)
def quarantine_status(
    request: Request,
    row_id: Id,
    body: QuarantineChange,
    me: Annotated[Principal, Depends(api_user("quarantine.act"))],
) -> dict[str, Any]:
    try:
        row = set_status(
            console(request).database, row_id, status=body.status, reason=body.reason, actor=me.username,
            sources=me.sources, channel="api", client_address=client_address(request),
        )  # fmt: skip
    except SbtError as exc:
        code = 404 if "no quarantined row" in str(exc) else 422
        raise HTTPException(code, str(exc)) from exc
    record_read(request, me, "quarantine", nips_in(row))  # the answer shows the row as the source sent it
    return asdict(row)


@router.get("/push/status", responses=ERRORS)
def push_status(request: Request, me: Annotated[Principal, Depends(api_user("push.view"))]) -> dict[str, Any]:
    """Outbox rows per state, approvals waiting, parked rows (sample) and the latest readback's drift."""
    with console(request).database.session() as session:
        status = outbox_status(session)
    record_read(request, me, "asn", nips_in(status))  # parked rows name their ASN
    return status


@router.get("/feed/block-changes", response_model=FeedOut, responses=ERRORS)
def feed(
    request: Request,
    me: Annotated[Principal, Depends(api_user("feed.view"))],
    after: Annotated[
        int, Query(ge=0, le=2**62, description="The cursor: the last `seq` read (0 to start)")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FeedOut:
    """Block (blokir) and unblock (buka) changes in order, each final (acknowledged or superseded)."""
    page = block_change_feed(console(request).database, after=after, limit=limit)
    record_read(request, me, "feed", [i.nip for i in page.items], filter={"after": after, "limit": limit})
    return FeedOut(
        items=[FeedItemOut(**asdict(i)) for i in page.items],
        next_cursor=page.next_cursor,
        waiting_at=page.waiting_at,
    )


AUDIT_SEARCH = "POST /api/v1/audit/search"


class AuditSearch(BaseModel):
    actor: CleanText | None = Field(None, max_length=128, description="The username of who acted")
    action: CleanText | None = Field(None, max_length=128, description="An action, or its beginning")
    object_type: CleanText | None = Field(None, max_length=128)
    object_id: CleanText | None = Field(
        None, max_length=128, description="The object's id (a user's is their username)"
    )
    since: datetime | None = Field(None, description="From this moment (UTC when it has no offset)")
    until: datetime | None = Field(None, description="Before this moment (UTC when it has no offset)")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get("/audit", response_model=Page, responses={**ERRORS, **PERSONAL_DATA_IN_URL})
def audit(
    request: Request,
    me: Annotated[Principal, Depends(api_user("audit.view"))],
    action: Text = None,
    object_type: Text = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page:
    """The audit log by action, object type and time. Who acted (``actor=``) and an object's id
    (``object_id=``: a user's is their username) are refused here (400): they go to
    ``POST /api/v1/audit/search`` with a JSON body."""
    refuse_personal_data(request, ("actor", "object_id"), AUDIT_SEARCH)
    search = AuditSearch(action=action, object_type=object_type, since=since, until=until, limit=limit,
                         offset=offset)  # fmt: skip
    return _audit(request, me, search)


@router.post("/audit/search", response_model=Page, responses=ERRORS)
def audit_search(
    request: Request, body: AuditSearch, me: Annotated[Principal, Depends(api_user("audit.view"))]
) -> Page:
    """The audit log filtered by who acted, the action, the object and time (the usernames in the
    body, never in a URL). Changes nothing but the record of the read."""
    return _audit(request, me, body)


def _audit(request: Request, me: Principal, body: AuditSearch) -> Page:
    filters = AuditFilter(actor=body.actor, action=body.action, object_type=body.object_type,
                          object_id=body.object_id, since=_aware(body.since, "since"),
                          until=_aware(body.until, "until"))  # fmt: skip
    total, rows = list_audit(console(request).database, filters, limit=body.limit, offset=body.offset)
    record_read(request, me, "audit", nips_in(rows), filter={"limit": body.limit, "offset": body.offset})
    return Page(total=total, items=rows)
