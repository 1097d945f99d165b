"""The election calendar: per election event and region, the dates the I-MUT windows run from.

A deployment edits ``schemas/reference/election_calendar.csv`` (or passes another file), one row per
event and region, columns:

- ``event_id`` (e.g. ``pilkada-2024``) and ``event_name``;
- ``region_code``: Kemendagri region code (``32`` a province, ``32.73`` a regency or city), or ``*``
  for every region of the event that has no row of its own;
- ``candidate_determination_date`` (required), ``voting_date``, ``inauguration_date`` and
  ``end_of_term_date`` (the last day of the term of the head in office through the election, Pj
  included): ISO dates, empty while not yet known;
- ``source``: the decree or KPU decision the dates come from.

A region's row with all four dates empty says the event holds no election for that region's head
(Pilkada 2024 elected no governor of DI Yogyakarta, ``34``, while its regencies voted): the event's
``*`` row does not apply there. Its ``source`` says why. A ``*`` row always needs its dates.

Loading validates every row and raises :class:`ElectionCalendarError` naming the file, the line and the
field. Window arithmetic lives here too, so every rule reads the same windows.
"""

from __future__ import annotations

import calendar
import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import schemas.reference
from sbt_sync.errors import SbtError
from sbt_sync.imut.model import DateWindow

DEFAULT_PATH = Path(schemas.reference.__file__).resolve().parent / "election_calendar.csv"
COLUMNS = (
    "event_id",
    "event_name",
    "region_code",
    "candidate_determination_date",
    "voting_date",
    "inauguration_date",
    "end_of_term_date",
    "source",
)
ANY_REGION = "*"
_REGION = re.compile(r"^\d{2}(\.\d{2})?$")
BAN_MONTHS = 6  # UU 10/2016 Pasal 71(2): from 6 months before candidate determination
POST_INAUGURATION_MONTHS = 6  # Pasal 162(3): within 6 months of inauguration


def shift_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later (earlier if negative), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


class ElectionCalendarError(SbtError):
    """The election calendar file is wrong; the message names the file, line and field."""


@dataclass(frozen=True)
class ElectionEvent:
    """One election event in one region (``region_code`` ``*``: every region without its own row)."""

    event_id: str
    event_name: str
    region_code: str
    candidate_determination: date
    voting: date | None
    inauguration: date | None
    end_of_term: date | None
    source: str

    @property
    def ban_window(self) -> DateWindow:
        """Pasal 71(2): 6 months before candidate determination to the end of term. The term ends, at
        the latest, the day before the inauguration (Pasal 162(3) runs from then), so an unknown end of
        term is that day when the inauguration is known; open while both are unknown."""
        first = shift_months(self.candidate_determination, -BAN_MONTHS)
        if self.end_of_term is not None:
            return DateWindow(first, self.end_of_term)
        if self.inauguration is not None:
            return DateWindow(first, self.inauguration - timedelta(days=1))
        return DateWindow(first, date.max)

    @property
    def post_inauguration_window(self) -> DateWindow | None:
        """Pasal 162(3): 6 months counted from inauguration day (20 Feb to 19 Aug); ``None`` if unknown.

        The window ends the day before the same day of the month six months on; where that month is
        too short for it (inaugurated 31 Aug: there is no 31 Feb) it ends on that month's last day,
        not the day before it (clamping first, then going back a day, lost a day of the window)."""
        if self.inauguration is None:
            return None
        anniversary = shift_months(self.inauguration, POST_INAUGURATION_MONTHS)
        # Clamped to a shorter month's end: the six months run out with that month.
        clamped = anniversary.day != self.inauguration.day
        last = anniversary if clamped else anniversary - timedelta(days=1)
        return DateWindow(self.inauguration, last)


@dataclass(frozen=True)
class ElectionCalendar:
    """Every event row; look-ups prefer a region's own row over the event's ``*`` row.
    ``no_election`` holds the (event id, region code) of the rows that say the event holds no
    election there."""

    events: tuple[ElectionEvent, ...]
    no_election: tuple[tuple[str, str], ...] = ()

    def events_for(self, region_code: str | None) -> tuple[ElectionEvent, ...]:
        """The events that apply to a region, one per event id, in file order."""
        if region_code is None:
            return ()
        chosen: dict[str, ElectionEvent] = {}
        for event in self.events:
            if event.region_code == region_code:
                chosen[event.event_id] = event
            elif event.region_code == ANY_REGION:
                chosen.setdefault(event.event_id, event)
        skipped = {event_id for event_id, region in self.no_election if region == region_code}
        return tuple(event for event_id, event in chosen.items() if event_id not in skipped)

    def national_events(self) -> tuple[ElectionEvent, ...]:
        """The events' ``*`` rows, one per event id, in file order: what applies to an official who
        governs no region (a minister, a head of a central agency)."""
        chosen: dict[str, ElectionEvent] = {}
        for event in self.events:
            if event.region_code == ANY_REGION:
                chosen.setdefault(event.event_id, event)
        return tuple(chosen.values())


