"""Downloads where people look: the recap (CSV, XLSX, the PNG chart) from the dashboard, quarantined
rows and the audit log (CSV, XLSX) from their pages with the page's filters.

The recap is :func:`sbt_sync.steward.dashboard.recap_for` written by the CLI's writers
(:mod:`sbt_sync.reports.render`), so the file says what ``sbt-sync report recap`` says; an agency
viewer's is counted over their cases, as their dashboard is. Quarantined rows and the audit log hold
personal data: each download is audited with its filter and row count before the file leaves. CSV
files open with a BOM (Excel then reads Indonesian names as UTF-8); XLSX files carry a title, the
as-of instant in the deployment's zone, fitted column widths and a frozen header row.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from sbt_sync.console import searches
from sbt_sync.console.i18n import translator
from sbt_sync.console.labels import source_label
from sbt_sync.console.labels_sources import humanised
from sbt_sync.console.roles import Principal
from sbt_sync.console.sessions import UNKNOWN_USER
from sbt_sync.console.web import QueryId, client_address, console, language, parse_day, require
from sbt_sync.console.web_access import record as record_read
from sbt_sync.pdp.access import nips_in
from sbt_sync.reports.render import (
    CSV_ENCODING,
    Sheet,
    as_csv,
    as_of_now,
    write_png,
    write_sheets,
    write_xlsx,
)
from sbt_sync.steward.audit import (
    EXPORT_LIMIT,
    AuditFilter,
    Change,
    changes,
    count_audit,
    csv_cell,
    export_csv,
    export_rows,
    last_entry_id,
    record_export,
    value_text,
)
from sbt_sync.steward.dashboard import recap_for
from sbt_sync.steward.quarantine import STATUSES as Q_STATUSES
from sbt_sync.steward.quarantine import list_quarantine

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
Translate = Callable[[str], str]


def action_words(_: Translate, code: str) -> str:
    """An audit action in words (``conflict.resolve`` -> "Konflik diselesaikan"); unknown: the code."""
    key = f"auditaction.{code}"
    return text if (text := _(key)) != key else code


def actor_words(_: Translate, name: str) -> str:
    """Who acted, as the page shows it: the marker of a login at an unknown name in words."""
    return _("audit.unknown_user") if name == UNKNOWN_USER else name


def object_words(_: Translate, code: str | None) -> str:
    """What an audit entry is about in words (``session`` -> "Sesi"); unknown: the code."""
    key = f"auditobject.{code}"
    return text if (text := _(key)) != key else (code or "")


def field_label(_: Translate, name: str) -> str:
    """A before/after field's label: the audit's word, else the golden field's, else the name."""
    for key in (f"auditfield.{name}", f"field.{name}"):
        if (text := _(key)) != key:
            return text
    return name


STATUS_WORDS = {"conflict": "status.", "quarantine": "qstatus.", "link_correction": "links.status."}
"""Where an object's status values have their words (``status`` fields of its entries)."""
KIND_WORDS = {"link_correction": "links.kind."}
"""Where an object's ``kind`` values have their words (a link correction's: move, assign, ...)."""


def change_value(
    _: Translate, object_type: str, field: str, value: Any, *, zone: ZoneInfo | None = None
) -> str:
    """A before/after value as a person reads it: a conflict's or quarantined row's status and a user's
    role in words, a source or an agency by its name with its key beside it, a moment (a field named
    ``..._at``) in ``zone`` (the deployment's) to the minute with the zone's name, anything else as
    :func:`value_text` writes it."""
    prefix = STATUS_WORDS.get(object_type)
    if field == "status" and prefix and isinstance(value, str):
        key = prefix + value
        return text if (text := _(key)) != key else value
    if field == "kind" and (kinds := KIND_WORDS.get(object_type)) and isinstance(value, str):
        return text if (text := _(kinds + value)) != kinds + value else value
    if field == "role" and isinstance(value, str):
        return text if (text := _(f"role.{value}")) != f"role.{value}" else value
    if field.endswith("_at") and isinstance(value, str) and zone is not None:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    if field in ("source", "agency") and isinstance(value, str) and value:
        key = f"{field}.{value}"
        name = text if (text := _(key)) != key else humanised(value)
        return f"{name} ({value})"
    return value_text(value)


def change_text(_: Translate, object_type: str, change: Change, *, zone: ZoneInfo | None = None) -> str:
    """One change as a line of text (the XLSX's changes column): statuses and roles in words, moments
    in ``zone``, sources and agencies by their names with their keys beside them (the JSON columns
    beside it keep the keys)."""
    label = f"{field_label(_, change.field)}: " if change.field else ""
    old = change_value(_, object_type, change.field, change.old, zone=zone)
    if change.context:
        return f"{label}{old}"
    return f"{label}{old} → {change_value(_, object_type, change.field, change.new, zone=zone)}"


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(console(request).settings.schedule.timezone)


