"""``sbt-sync conflicts``: the stewards' conflict queue from the command line."""

from __future__ import annotations

import getpass
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, NoReturn

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import Database
from sbt_sync.pdp.access import nips_in, record_cli_read
from sbt_sync.reconcile.identity.resolve import IdentityThresholds
from sbt_sync.states.conflicts import ConflictKind, ConflictStatus
from sbt_sync.steward.conflict_detail import (
    CANDIDATE_PAGE,
    CandidateFilter,
    CandidatePage,
    ConflictDetail,
    page_candidates,
    show_conflict,
)
from sbt_sync.steward.conflicts import (
    IDENTITY_KINDS,
    SORTS,
    UNASSIGNED,
    ConflictFilter,
    InvalidDecision,
    assign_conflict,
    list_conflicts,
)
from sbt_sync.steward.decisions import BULK_MAX, BulkChoice, bulk_resolve, resolve_conflict
from sbt_sync.steward.identity_review import PROFILE_FIELDS, compare
from sbt_sync.steward.registry_search import RegistryQuery, search_registry
from schemas.nip import mask_nip

app = typer.Typer(help="List, inspect and resolve reconciliation conflicts.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _database(ctx: typer.Context) -> tuple[Database, IdentityThresholds]:
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    return database, IdentityThresholds.from_settings(settings.identity)


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help=f"{', '.join(ConflictStatus)} or all.")] = ConflictStatus.OPEN,
    kind: Annotated[str | None, typer.Option(help=f"{', '.join(ConflictKind)}.")] = None,
    agency: Annotated[str | None, typer.Option(help="Only conflicts raised on this source's rows.")] = None,
    kanreg: Annotated[str | None, typer.Option(help="Only conflicts whose case is in this Kanreg.")] = None,
    assignee: Annotated[
        str | None, typer.Option(help=f"Only conflicts this user handles ('{UNASSIGNED}': nobody).")
    ] = None,
    case: Annotated[
        str | None,
        typer.Option(
            "--case",
            help="Only the conflicts of the cases found by this text: a case key, a NIP, a register or "
            "recommendation number, or the name of someone a record names (titles and order aside).",
        ),
    ] = None,
    sort: Annotated[
        str, typer.Option(help="priority (held cases awaiting the PPK first) or due.")
    ] = "priority",
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonFlag = False,
) -> None:
    """The conflict queue, most urgent first; an identity conflict shows the case its row joined."""
    if sort not in SORTS:
        raise typer.BadParameter(f"use one of {', '.join(SORTS)}", param_hint="--sort")
    database, _ = _database(ctx)
    filters = ConflictFilter(status=None if status == "all" else status, kind=kind, agency=agency,
                             kanreg=kanreg, assignee=assignee, case_text=case)  # fmt: skip
    total, page = list_conflicts(database, filters=filters, sort=sort, limit=limit, offset=offset)
    record_cli_read(state(ctx).settings(), database, "search", nips_in(page), target=ctx.command_path,
                    filter={"what": "conflicts", "status": status, "kind": kind, "agency": agency,
                            "kanreg": kanreg, "assignee": assignee, "case": bool(case), "sort": sort,
                            "limit": limit, "offset": offset})  # fmt: skip
    database.dispose()
    if as_json:
        emit_json({"total": total, "offset": offset, "conflicts": [vars(c) for c in page]})
        return
    typer.echo(f"{total} conflicts ({status}); showing {len(page)} from {offset}")
    for c in page:
        due = c.due_at.date().isoformat() if c.due_at else "-"
        subject = f"{c.case_key} (Kanreg {c.kanreg or '-'})" if c.case_key else c.agency or "-"
        holder = c.claimed_by or "-"
        typer.echo(
            f"{c.id:>7}  P{c.priority}  {c.kind:<15} {c.field or '-':<22} due {due}  {c.status:<11} "
            f"{holder:<12} {subject}"
        )


CandidatePageOption = Annotated[
    int, typer.Option("--page", min=1, help=f"Page of the candidates ({CANDIDATE_PAGE} a page).")
]
BirthFilter = Annotated[
    str, typer.Option("--birth", help="Candidates born on this day or in this year/month.")
]
InstansiFilter = Annotated[str, typer.Option("--instansi", help="Candidates of this instansi (id or name).")]
KanregFilter = Annotated[str, typer.Option("--kanreg", help="Candidates of this Kanreg.")]


