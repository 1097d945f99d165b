"""The I-MUT report (issue 17 item 5): per election event and region, the personnel actions decided
within the election's watch window (or signed before the ban and taking effect within it) and the
findings on them, by rule, by instansi and by deciding official; as aligned text, CSV and XLSX, in
Bahasa Indonesia or English.

Counted are the findings the rules still give (``status`` open). Those a steward has not closed
(pending or under investigation) are counted per rule; confirmed and dismissed ones are counted
separately, so the rule columns say what is still to be decided. A finding without an election event
(a block breach) is counted under the event whose watch window, in the deciding official's region,
holds its decision date, or under "-" when none does. The report names instansi and officials, never
an ASN: it holds no NIP.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, ImutEvaluation, ImutFinding, StagedRecord
from sbt_sync.imut.elections import ElectionCalendar, ElectionEvent, event_words
from sbt_sync.imut.findings_write import SOURCE
from sbt_sync.imut.model import Rule
from sbt_sync.imut.reasons import text
from sbt_sync.imut.regions import region_names
from sbt_sync.imut.review import FindingStatus, Review
from sbt_sync.imut.rules import concerns_election, election_events, watch_window
from sbt_sync.imut.staged import UnreadableAction, personnel_action, same_decision_key
from sbt_sync.reconcile.identity.store import chunks
from sbt_sync.reports.compliance_render import aligned_text, write_titled_sheets
from sbt_sync.steward.audit import csv_cell

Lang = Literal["id", "en"]
NO_EVENT = "-"
RULES = tuple(rule.value for rule in Rule)
WORDS: dict[str, tuple[str, str]] = {
    "imut.rule.pasal_71_2": ("Pasal 71(2)", "Article 71(2)"),
    "imut.rule.pasal_162_3": ("Pasal 162(3)", "Article 162(3)"),
    "imut.rule.reporting_7_working_days": ("Lapor > 7 hari kerja", "Reported > 7 working days"),
    "imut.rule.block_breach": ("Saat diblokir", "While blocked"),
    "imut.rule.possible_retaliation": ("Dugaan pembalasan", "Possible retaliation"),
    "imut.report.title": (
        "Laporan I-MUT: mutasi di sekitar pemilihan",
        "I-MUT report: personnel actions around elections",
    ),
    "imut.report.as_of": (
        "per {at}; temuan dievaluasi per {day}",
        "as of {at}; findings evaluated for {day}",
    ),
    "imut.report.regions": ("Per pemilihan dan wilayah", "By election and region"),
    "imut.report.instansi": ("Per instansi", "By instansi"),
    "imut.report.officials": ("Per pejabat penetap", "By deciding official"),
    "imut.report.event": ("Pemilihan", "Election"),
    "imut.report.region": ("Wilayah", "Region"),
    "imut.report.region_unknown": ("tidak dikenal", "unknown"),
    "imut.report.actions": ("Tindakan dalam masa", "Actions in the window"),
    "imut.report.instansi_id": ("ID instansi", "Instansi id"),
    "imut.report.instansi_name": ("Instansi", "Instansi"),
    "imut.report.official": ("Pejabat penetap", "Deciding official"),
    "imut.report.role": ("Kedudukan", "Role"),
    "imut.report.open": ("Temuan terbuka", "Open findings"),
    "imut.report.confirmed": ("Dikonfirmasi", "Confirmed"),
    "imut.report.dismissed": ("Ditolak", "Dismissed"),
}
"""The report's words; the console merges them into its table (:mod:`sbt_sync.console.i18n`)."""


def word(key: str, lang: Lang) -> str:
    indonesian, english = WORDS[key]
    return indonesian if lang == "id" else english


@dataclass
class Tally:
    """Findings still given by the rules: undecided ones per rule, confirmed and dismissed apart."""

    by_rule: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    confirmed: int = 0
    dismissed: int = 0

    def add(self, rule: str, review: str) -> None:
        if review == Review.CONFIRMED:
            self.confirmed += 1
        elif review == Review.DISMISSED:
            self.dismissed += 1
        else:
            self.by_rule[rule] = self.by_rule.get(rule, 0) + 1

    @property
    def open(self) -> int:
        return sum(self.by_rule.values())

    def cells(self) -> list[int]:
        return [*(self.by_rule[r] for r in RULES), self.open, self.confirmed, self.dismissed]