def _as_of(request: Request) -> str:
    return as_of_now(console(request).settings.schedule.timezone)


def _stamp(request: Request) -> str:
    return datetime.now(_zone(request)).strftime("%Y%m%d-%H%M")


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


def _xlsx(sheet: Sheet, as_of: str) -> bytes:
    buffer = io.BytesIO()
    write_sheets(buffer, [sheet], as_of=as_of)
    return buffer.getvalue()


def _csv(rows: list[list[Any]]) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode(CSV_ENCODING)


Format = Annotated[str, Path(pattern="^(csv|xlsx)$")]


@router.get("/recap.{fmt}")
def recap_download(
    request: Request,
    me: Annotated[Principal, Depends(require("dashboard.view"))],
    fmt: Annotated[str, Path(pattern="^(csv|xlsx|png)$")],
) -> Response:
    """The dashboard's recap as the CLI writes it; an agency viewer's over their cases only."""
    recap = recap_for(console(request).database, me.sources)
    as_of, name = _as_of(request), f"rekap-netralitas-{_stamp(request)}.{fmt}"
    if fmt == "csv":
        return _download(as_csv(recap).encode(CSV_ENCODING), CSV, name)
    buffer = io.BytesIO()
    if fmt == "xlsx":
        write_xlsx(recap, buffer, as_of=as_of)
        return _download(buffer.getvalue(), XLSX, name)
    write_png(recap, buffer, as_of=as_of)
    return _download(buffer.getvalue(), "image/png", name)


@router.get("/quarantine.{fmt}")
def quarantine_download(
    request: Request,
    me: Annotated[Principal, Depends(require("quarantine.view"))],
    fmt: Format,
    source: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str, Query(max_length=16)] = "open",
) -> Response:
    """The quarantined rows the page shows with the same filters (every page of them, up to
    :data:`EXPORT_LIMIT`), within the user's sources; audited as an export."""
    _ = translator(language(request))
    ctx = console(request)
    if source and not me.sees_source(source):
        raise HTTPException(403, _("error.forbidden"))
    if status not in (*Q_STATUSES, "all"):
        raise HTTPException(400, f"unknown status {status!r}")
    total, rows, _counts = list_quarantine(
        ctx.database, source=source or None, status=None if status == "all" else status, sources=me.sources,
        limit=EXPORT_LIMIT,
    )  # fmt: skip
    rows.reverse()  # oldest first, as a register reads
    zone, lang = _zone(request), language(request)
    described = {key: configured.description for key, configured in ctx.settings.sources.items()}

    def named(key: str) -> str:
        return source_label(key, lang, described)

    table: list[list[Any]] = [
        [_("export.col.id"), _("common.source"), _("quarantine.file_row"), _("quarantine.record"),
         _("quarantine.column"), _("quarantine.check"), _("conflict.value"), _("common.reason"),
         _("common.status"), _("export.col.created_at"), _("export.col.resolved_at"),
         _("export.col.source_code")],
        *([q.id, named(q.source), f"{q.file_name or ''}{f':{q.row_number}' if q.row_number else ''}",
           q.record_key, q.column, q.check, q.value, q.reason, _(f"qstatus.{q.status}"),
           _local(q.created_at, zone), _local(q.resolved_at, zone), q.source] for q in rows),
    ]  # fmt: skip
    filters = {"source": source, "status": status} if source else {"status": status}  # codes, not words
    record_export(
        ctx.database, actor=me.username, what="quarantine", fmt=fmt, filters=filters, rows=len(rows),
        channel="console", client_address=client_address(request),
    )  # fmt: skip
    record_read(request, me, "export", nips_in(rows), rows=len(rows),
                filter={"what": "quarantine", "format": fmt, **filters})  # fmt: skip
    name = f"karantina-{_stamp(request)}.{fmt}"
    if fmt == "csv":
        return _download(_csv(table), CSV, name)
    shown = source_label(source, lang, described, code=True) if source else _("export.all")
    title = (
        f"{_('export.quarantine_title')} ({_('export.filter')}: {shown}, {_('qstatus.' + status)}; {total})"
    )
    return _download(_xlsx(Sheet(_("export.quarantine_title"), title, table), _as_of(request)), XLSX, name)


def audit_filter(
    request: Request, actor: str | None, action: str | None, object_type: str | None,
    object_id: str | None, since: str | None, until: str | None, entry: int | None = None,
) -> AuditFilter:  # fmt: skip
    """The audit page's query as a filter; days are whole days in the deployment's zone."""
    zone = _zone(request)

    def day(text: str | None, *, end: bool) -> datetime | None:
        parsed = parse_day(request, text)  # a 400 in words when it is no date or out of range
        if parsed is None:
            return None
        start = datetime.combine(parsed, time.min, zone)
        return start + timedelta(days=1) if end else start

    return AuditFilter(
        actor=actor or None, action=action or None, object_type=object_type or None,
        object_id=object_id or None, since=day(since, end=False), until=day(until, end=True), entry=entry,
    )  # fmt: skip


