"""The PPK compliance report's rules, a pure function of the facts that
:mod:`sbt_sync.reports.compliance` reads (its docstring states them): where each recommendation lands
at ``as_of``, who the PPK is, and the rows of the summary, the Kemendagri list and the KASN-era
dossier."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sbt_sync.letters.model import mask_nip

Outcome = Literal[
    "on_time", "late", "followed_up_undated", "annulled", "left_service", "held", "not_followed_up", "pending"
]
STEPS = ("peringatan_dini", "peringatan", "teguran", "pemblokiran", "buka_blokir", "pemberitahuan")
"""The control steps, then the notice (``pemberitahuan``) a withdrawn annulment brings: each a column."""
_REGIONAL = re.compile(r"^pemerintah\s+(provinsi|kabupaten|kota)\s+(.+)$", re.IGNORECASE)
_HEADS = {"provinsi": "Gubernur", "kabupaten": "Bupati", "kota": "Wali Kota"}


@dataclass(frozen=True)
class CaseFacts:
    """What the report needs of one recommended case (masking is applied when rows are built)."""

    case_id: int
    case_key: str
    nip: str | None
    event: str
    instansi_id: str
    issuer: str
    """``KASN`` or ``BKN`` (the golden ``recommending_body``), ``?`` when no source said."""
    result: str
    recommendation_no: str | None
    recommendation_date: date | None
    deadline: date | None
    sanction: str | None
    sanction_date: date | None
    left_service: bool
    held: bool
    versions: tuple[tuple[date | None, str | None], ...] = ()
    """The case's sanction versions in decision order (``sanction_versions.seq``): each decision's
    date and jenisHukuman code, None for an annulment on objection. Empty: the golden ``sanction`` and
    ``sanction_date`` stand (they are the version in force now)."""


def sanction_at(case: CaseFacts, as_of: date) -> tuple[str | None, date | None]:
    """The sanction in force at ``as_of`` and the day since which a sanction had been in force without
    a break (the follow-up day, :mod:`sbt_sync.reconcile.golden.sanctions`): the last version decided
    on or before ``as_of`` (an undated one counts as known), none when it is an annulment. Without
    versions, the golden values (the sanction in force now)."""
    if not case.versions:
        return case.sanction, case.sanction_date
    known = [v for v in case.versions if v[0] is None or v[0] <= as_of]
    if not known or known[-1][1] is None:
        return None, None
    since = known[-1][0]
    for day, code in reversed(known[:-1]):
        if code is None:
            break
        since = day if day is not None else since
    return known[-1][1], since


@dataclass(frozen=True)
class StepFact:
    case_id: int
    action: str
    due_on: date
    letter_no: str | None
    sent_at: datetime | None
    letter_instansi: str | None = None
    """The instansi the letter was addressed to (a case may move to another instansi afterwards)."""
    letter_date: date | None = None


@dataclass
class ComplianceRow:
    """One (event, instansi) line of the report."""

    event: str
    instansi_id: str
    instansi: str
    ppk: str
    regional: bool
    issuers: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    overdue_days: list[int] = field(default_factory=list)
    steps: Counter[str] = field(default_factory=Counter)
    letters: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    delivered: dict[str, date] = field(default_factory=dict)
    """Letter number -> the day (in the schedule's timezone) a PIC of the PPK first received it, by
    ``as_of``: the proof the escalation rests on. A letter issued but never received (held, refused,
    given up by a steward) is in ``letters`` only."""
    blocked_nips: set[str] = field(default_factory=set)
    open_recommendations: list[str] = field(default_factory=list)
    """Recommendation numbers not followed up past the deadline."""

    @property
    def median_overdue(self) -> float | None:
        """Days overdue, the median: a whole number where it is one (``statistics.median`` of an even
        count is a float even where the middle two agree, and a report read "40.0" beside "40")."""
        if not self.overdue_days:
            return None
        middle = statistics.median(self.overdue_days)
        return int(middle) if middle == int(middle) else middle

    @property
    def worst_overdue(self) -> int | None:
        return max(self.overdue_days) if self.overdue_days else None


@dataclass(frozen=True)
class DossierRow:
    """A KASN-era recommendation its PPK did not follow up: what a Presidential recommendation needs."""

    event: str
    instansi: str
    ppk: str
    recommendation_no: str
    recommendation_date: date | None
    deadline: date | None
    days_overdue: int
    nip: str
    name: str
    steps: tuple[tuple[str, date], ...]
    """The control steps (and notices) the case went through by ``as_of``: each step and its day."""
    letters: str
    delivery: str
    """Proof that BKN's letters reached the PPK: each sent letter's number and day, or ``-``."""


@dataclass
class ComplianceReport:
    as_of: date
    follow_up_days: int
    rows: list[ComplianceRow]
    dossier: list[DossierRow]
    holds_as_now: bool = False
    """The report is for a day before today: its ``held`` are the holds in force now that had begun
    by then (when a hold ended is not recorded), and its renderings say so."""

    @property
    def escalation(self) -> list[ComplianceRow]:
        """Regional governments whose head left recommendations unanswered past the deadline: the
        list BKN sends Kemendagri."""
        return [r for r in self.rows if r.regional and r.counts["not_followed_up"]]


def ppk_of(instansi_name: str) -> tuple[str, bool]:
    """The PPK's title for an instansi and whether it is a regional government (its head is a
    governor, regent or mayor); a central instansi's PPK is its minister or head."""
    found = _REGIONAL.match(instansi_name.strip())
    if found is None:
        return f"PPK {instansi_name}", False
    kind, region = found.group(1).lower(), found.group(2)
    return f"{_HEADS[kind]} {region}", True


