"""Indonesian government working days, for the 7-working-day reporting rule.

A working day is Monday to Friday (ASN work a five-day week) that is neither a national public holiday
(libur nasional) nor collective leave (cuti bersama). Both come from the ``holidays`` package (vacanza,
MIT): its ``ID`` calendar holds the libur nasional in the PUBLIC category and the cuti bersama of each
SKB 3 Menteri in the GOVERNMENT category (2002 to the latest SKB it ships; 0.108 knows 2027), updated by
a package upgrade. A decree the installed version does not know yet (a new SKB, a revision that adds or
cancels a day) goes in ``schemas/reference/working_day_overrides.csv``, columns:

- ``date`` (ISO), ``kind``: ``libur_nasional`` or ``cuti_bersama`` (a day off) or ``hari_kerja`` (a
  day the package lists that is a working day after all, e.g. a cancelled cuti bersama);
- ``name``; ``reference``: the SKB or Keppres (number and date), required.

A year is *confirmed* when the package or the overrides hold cuti bersama for it. Before its SKB exists
the year can only gain days off, so a deadline computed for it can only move later: a rule may trust
"on time" but must call "late" provisional (:meth:`WorkingDayCalendar.confirmed`).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Literal

import holidays
from holidays.constants import GOVERNMENT, PUBLIC

import schemas.reference
from sbt_sync.errors import SbtError

DEFAULT_OVERRIDES_PATH = Path(schemas.reference.__file__).resolve().parent / "working_day_overrides.csv"
OVERRIDE_COLUMNS = ("date", "kind", "name", "reference")
OverrideKind = Literal["libur_nasional", "cuti_bersama", "hari_kerja"]
_KINDS: tuple[OverrideKind, ...] = ("libur_nasional", "cuti_bersama", "hari_kerja")
WEEKEND = frozenset({5, 6})  # Saturday, Sunday
_MAX_STEPS = 3660  # no run of ten years without a working day: a bad override list, not a calendar


class WorkingDayError(SbtError):
    """The overrides file is wrong; the message names the file, line and field."""


@dataclass(frozen=True)
class WorkingDayOverride:
    day: date
    kind: OverrideKind
    name: str
    reference: str


@cache
def _package_days_off(year: int) -> dict[date, str]:
    """The package's libur nasional and cuti bersama of a year, named in Bahasa Indonesia."""
    found = holidays.country_holidays("ID", years=year, categories=(PUBLIC, GOVERNMENT), language="id")
    return {day: str(name) for day, name in found.items()}


@cache
def _package_knows_cuti_bersama(year: int) -> bool:
    return len(holidays.country_holidays("ID", years=year, categories=(GOVERNMENT,))) > 0


class WorkingDayCalendar:
    """Working days from the ``holidays`` package corrected by a deployment's overrides."""

    def __init__(self, overrides: Sequence[WorkingDayOverride] = ()) -> None:
        self._off = {o.day: o for o in overrides if o.kind != "hari_kerja"}
        self._on = {o.day: o for o in overrides if o.kind == "hari_kerja"}
        self._override_years = {o.day.year for o in overrides if o.kind == "cuti_bersama"}

    def day_off_reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day (weekend, holiday or cuti bersama name), else ``None``."""
        if day.weekday() in WEEKEND:
            return "akhir pekan"
        if day in self._on:
            return None
        if day in self._off:
            return self._off[day].name or self._off[day].kind
        return _package_days_off(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        return self.day_off_reason(day) is None

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted; count >= 1)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day, seen = start, 0
        for _ in range(_MAX_STEPS):
            day += timedelta(days=1)
            if self.is_working_day(day):
                seen += 1
                if seen == count:
                    return day
        raise WorkingDayError(f"no {count} working days within {_MAX_STEPS} days after {start}")

    def working_days_after(self, start: date, end: date) -> int:
        """How many working days fall after ``start`` up to and including ``end`` (0 if ``end <= start``)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def fingerprint(self) -> str:
        """What the calendar is made of (package version and overrides): equal fingerprints give equal
        working days, so an evaluation can tell when every deadline must be computed again."""
        parts = [version("holidays")]
        parts += sorted(f"{o.day}|{o.kind}" for o in (*self._off.values(), *self._on.values()))
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def confirmed(self, year: int) -> bool:
        """Whether the cuti bersama of ``year`` are known (the package or an override holds them)."""
        return year in self._override_years or _package_knows_cuti_bersama(year)


def load_overrides(path: Path | None = None) -> tuple[WorkingDayOverride, ...]:
    """Read and validate the overrides file (default: the packaged one).

    Raises :class:`WorkingDayError` naming the file, line and field for a missing or unknown column,
    a bad date or kind, a missing reference, or a date listed twice.
    """
    path = path or DEFAULT_OVERRIDES_PATH
    out: list[WorkingDayOverride] = []
    seen: dict[date, int] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            present = list(reader.fieldnames or [])
            missing = [c for c in OVERRIDE_COLUMNS if c not in present]
            unknown = [c for c in present if c not in OVERRIDE_COLUMNS]
            if missing or unknown:
                problem = f"missing column(s) {', '.join(missing)}" if missing else ""
                problem = problem or f"unknown column(s) {', '.join(unknown)}"
                raise WorkingDayError(f"{path}: line 1: {problem}")
            for row in reader:
                override = _override(path, reader.line_num, row)
                if override.day in seen:
                    raise WorkingDayError(
                        f"{path}: line {reader.line_num}: date: {override.day} is listed twice "
                        f"(first on line {seen[override.day]})"
                    )
                seen[override.day] = reader.line_num
                out.append(override)
    except OSError as exc:
        raise WorkingDayError(f"{path}: cannot read the working-day overrides: {exc}") from exc
    return tuple(out)


def _override(path: Path, line: int, row: dict[str, str | None]) -> WorkingDayOverride:
    def fail(column: str, problem: str) -> WorkingDayError:
        return WorkingDayError(f"{path}: line {line}: {column}: {problem}")

    if None in row:
        raise fail("(row)", "has more cells than the header")
    raw_day = (row.get("date") or "").strip()
    try:
        day = date.fromisoformat(raw_day)
    except ValueError:
        raise fail("date", f"{raw_day!r} is not a date (YYYY-MM-DD)") from None
    kind = (row.get("kind") or "").strip()
    if kind not in _KINDS:
        raise fail("kind", f"{kind!r} is not one of {', '.join(_KINDS)}")
    reference = (row.get("reference") or "").strip()
    if not reference:
        raise fail("reference", "is empty (name the SKB or Keppres, with its number and date)")
    return WorkingDayOverride(day, kind, (row.get("name") or "").strip(), reference)


def load_working_days(path: Path | None = None) -> WorkingDayCalendar:
    """The working-day calendar with the overrides file applied."""
    return WorkingDayCalendar(load_overrides(path))