AuditQuery = Annotated[str | None, Query(max_length=128)]
AUDIT_KEPT = ("actor", "object_id")
"""The audit filters kept under a search id, never in a URL: who acted (a civil servant's username, or
the OS user of a CLI command) and the object's id (which may be a username or a NIP)."""
AuditSearchId = Annotated[str | None, Query(pattern=searches.ID_PATTERN)]


def audit_kept(request: Request, search_id: str | None) -> tuple[str | None, str | None]:
    """The actor and object id the audit filter posted (:data:`AUDIT_KEPT`), kept under ``search_id``."""
    kept = searches.recall(request, search_id) or {}
    actor, object_id = (kept.get(k) or None for k in AUDIT_KEPT)
    return actor, object_id


AUDIT_HEADERS = (
    "export.col.id", "export.col.at", "audit.actor", "audit.action", "export.col.action_code", "audit.object",
    "export.col.object_id", "export.col.changes", "common.reason", "audit.channel", "export.col.address",
    "export.col.before_json", "export.col.after_json",
)  # fmt: skip
EntryQuery = QueryId


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, default=str)


@router.get("/audit.{fmt}")
def audit_download(
    request: Request,
    me: Annotated[Principal, Depends(require("audit.view"))],
    fmt: Format,
    s: AuditSearchId = None,
    action: AuditQuery = None,
    object_type: AuditQuery = None,
    since: AuditQuery = None,
    until: AuditQuery = None,
    entry: EntryQuery = None,
) -> Response:
    """The audit log as filtered on the page (the actor and object id under the page's search id
    ``s``), oldest first; the download is itself audited. CSV keeps the raw columns (codes, JSON) for
    machines; XLSX adds the action in words and the changes."""
    _ = translator(language(request))
    database = console(request).database
    actor, object_id = audit_kept(request, s)
    filters = audit_filter(request, actor, action, object_type, object_id, since, until, entry)
    read = {"what": "audit", "format": fmt, **filters.described()}
    name = f"log-audit-{_stamp(request)}.{fmt}"
    if fmt == "csv":
        # The CSV streams, but the read is recorded before it leaves: a first pass collects the NIPs
        # the entries name (reasons, before/after values), batch by batch, keeping memory flat. Both
        # passes read the log as it was at its newest entry now: one written meanwhile (a decision
        # naming another ASN) would reach the file without being in the record of this read.
        through = last_entry_id(database)
        count = count_audit(database, filters, through=through)
        named: set[str] = set()
        for chunk in export_csv(database, filters, through=through):
            named |= nips_in(chunk)
        record_read(request, me, "export", named, rows=count, filter=read)
        record_export(
            database, actor=me.username, what="audit", fmt=fmt, filters=filters.described(), rows=count,
            channel="console", client_address=client_address(request),
        )  # fmt: skip
        stream: Iterator[bytes] = (
            chunk.encode("utf-8") for chunk in export_csv(database, filters, through=through)
        )
        return StreamingResponse(
            stream, media_type=CSV, headers={"content-disposition": f'attachment; filename="{name}"'}
        )
    rows, count = export_rows(database, filters), count_audit(database, filters)
    record_read(request, me, "export", nips_in(rows), rows=len(rows), filter=read)
    record_export(
        database, actor=me.username, what="audit", fmt=fmt, filters=filters.described(), rows=len(rows),
        channel="console", client_address=client_address(request),
    )  # fmt: skip
    zone = _zone(request)
    table: list[list[Any]] = [
        [_(key) for key in AUDIT_HEADERS],
        *([e["id"], _local(e["at"], zone), actor_words(_, e["actor_name"]), action_words(_, e["action"]),
           e["action"],
           object_words(_, e["object_type"]), e["object_id"],
           "\n".join(change_text(_, e["object_type"], c, zone=zone)
                     for c in changes(e["before"], e["after"])),
           e["reason"], e["channel"], e["client_address"], _json(e["before"]), _json(e["after"])]
          for e in rows),
    ]  # fmt: skip
    described = ", ".join(f"{k}={v}" for k, v in filters.described().items()) or _("export.all")
    shown = str(len(rows)) if len(rows) == count else _("export.first_of").format(rows=len(rows), total=count)
    title = f"{_('export.audit_title')} ({_('export.filter')}: {described}; {shown})"
    return _download(_xlsx(Sheet(_("export.audit_title"), title, table), _as_of(request)), XLSX, name)