def _shown(
    ctx: typer.Context,
    database: Database,
    thresholds: IdentityThresholds,
    conflict_id: int,
    chosen: CandidateFilter,
) -> tuple[ConflictDetail, CandidatePage | None]:
    """The conflict as the CLI shows it: an identity conflict's candidates cut to one page (as the
    console does), and the read of what is shown recorded (only that page's candidates)."""
    detail = show_conflict(database, conflict_id, thresholds=thresholds)
    page = page_candidates(detail, chosen) if detail.summary.kind in IDENTITY_KINDS else None
    filters = {
        "page": chosen.page,
        "birth": chosen.birth,
        "instansi": chosen.instansi,
        "kanreg": chosen.kanreg,
    }
    record_cli_read(state(ctx).settings(), database, "conflict", nips_in(detail), target=ctx.command_path,
                    filter={"what": "conflict", **{k: v for k, v in filters.items() if v}})  # fmt: skip
    return detail, page


def _as_json(detail: ConflictDetail, page: CandidatePage | None) -> dict[str, Any]:
    return {**detail.as_dict(), "candidate_page": None if page is None else asdict(page)}


@app.command()
def show(
    ctx: typer.Context,
    conflict_id: Annotated[int, typer.Argument()],
    page: CandidatePageOption = 1,
    birth: BirthFilter = "",
    instansi: InstansiFilter = "",
    kanreg: KanregFilter = "",
    as_json: JsonFlag = False,
) -> None:
    """One conflict: its candidates side by side with the row (a page of them), the case it is about,
    its decisions, and the basis a decision on it must carry (``resolve --basis``)."""
    database, thresholds = _database(ctx)
    detail, cpage = _shown(
        ctx, database, thresholds, conflict_id, CandidateFilter(birth, instansi, kanreg, page)
    )
    database.dispose()
    if as_json:
        emit_json(_as_json(detail, cpage))
        return
    _echo_detail(detail, cpage)


def _echo_detail(detail: ConflictDetail, cpage: CandidatePage | None) -> None:
    s = detail.summary
    typer.echo(f"conflict {s.id}: {s.kind} on {s.field or '-'} ({s.status}, priority {s.priority})")
    if s.reopened_reason:
        typer.echo(f"  reopened: {s.reopened_reason}")
    if detail.record:
        r = detail.record
        typer.echo(
            f"  record {r['source']} {r['record_key']} item {r['item_no']}: NIP as written "
            f"{mask_nip(r['nip_as_written']) if r['nip_as_written'] else '-'}, name {r['name']!r}, "
            f"instansi {r['instansi']!r}"
        )
    if detail.case:
        typer.echo(f"  case {detail.case['case_key']} ({detail.case['status']}, held {detail.case['held']})")
    if s.kind in IDENTITY_KINDS:
        _echo_identity(detail, cpage)
    else:
        typer.echo("  candidates:")
        for c in detail.candidates:
            rule = f", chosen by {c['rule']}" if c.get("golden") else ""
            typer.echo(f"    {c.get('source')}: {c.get('value')!r} (record {c.get('record_key', '?')}{rule})")
    for d in detail.decisions:
        holds = "holds" if d["still_holds"] else "no longer holds"
        typer.echo(f"  decision {d['id']} at {d['decided_at']}: {d['decision']} ({holds}): {d['reason']}")
    if s.status == ConflictStatus.OPEN:
        typer.echo(
            f"  basis {detail.basis_hash}: decide with `conflicts resolve {s.id} --basis {detail.basis_hash}`"
        )