@dataclass
class Row:
    """One line of a table: the event and region, what it is about, the actions, the tally."""

    event_id: str
    event_name: str
    region: str
    about: tuple[str, ...] = ()
    actions: int = 0
    tally: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class ImutReport:
    generated_at: datetime
    evaluated_for: date | None
    event: str | None
    regions: list[Row]
    instansi: list[Row]
    officials: list[Row]
    region_names: dict[str, str] = field(default_factory=dict)
    """Region code: its name (:mod:`sbt_sync.imut.regions`), for the regions the registry knows."""
    event_name: str | None = None
    """The name of ``event`` (the calendar's, else its id in words): what the titles say."""


def _event_of(
    elections: ElectionCalendar, event_id: str | None, region: str | None, decided: date | None
) -> str:
    if event_id:
        return event_id
    for event in elections.events_for(region):
        if decided is not None and decided in watch_window(event):
            return event.event_id
    return NO_EVENT


def _actions_in_window(
    session: Session, elections: ElectionCalendar, governments: dict[str, str]
) -> Counter[tuple[str, str]]:
    """Live I-MUT actions per (event, region) whose decision falls in the event's watch window; a
    decision delivered under two ids counts once. ``governments`` gets, per region, the instansi its
    deciding head heads (the regional government, whose name names the region)."""
    counted: Counter[tuple[str, str]] = Counter()
    seen: set[tuple[str, str, str]] = set()
    query = select(StagedRecord.record_key, StagedRecord.nip, StagedRecord.fields).where(
        StagedRecord.source == SOURCE, StagedRecord.withdrawn.is_(False)
    )
    for key, nip, fields in session.execute(query.execution_options(yield_per=2000)):
        try:
            action = personnel_action(key, nip, dict(fields or {}))
        except (UnreadableAction, KeyError, ValueError):
            continue  # the evaluation already logs and counts it
        same = same_decision_key(action)
        if same is not None:
            if same in seen:
                continue  # one decision delivered under two ids is one action
            seen.add(same)
        region = action.decided_by.region_code
        if region and action.decided_by.heads_instansi_id:
            governments.setdefault(region, action.decided_by.heads_instansi_id)
        for event in election_events(action, elections):
            if concerns_election(action, event):
                counted[(event.event_id, region or NO_EVENT)] += 1
    return counted