def outcome(case: CaseFacts, as_of: date) -> tuple[Outcome, int | None]:
    """The case's place in the report at ``as_of`` and its days overdue (None when not overdue)."""
    if case.result == "dibatalkan":
        return "annulled", None
    sanction, sanction_date = sanction_at(case, as_of)
    if sanction is not None and (sanction_date is None or sanction_date <= as_of):
        if sanction_date is None or case.deadline is None:
            return "followed_up_undated", None
        late = (sanction_date - case.deadline).days
        return ("late", late) if late > 0 else ("on_time", None)
    if case.left_service:
        return "left_service", None
    if case.held:
        return "held", None
    if case.deadline is not None and as_of > case.deadline:
        return "not_followed_up", (as_of - case.deadline).days
    return "pending", None


def compile_report(
    cases: Iterable[CaseFacts],
    steps: Iterable[StepFact],
    blocked: dict[str, set[int]],
    *,
    instansi_names: dict[str, str],
    person_names: dict[str, str],
    as_of: date,
    follow_up_days: int,
    nip_display: str,
    timezone: str = "Asia/Jakarta",
) -> ComplianceReport:
    """The report from the facts; ``blocked`` maps each blocked NIP to the cases its block is for (the
    blocks SIASN acknowledged and holds now). A report for an earlier day counts only the steps
    due, and the letters dated and mailed, by ``as_of``, and a case's block as its recorded block
    and unblock steps left it then. A row counts only the letters addressed to its own instansi (a
    case that moved keeps the letters its former PPK got there). Mailing days are days in
    ``timezone`` (the schedule's)."""
    zone = ZoneInfo(timezone)
    by_case: dict[int, list[StepFact]] = defaultdict(list)
    for step in steps:
        by_case[step.case_id].append(step)
    blocking = {case_id: nip for nip, ids in blocked.items() for case_id in ids}
    rows: dict[tuple[str, str], ComplianceRow] = {}
    dossier: list[DossierRow] = []
    for case in cases:
        if case.recommendation_date is not None and case.recommendation_date > as_of:
            continue  # not received yet at as_of (a report for an earlier day)
        key = (case.event, case.instansi_id)
        if key not in rows:
            name = instansi_names.get(case.instansi_id, case.instansi_id)
            ppk, regional = ppk_of(name)
            rows[key] = ComplianceRow(case.event, case.instansi_id, name, ppk, regional)
        row = rows[key]
        row.issuers.add(case.issuer)
        kind, overdue = outcome(case, as_of)
        row.counts["received"] += 1
        row.counts[kind] += 1
        if kind in ("on_time", "late", "followed_up_undated"):
            row.counts["followed_up"] += 1
        if overdue is not None:
            row.overdue_days.append(overdue)
        all_steps = sorted(by_case.get(case.case_id, []), key=lambda s: (s.due_on, STEPS.index(s.action)))
        case_steps = [_as_of(s, case, as_of, zone) for s in all_steps if s.due_on <= as_of]
        for step in case_steps:
            row.steps[step.action] += 1
            if step.letter_no:
                row.letters[step.action].add(step.letter_no)
                if step.sent_at is not None:
                    row.delivered[step.letter_no] = _local_day(step.sent_at, zone)
        blocked_nip = _blocked_at(case, all_steps, blocking, as_of)
        if blocked_nip is not None:
            row.blocked_nips.add(blocked_nip)
        if kind == "not_followed_up":
            row.open_recommendations.append(case.recommendation_no or case.case_key)
            if case.issuer == "KASN":
                dossier.append(
                    _dossier_row(case, row, case_steps, overdue or 0, person_names, nip_display, zone)
                )
    ordered = sorted(rows.values(), key=lambda r: (r.event, r.instansi, r.instansi_id))
    for row in ordered:
        row.open_recommendations.sort()
    dossier.sort(key=lambda d: (d.event, d.instansi, d.recommendation_no))
    return ComplianceReport(as_of, follow_up_days, ordered, dossier)


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The day ``moment`` falls on in ``zone`` (a moment without a zone is UTC, as stored)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone).date()


