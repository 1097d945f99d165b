"""Plants I-MUT personnel actions, lawful and unlawful, each with the findings its construction makes true.

Every planted action is built so that exactly the rules its category names apply (DATA_FORMAT.md,
"I-MUT actions"): an action decided by a regional head inside the watch window is reported on time
unless its category is about reporting, its posts are uncovered or approved in time unless its category
is about an approval, and ordinary actions never touch an ASN who appears in a neutrality case. The
windows come from the election calendar (:mod:`sbt_sync.imut.elections`) and working days from
:mod:`sbt_sync.imut.workdays`; the findings are never computed by :mod:`sbt_sync.imut.rules`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from sbt_sync.imut.elections import ElectionEvent, load_election_calendar
from sbt_sync.imut.model import COVERED_POST_CLASSES, ActionKind, DateWindow, OfficialRole, PostClass
from sbt_sync.imut.workdays import load_working_days
from sbt_sync.sandbox.generate import names
from sbt_sync.sandbox.generate.config import at_wib
from sbt_sync.sandbox.generate.imut_posts import LOWER, Official, Officials, Post, post
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.registry import Registry
from sbt_sync.sandbox.generate.sources.common import hex_id
from sbt_sync.sandbox.generate.sources.imut import Action, report_changes

EVENT_ID = "pilkada-2024"
"""The election event the plants are placed around (schemas/reference/election_calendar.csv)."""
REPORT_DAYS = 7
HEAD_ROLES = (OfficialRole.KEPALA_DAERAH, OfficialRole.PJ_KEPALA_DAERAH, OfficialRole.PLT_KEPALA_DAERAH)
COVERED = tuple(c for c in PostClass if c in COVERED_POST_CLASSES)
ALASAN = {
    ActionKind.MUTASI: ("Kebutuhan organisasi", "Penyegaran dan pemerataan pegawai", "Permohonan sendiri"),
    ActionKind.ROTASI: ("Penyegaran organisasi", "Rotasi berkala"),
    ActionKind.PROMOSI: ("Hasil seleksi terbuka", "Pengisian jabatan lowong", "Hasil uji kompetensi"),
    ActionKind.DEMOSI: ("Hasil evaluasi kinerja", "Penjatuhan hukuman disiplin", "Penataan organisasi"),
    ActionKind.PEMBERHENTIAN: ("Hasil evaluasi kinerja", "Penataan organisasi", "Permohonan sendiri"),
    ActionKind.PENGANGKATAN: ("Pengisian jabatan lowong", "Hasil seleksi terbuka"),
}


class Context:
    """What every planting step shares: the random stream, the registry, officials, windows and days."""

    def __init__(self, rng: np.random.Generator, reg: Registry, table: list[Instansi]) -> None:
        self.rng, self.reg, self.table = rng, reg, table
        self.officials = Officials(rng, reg, table)
        self.calendar = load_election_calendar()
        self.workdays = load_working_days()
        self._serial = 0
        self._wd: dict[tuple[date, int], date] = {}

    def event(self, region: str | None) -> ElectionEvent:
        """The planted event as it applies to a region (its own row, else the ``*`` row)."""
        for event in self.calendar.events_for(region or "00"):
            if event.event_id == EVENT_ID:
                return event
        raise ValueError(f"the election calendar has no {EVENT_ID} event for region {region}")

    def windows(self, region: str | None) -> tuple[DateWindow, DateWindow]:
        """(Pasal 71(2) ban window, Pasal 162(3) window) of the planted event in a region."""
        event = self.event(region)
        after = event.post_inauguration_window
        if after is None:
            raise ValueError(f"{EVENT_ID} has no inauguration date: Pasal 162(3) cannot be planted")
        return event.ban_window, after

    def add_wd(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (cached: national scale asks often)."""
        key = (day, count)
        if key not in self._wd:
            self._wd[key] = self.workdays.add_working_days(day, count)
        return self._wd[key]

    def working_on_or_after(self, day: date) -> date:
        while not self.workdays.is_working_day(day):
            day += timedelta(days=1)
        return day

    def day_in(self, first: date, last: date, *, working: bool = True) -> date:
        """A day drawn in ``first``..``last`` (moved to a working day when ``working``; may pass ``last``)."""
        span = max((last - first).days, 0)
        day = first + timedelta(days=int(self.rng.integers(span + 1)))
        return self.working_on_or_after(day) if working else day

    def choice(self, options: tuple[object, ...] | list[object]) -> object:
        return options[int(self.rng.integers(len(options)))]

    def name_of(self, row: int) -> str:
        reg = self.reg
        name = str(names.compose(reg.g1[row : row + 1], reg.g2[row : row + 1], reg.fam[row : row + 1])[0])
        return name.upper() if self.rng.random() < 0.2 else name

    def nomor_sk(self, official: Official, decided: date) -> str:
        self._serial += 1
        if official.wilayah is not None or official.instansi_id is None:
            return f"800.1.3.{int(self.rng.integers(1, 9))}/{self._serial:05d}/BKPSDM/{decided.year}"
        return f"KP.02.03/{self._serial:05d}/{decided.year}"

    def approval(self, day: date) -> tuple[str, date]:
        self._serial += 1
        return (f"100.2.2.6/{self._serial:04d}/SJ", day)

    def new(
        self,
        category: str,
        row: int,
        kind: ActionKind,
        official: Official,
        decided: date,
        posts: tuple[Post | None, Post | None],
        *,
        tmt: date | None = None,
        approval: tuple[str, date] | None = None,
        nip: str | None = None,
    ) -> Action:
        """An action on registry row ``row`` (no versions yet). A drawn TMT (``tmt`` not given) of an
        action decided before the ban never falls in it: a replacement signed before the ban and
        taking effect within it is a finding, planted only where meant (``effective_in_window``)."""
        alasan = None if self.rng.random() < 0.1 else str(self.choice(ALASAN[kind]))
        effective = tmt or decided + timedelta(days=int(self.rng.integers(0, 15)))
        if tmt is None:
            ban = self.event(official.wilayah).ban_window
            if decided < ban.first <= effective:
                effective = ban.first - timedelta(days=1)
        return Action(
            action_id=hex_id(self.rng),
            category=category,
            nip=nip or self.reg.nip_str(row),
            nama=self.name_of(row),
            kind=kind,
            instansi_id=self.table[int(self.reg.instansi[row])].id,
            official=official,
            decided=decided,
            tmt=effective,
            before=posts[0],
            after=posts[1],
            alasan=alasan,
            nomor_sk=self.nomor_sk(official, decided),
            approval=approval,
        )

    def posts(self, kind: ActionKind, klass: PostClass) -> tuple[Post | None, Post | None]:
        """Posts before and after an action of ``kind`` around ``klass`` (the covered one, if covered)."""
        rng = self.rng
        if kind == ActionKind.PENGANGKATAN:
            return None, post(rng, klass)
        if kind == ActionKind.PEMBERHENTIAN:
            return post(rng, klass), None
        if kind == ActionKind.DEMOSI:
            return post(rng, klass), post(rng, LOWER[klass])
        if kind == ActionKind.PROMOSI:
            return post(rng, LOWER[klass]), post(rng, klass)
        return post(rng, klass), post(rng, klass)

    def serve_plain(self, action: Action, *, latest: date | None = None) -> None:
        """One version, served one to ten days after the decision (no later than ``latest``)."""
        day = action.decided + timedelta(days=int(self.rng.integers(1, 11)))
        if latest is not None:
            day = max(min(day, latest), action.decided)
        action.serve(at_wib(day, int(self.rng.integers(8, 17)), int(self.rng.integers(60))))

    def serve_reported(self, action: Action, working_day: int) -> None:
        """Reported on the ``working_day``-th working day after the decision; served either with the
        report (on or after it) or first without it and again once it is filled in (before the
        deadline passes, so an unreported version never outlives the deadline)."""
        reported = self.add_wd(action.decided, working_day)
        if self.rng.random() < 0.35 and working_day <= REPORT_DAYS:
            action.serve(at_wib(action.decided, 15, int(self.rng.integers(60))))
            action.serve(at_wib(reported, 16, int(self.rng.integers(60))), **report_changes(reported))
        else:
            action.reported = reported
            day = (
                reported
                if working_day > REPORT_DAYS
                else reported + timedelta(days=int(self.rng.integers(3)))
            )
            if working_day <= REPORT_DAYS:
                day = min(day, self.add_wd(action.decided, REPORT_DAYS))
            action.serve(at_wib(day, 14, int(self.rng.integers(60))))

    def serve_on_time(self, action: Action) -> None:
        self.serve_reported(action, int(self.rng.integers(1, REPORT_DAYS + 1)))


def deadline_passed(ctx: Context, action: Action) -> datetime:
    """The first instant at which an unreported action is past its reporting deadline (WIB midnight)."""
    return at_wib(ctx.add_wd(action.decided, REPORT_DAYS) + timedelta(days=1), 0)


def regional_head(ctx: Context, inst: int) -> Official:
    role = HEAD_ROLES[int(ctx.rng.choice(3, p=[0.5, 0.35, 0.15]))]
    return ctx.officials.get(inst, role)