def _instansi_names(session: Session, ids: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for chunk in chunks(sorted(ids)):
        query = (
            select(AsnRegistryEntry.instansi_id, func.min(AsnRegistryEntry.instansi_name))
            .where(AsnRegistryEntry.instansi_id.in_(chunk))
            .group_by(AsnRegistryEntry.instansi_id)
        )
        names.update((i, n) for i, n in session.execute(query).tuples() if n)
    return names


def build_report(
    database: Database, elections: ElectionCalendar, *, event: str | None = None, now: datetime
) -> ImutReport:
    """The report over the stored findings and staged actions (``event``: one election event only)."""
    columns = (
        ImutFinding.rule,
        ImutFinding.review,
        ImutFinding.event_id,
        ImutFinding.official_region,
        ImutFinding.decision_date,
        ImutFinding.instansi_id,
        ImutFinding.official_name,
        ImutFinding.official_role,
    )
    names = {e.event_id: e.event_name for e in elections.events}
    regions: dict[tuple[str, str], Row] = {}
    by_instansi: dict[tuple[str, str, str], Row] = {}
    by_official: dict[tuple[str, str, str, str], Row] = {}

    def row(table: dict[Any, Row], event_id: str, region: str, *about: str) -> Row:
        key = (event_id, region, *about)
        if key not in table:
            table[key] = Row(event_id, names.get(event_id, event_id), region, tuple(about))
        return table[key]

    governments: dict[str, str] = {}
    with database.session() as session:
        for (event_id, place), count in _actions_in_window(session, elections, governments).items():
            if event in (None, event_id):
                row(regions, event_id, place).actions = count
        found = session.execute(select(*columns).where(ImutFinding.status == FindingStatus.OPEN))
        for rule, review, found_event, region, decided, instansi, official, role in found.tuples():
            chosen = _event_of(elections, found_event, region, decided)
            if event not in (None, chosen):
                continue
            place = region or NO_EVENT
            row(regions, chosen, place).tally.add(rule, review)
            row(by_instansi, chosen, place, instansi or "-").tally.add(rule, review)
            row(by_official, chosen, place, official or "-", role or "-").tally.add(rule, review)
        instansi_names = _instansi_names(session, {r.about[0] for r in by_instansi.values()})
        named_regions = region_names(session, governments)
        last = session.scalars(
            select(ImutEvaluation.as_of).order_by(ImutEvaluation.id.desc()).limit(1)
        ).first()
    for item in by_instansi.values():
        item.about = (*item.about, instansi_names.get(item.about[0], ""))
    return ImutReport(
        generated_at=now,
        evaluated_for=last,
        event=event,
        regions=[regions[k] for k in sorted(regions)],
        instansi=[by_instansi[k] for k in sorted(by_instansi)],
        officials=[by_official[k] for k in sorted(by_official)],
        region_names=named_regions,
        event_name=(names.get(event) or event_words(event)) if event else None,
    )


def event_names(elections: ElectionCalendar) -> dict[str, ElectionEvent]:
    """One event per id (the first row), for choosing an event in the console."""
    chosen: dict[str, ElectionEvent] = {}
    for item in elections.events:
        chosen.setdefault(item.event_id, item)
    return chosen


# -- rendering -----------------------------------------------------------------------------------------

Table = Literal["regions", "instansi", "officials"]
TABLES: tuple[Table, ...] = ("regions", "instansi", "officials")


def _rule_header(lang: Lang) -> list[str]:
    counts = ("imut.report.open", "imut.report.confirmed", "imut.report.dismissed")
    return [*(word(f"imut.rule.{r}", lang) for r in RULES), *(word(k, lang) for k in counts)]


def table(report: ImutReport, which: Table, lang: Lang = "id") -> list[list[Any]]:
    """Header row, then the rows of ``which``."""
    head = [word("imut.report.event", lang), word("imut.report.region", lang)]

    def place(r: Row) -> list[str]:
        """The election by name and the region in words, its code beside it."""
        if r.region == NO_EVENT:
            return [r.event_name, NO_EVENT]
        name = report.region_names.get(r.region) or word("imut.report.region_unknown", lang)
        return [r.event_name, f"{name} ({r.region})"]

    if which == "regions":
        header = [*head, word("imut.report.actions", lang), *_rule_header(lang)]
        body = [[*place(r), r.actions, *r.tally.cells()] for r in report.regions]
    elif which == "instansi":
        about = [word("imut.report.instansi_id", lang), word("imut.report.instansi_name", lang)]
        header = [*head, *about, *_rule_header(lang)]
        body = [[*place(r), *r.about, *r.tally.cells()] for r in report.instansi]
    else:
        header = [
            *head,
            word("imut.report.official", lang),
            word("imut.report.role", lang),
            *_rule_header(lang),
        ]
        body = [[*place(r), r.about[0], _role(r.about[1], lang), *r.tally.cells()] for r in report.officials]
    return [header, *body]


def _role(value: str, lang: Lang) -> str:
    try:
        return text(f"role.{value}", lang)
    except KeyError:
        return value


def heading(report: ImutReport, which: Table, lang: Lang = "id") -> str:
    at = report.generated_at.isoformat(timespec="seconds")
    day = report.evaluated_for.isoformat() if report.evaluated_for else "-"
    named = report.event_name or report.event
    event = f" ({named})" if named else ""
    return (
        f"{word('imut.report.title', lang)}{event}: {word(f'imut.report.{which}', lang)}, "
        f"{word('imut.report.as_of', lang).format(at=at, day=day)}"
    )


def as_text(report: ImutReport, *, lang: Lang = "id") -> str:
    """The three tables in aligned columns, each under its title."""
    return "\n".join(aligned_text(heading(report, w, lang), table(report, w, lang)) for w in TABLES)


def as_csv(report: ImutReport, which: Table = "regions", *, lang: Lang = "id") -> str:
    """One table as CSV, its first line the title with the as-of instant (``#``, as a comment). The
    source's text (an official's name, a region, an instansi) that starts like a formula is quoted
    with ``'`` (:func:`csv_cell`), so a spreadsheet shows it and never runs it."""
    out = io.StringIO()
    out.write(f"# {heading(report, which, lang)}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([csv_cell(v) for v in row] for row in table(report, which, lang))
    return out.getvalue()


def write_xlsx(report: ImutReport, path: Path, *, lang: Lang = "id") -> None:
    """One sheet per table, each with its title and as-of line, frozen header and fitted widths."""
    sheets = [
        (word(f"imut.report.{w}", lang)[:31], heading(report, w, lang), table(report, w, lang))
        for w in TABLES
    ]
    write_titled_sheets(path, sheets)


def xlsx_bytes(report: ImutReport, *, lang: Lang = "id") -> bytes:
    """The XLSX workbook as bytes (for a download)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "imut.xlsx"
        write_xlsx(report, path, lang=lang)
        return path.read_bytes()