def _as_of(step: StepFact, case: CaseFacts, as_of: date, zone: ZoneInfo) -> StepFact:
    """``step`` with only what its letter was at ``as_of`` for ``case``'s row: no letter when it went to
    another instansi or was dated later, no mailing when it was mailed later."""
    letter_no, sent_at = step.letter_no, step.sent_at
    elsewhere = step.letter_instansi is not None and step.letter_instansi != case.instansi_id
    if elsewhere or (step.letter_date is not None and step.letter_date > as_of):
        letter_no = sent_at = None
    if sent_at is not None and _local_day(sent_at, zone) > as_of:
        sent_at = None
    return StepFact(
        step.case_id, step.action, step.due_on, letter_no, sent_at, step.letter_instansi, step.letter_date
    )


def _blocked_at(case: CaseFacts, steps: list[StepFact], blocking: dict[int, str], as_of: date) -> str | None:
    """The NIP blocked for ``case`` at ``as_of``: SIASN's acknowledged block now, unless a block or
    unblock step came after ``as_of``; then the last such step by ``as_of`` (steps sorted by day)."""
    moves = [s for s in steps if s.action in ("pemblokiran", "buka_blokir")]
    if not any(s.due_on > as_of for s in moves):
        return blocking.get(case.case_id)
    before = [s for s in moves if s.due_on <= as_of]
    return case.nip if before and before[-1].action == "pemblokiran" and case.nip else None


def _dossier_row(
    case: CaseFacts,
    row: ComplianceRow,
    steps: list[StepFact],
    overdue: int,
    person_names: dict[str, str],
    nip_display: str,
    zone: ZoneInfo,
) -> DossierRow:
    sent = [
        f"{s.letter_no} ({_local_day(s.sent_at, zone).isoformat()})"
        for s in steps
        if s.letter_no and s.sent_at
    ]
    return DossierRow(
        event=case.event,
        instansi=row.instansi,
        ppk=row.ppk,
        recommendation_no=case.recommendation_no or case.case_key,
        recommendation_date=case.recommendation_date,
        deadline=case.deadline,
        days_overdue=overdue,
        nip=mask_nip(case.nip, nip_display),
        name=person_names.get(case.nip or "", "-"),
        steps=tuple((s.action, s.due_on) for s in steps),
        letters=", ".join(sorted({s.letter_no for s in steps if s.letter_no})) or "-",
        delivery="; ".join(sent) or "-",
    )