def load_election_calendar(path: Path | None = None) -> ElectionCalendar:
    """Read and validate an election calendar file (default: the packaged one).

    Raises :class:`ElectionCalendarError` for a missing file, missing or unknown columns, a bad or
    missing date, dates out of order, or an event and region listed twice.
    """
    path = path or DEFAULT_PATH
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            _check_columns(path, reader.fieldnames)
            events = [_event(path, reader.line_num, row) for row in reader]
    except OSError as exc:
        raise ElectionCalendarError(f"{path}: cannot read the election calendar: {exc}") from exc
    _check_unique(path, events)
    held = tuple(event for event, _line in events if isinstance(event, ElectionEvent))
    none = tuple(event for event, _line in events if not isinstance(event, ElectionEvent))
    return ElectionCalendar(held, none)


def _check_columns(path: Path, fieldnames: Iterable[str] | None) -> None:
    present = list(fieldnames or [])
    missing = [name for name in COLUMNS if name not in present]
    unknown = [name for name in present if name not in COLUMNS]
    if missing:
        raise ElectionCalendarError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
    if unknown:
        raise ElectionCalendarError(f"{path}: line 1: unknown column(s) {', '.join(unknown)}")


NoElection = tuple[str, str]
"""(event id, region code) of a row saying the event holds no election in that region."""


def _event(path: Path, line: int, row: dict[str, str | None]) -> tuple[ElectionEvent | NoElection, int]:
    def fail(column: str, problem: str) -> ElectionCalendarError:
        return ElectionCalendarError(f"{path}: line {line}: {column}: {problem}")

    def text(column: str, *, required: bool) -> str:
        value = (row.get(column) or "").strip()
        if required and not value:
            raise fail(column, "is empty")
        return value

    def day(column: str, *, required: bool) -> date | None:
        value = text(column, required=required)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise fail(column, f"{value!r} is not a date (YYYY-MM-DD)") from None

    if None in row:  # csv puts surplus cells under the None key
        raise fail("(row)", "has more cells than the header")
    region = text("region_code", required=True)
    if region != ANY_REGION and not _REGION.match(region):
        raise fail("region_code", f"{region!r} is not a Kemendagri code (e.g. 32 or 32.73) or *")
    dates = ("candidate_determination_date", "voting_date", "inauguration_date", "end_of_term_date")
    if region != ANY_REGION and not any(text(column, required=False) for column in dates):
        text("source", required=True)  # why the region holds no election
        return (text("event_id", required=True), region), line
    determination = day("candidate_determination_date", required=True)
    assert determination is not None
    voting = day("voting_date", required=False)
    inauguration = day("inauguration_date", required=False)
    end_of_term = day("end_of_term_date", required=False)
    if voting is not None and voting < determination:
        raise fail("voting_date", f"{voting} is before candidate_determination_date {determination}")
    if inauguration is not None and voting is not None and inauguration < voting:
        raise fail("inauguration_date", f"{inauguration} is before voting_date {voting}")
    if end_of_term is not None and end_of_term < determination:
        raise fail(
            "end_of_term_date", f"{end_of_term} is before candidate_determination_date {determination}"
        )
    if end_of_term is not None and inauguration is not None and end_of_term > inauguration:
        raise fail("end_of_term_date", f"{end_of_term} is after inauguration_date {inauguration}")
    event = ElectionEvent(
        event_id=text("event_id", required=True),
        event_name=text("event_name", required=False),
        region_code=region,
        candidate_determination=determination,
        voting=voting,
        inauguration=inauguration,
        end_of_term=end_of_term,
        source=text("source", required=True),
    )
    return event, line


def _check_unique(path: Path, events: list[tuple[ElectionEvent | NoElection, int]]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for event, line in events:
        key = (event.event_id, event.region_code) if isinstance(event, ElectionEvent) else event
        if key in seen:
            raise ElectionCalendarError(
                f"{path}: line {line}: region_code: {key[1]} is listed twice for "
                f"{key[0]} (first on line {seen[key]})"
            )
        seen[key] = line


_EVENT_WORDS = re.compile(r"[A-Za-z]+|[0-9]+")
"""An event code's words: letters and digits apart ("PILKADA2024" is "Pilkada 2024" too)."""


def event_words(code: str | None) -> str | None:
    """An event code as words: ``PILKADA-2020`` as "Pilkada 2020", ``PEMILU-2024`` as "Pemilu 2024"."""
    if not code or code == "-":
        return None
    words = _EVENT_WORDS.findall(code)
    return " ".join(w if w.isdigit() else w.capitalize() for w in words) or code


def _normalised_event(code: str) -> str:
    return re.sub(r"[^0-9a-z]", "", code.lower())


@lru_cache(maxsize=8)
def _calendar_names(path: str | None) -> dict[str, str]:
    """Each election's name by its normalised id, from the calendar at ``path`` (None: the packaged
    one); an unreadable deployment calendar falls back to the packaged one."""
    try:
        calendar = load_election_calendar(Path(path) if path else None)
    except ElectionCalendarError:
        if path is None:
            return {}
        return _calendar_names(None)
    names: dict[str, str] = {}
    for event in calendar.events:
        names.setdefault(_normalised_event(event.event_id), event.event_name)
    return names


def event_name(code: object, calendar_path: str | None = None) -> str:
    """An election by its name: the calendar's ("Pilkada serentak 2024" for ``PILKADA2024`` and
    ``pilkada-2024``), else the code as words ("Pilkada 2020"); names are Indonesian proper names in
    every language. The calendar is the deployment's (``calendar_path``) or the packaged one."""
    text = str(code or "").strip()
    if not text or text == "-":
        return "-"
    named = _calendar_names(calendar_path).get(_normalised_event(text))
    return named or event_words(text) or text