@app.command()
def assign(
    ctx: typer.Context,
    conflict_id: Annotated[int, typer.Argument()],
    user: Annotated[
        str | None, typer.Argument(help="The steward or admin who handles it; leave out with --release.")
    ] = None,
    release: Annotated[bool, typer.Option("--release", help="Leave the conflict to nobody.")] = False,
    by: Annotated[str | None, typer.Option(help="Who assigns (default: the OS user).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Take it from a colleague who holds it (an admin's override).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Assign a conflict to a steward (a claim when USER is you), reassign it, or release it; audited."""
    if (user is None) != release:
        raise typer.BadParameter("name a USER, or pass --release alone", param_hint="USER")
    database, _ = _database(ctx)
    actor = by or getpass.getuser()
    summary = assign_conflict(database, conflict_id, actor=actor, assignee=user, force=force, channel="cli")
    database.dispose()
    if as_json:
        emit_json({"conflict_id": conflict_id, "claimed_by": summary.claimed_by, "assigned_by": actor})
    elif summary.claimed_by:
        typer.echo(f"conflict {conflict_id} is handled by {summary.claimed_by} (assigned by {actor})")
    else:
        typer.echo(f"conflict {conflict_id} is released: nobody handles it")


@app.command()
def resolve(
    ctx: typer.Context,
    conflict_id: Annotated[int, typer.Argument()],
    value: Annotated[
        str, typer.Option(help="A candidate NIP or 'none' (identity); a candidate value; 'keep'.")
    ],
    reason: Annotated[str, typer.Option(help="Why; kept in the audit log.")],
    basis: Annotated[
        str,
        typer.Option(
            "--basis",
            help="The conflict's basis as you read it (`conflicts show`, its basis_hash with --json): "
            "the decision is refused if the conflict changed since.",
        ),
    ],
    by: Annotated[str | None, typer.Option(help="Who decides (default: the OS user).")] = None,
    other: Annotated[bool, typer.Option("--other", help="Allow a value no source offered.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Decide a conflict as you read it; the next reconciliation applies it, and every later one while
    it holds. Refused, with the conflict as it is now, when it changed since you read it."""
    database, thresholds = _database(ctx)
    actor = by or getpass.getuser()
    try:
        decision_id = resolve_conflict(
            database, conflict_id, value=value, reason=reason, actor=actor, allow_other=other,
            basis_seen=basis.strip(),
        )  # fmt: skip
    except InvalidDecision as exc:
        if exc.code != "conflict_changed":
            raise
        _refuse_changed(ctx, database, thresholds, conflict_id, exc, as_json=as_json)
    database.dispose()
    if as_json:
        emit_json({"conflict_id": conflict_id, "decision_id": decision_id, "by": actor})
    else:
        typer.echo(
            f"conflict {conflict_id} resolved by {actor} (decision {decision_id}); applied at the next run"
        )


def _refuse_changed(
    ctx: typer.Context,
    database: Database,
    thresholds: IdentityThresholds,
    conflict_id: int,
    exc: InvalidDecision,
    *,
    as_json: bool,
) -> NoReturn:
    """Say that the conflict changed since it was read, nothing was recorded, and show it as it is now
    (with its new basis); exit 1."""
    detail, cpage = _shown(ctx, database, thresholds, conflict_id, CandidateFilter())
    database.dispose()
    said = (
        f"conflict {conflict_id} changed since you read it (the row or what the sources say is not what "
        "you decided on): nothing was recorded. This is the conflict now; decide again on it."
    )
    if as_json:
        emit_json({"refused": {"code": exc.code, "message": said}, "conflict": _as_json(detail, cpage)})
    else:
        typer.echo(said)
        _echo_detail(detail, cpage)
    raise typer.Exit(1)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _person(label: str, person: dict[str, Any], matches: dict[str, bool | None] | None) -> None:
    """One person of the side by side: each field, and whether it matches the row (= / ≠)."""
    marks = {True: " =", False: " ≠", None: ""}
    fields = "; ".join(
        f"{f} {_cell(person.get(f))}{marks[(matches or {}).get(f)]}" for f in PROFILE_FIELDS if f in person
    )
    typer.echo(f"    {label}  {fields}")


def _echo_identity(detail: ConflictDetail, cpage: CandidatePage | None) -> None:
    if detail.source is not None:
        _person("row               ", detail.source, None)
    if cpage is not None and (cpage.paged or cpage.matching != cpage.offered):
        typer.echo(
            f"  candidates {cpage.first}-{cpage.last} of {cpage.matching} (of {cpage.offered} offered), "
            f"page {cpage.page} of {cpage.pages}: --page N for another, --birth/--instansi/--kanreg to narrow"
        )
    if not detail.candidates:
        if cpage is not None and cpage.offered:
            typer.echo("  no candidate matches the filters")
        else:
            typer.echo(
                "  no candidate: search the registry (sbt-sync conflicts search) or resolve with 'none'"
            )
    for c in detail.candidates:
        tie = " TIE" if c.get("tie") else ""
        _person(f"{c['nip']} {c.get('score') or 0:.2f}{tie}", c, c.get("matches"))
    if detail.top_refusal == "tie":
        typer.echo("  the top candidates tie: choose one yourself (bulk 'top' skips this conflict)")
    elif detail.top_refusal == "disagrees":
        typer.echo(f"  the top candidate differs from the row on {', '.join(detail.top_refusal_fields)}")


@app.command()
def search(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="Any spelling, with or without titles, any order.")] = None,
    nip: Annotated[str | None, typer.Option(help="The full NIP or its first digits.")] = None,
    birth_date: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD.")] = None,
    instansi: Annotated[str | None, typer.Option(help="An instansi id or part of its name.")] = None,
    conflict: Annotated[
        int | None, typer.Option(help="Compare each person found with this identity conflict's row.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Search the ASN registry for the person a row names; link with `conflicts resolve --value NIP`."""
    database, thresholds = _database(ctx)
    query = RegistryQuery(name, nip, birth_date.date() if birth_date else None, instansi)
    hits = search_registry(database, query, thresholds=thresholds, limit=limit)
    source = show_conflict(database, conflict).source if conflict is not None else None
    # The NIPs shown, not the terms searched by (a name, a birth date), as the API records it.
    record_cli_read(state(ctx).settings(), database, "search", nips_in(hits, source), target=ctx.command_path,
                    filter={"what": "registry", "conflict_id": conflict, "limit": limit})  # fmt: skip
    database.dispose()
    compared = [(h, compare(source, h, thresholds) if source else None) for h in hits]
    if as_json:
        emit_json([{**asdict(h), "titles": sorted(h.titles), "matches": m} for h, m in compared])
        return
    typer.echo(f"{len(hits)} registry ASN found (at most {limit})")
    if source is not None:
        _person("row               ", source, None)
    for hit, matches in compared:
        person = {
            "name": hit.name, "birth_date": hit.birth_date, "gender": hit.gender, "position": hit.position,
            "instansi": hit.instansi_name, "kanreg": hit.kanreg_id, "status": hit.status_name,
        }  # fmt: skip
        score = f"{hit.score:.2f}" if hit.score is not None else "    "
        _person(f"{hit.nip} {score}", person, matches)


@app.command("bulk-resolve")
def bulk_resolve_command(
    ctx: typer.Context,
    conflict_ids: Annotated[list[int], typer.Argument(help="The conflicts to decide.")],
    answer: Annotated[
        str,
        typer.Option(help="top (each one's best candidate, never a tie or a disagreement), none or keep."),
    ],
    reason: Annotated[str, typer.Option(help="Why; kept in the audit log of each conflict.")],
    by: Annotated[str | None, typer.Option(help="Who decides (default: the OS user).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The same answer for many conflicts; each one it cannot take is left open and named with why."""
    if answer not in ("top", "none", "keep"):
        raise typer.BadParameter("use top, none or keep", param_hint="--answer")
    if len(conflict_ids) > BULK_MAX:
        raise typer.BadParameter(f"at most {BULK_MAX} conflicts at once", param_hint="CONFLICT_IDS")
    database, thresholds = _database(ctx)
    actor = by or getpass.getuser()
    choice: BulkChoice = "top" if answer == "top" else "none" if answer == "none" else "keep"
    result = bulk_resolve(
        database, conflict_ids, choice=choice, reason=reason, actor=actor, thresholds=thresholds
    )
    database.dispose()
    if as_json:
        emit_json(
            {
                "resolved": [{"conflict_id": c, "decision_id": d} for c, d in result.resolved],
                "refused": [asdict(r) for r in result.refused],
                "by": actor,
            }
        )
        return
    typer.echo(f"{len(result.resolved)} conflicts resolved by {actor}; {len(result.refused)} left open")
    for refusal in result.refused:
        typer.echo(f"  left open: {refusal.message}")
