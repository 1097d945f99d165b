"""Element checks shared by the feed models: each returns a boolean Series, True where a value passes.

Each check is registered as a Pandera check method under its own name (``pa.Check.acceptable_nip()``;
in a model, ``pa.Field(acceptable_nip={})``), and that name is the ``check`` of its failure cases,
which the quarantine keeps and :mod:`sbt_sync.ingest.validate` turns into a reason. Feed columns stay
strings so that a failure case shows the value exactly as the agency sent it; the canonical staged
model parses them afterwards. Missing values pass every check here: whether a column may be empty is
the column's own ``nullable`` setting.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache

import pandas as pd
import pandera.pandas as pa
from pandera.api.extensions import register_check_method

from schemas.nip import Nip, NipError, parse_nip
from schemas.reference import sanction_codes, violation_forms

ISO_DATETIME_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


def is_blank(value: object) -> bool:
    """None, NaN, or only whitespace."""
    if value.__class__ is str:  # the common case, without the str() round trip
        return not value.strip()
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def _each(series: pd.Series, ok: Callable[[object], bool]) -> pd.Series:
    """``ok`` on each value that is not blank; blanks pass. One list pass instead of ``Series.map``
    with a lambda per value."""
    return pd.Series(
        [True if is_blank(v) else bool(ok(v)) for v in series.tolist()],
        index=series.index,
        name=series.name,
        dtype=bool,
    )


def nip_reason(value: object) -> str | None:
    """Why a NIP value cannot be accepted, or None when it is valid or missing."""
    try:
        parse_nip(value)
    except NipError as exc:
        return exc.reason
    return None


class ParsedNips:
    """The NIPs ``acceptable_nip`` parsed during one validation, by row label and value as checked,
    so that building the staged record of a row that passed does not parse its NIP again."""

    def __init__(self) -> None:
        self.by_row: dict[Hashable, dict[str, Nip | None]] = {}
        self.current: dict[str, Nip | None] | None = None

    def select_row(self, label: Hashable) -> None:
        """Make row ``label``'s NIPs the ones ``valid_nip`` answers from (None: none)."""
        self.current = self.by_row.get(label)


_PARSED_NIPS: ContextVar[ParsedNips | None] = ContextVar("parsed_nips", default=None)


@contextmanager
def remembering_nips() -> Iterator[ParsedNips]:
    """Within the block, ``acceptable_nip`` remembers what it parsed and ``valid_nip`` reuses it."""
    parsed = ParsedNips()
    token = _PARSED_NIPS.set(parsed)
    try:
        yield parsed
    finally:
        _PARSED_NIPS.reset(token)


def valid_nip(value: object) -> Nip | None:
    """``parse_nip(value)`` for a value that passed ``acceptable_nip``: the check's own result for the
    selected row when it parsed the same text, else parsed here (and raising as ``parse_nip``)."""
    parsed = _PARSED_NIPS.get()
    row = parsed.current if parsed is not None else None
    if row is not None and value is not None:
        text = str(value)
        if text in row:
            return row[text]
    return parse_nip(value)


def acceptable_nip(series: pd.Series) -> pd.Series:
    """Valid NIPs (layout noise allowed) or missing; float-mangled and impossible ones fail."""
    parsed = _PARSED_NIPS.get()
    passed: list[bool] = []
    for label, value in zip(series.index, series.tolist(), strict=True):
        if is_blank(value):
            passed.append(True)
            continue
        try:
            nip = parse_nip(value)
        except NipError:
            passed.append(False)
            continue
        passed.append(True)
        if parsed is not None and value.__class__ in (str, int):
            # Only str and int values: parse_nip(str(v)) == parse_nip(v) holds for those.
            parsed.by_row.setdefault(label, {})[str(value)] = nip
    return pd.Series(passed, index=series.index, name=series.name, dtype=bool)


def _parse_dmy(value: object) -> date | None:
    try:
        return datetime.strptime(str(value).strip(), "%d-%m-%Y").date()  # noqa: DTZ007 - a date, no time
    except ValueError:
        return None


def _parse_iso_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_LEADING_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?=$|[T ])")
_DMY = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
_INSTANT_PARTS = re.compile(
    r"^\d{4}-\d{2}-\d{2}T(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(\.\d+)?)?"
    r"(?P<offset>[+-](?P<oh>\d{2}):(?P<om>\d{2})|Z)?$"
)


def calendar_problem(year: int, month: int, day: int) -> str | None:
    """Why year-month-day is no day of the calendar (``"February 2024 has 29 days"``), or None."""
    if not 1 <= year <= 9999:
        return f"there is no year {year}"
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{_MONTHS[month - 1]} {year} has {days} days"
    return None


def _impossible(written: str, problem: str | None) -> str | None:
    return None if problem is None else f"{written} is not a real date ({problem})"


def iso_date_reason(value: object) -> str | None:
    """Why ``value`` is not a real date written yyyy-mm-dd, naming an impossible date; None if it is."""
    text = str(value).strip()
    if _parse_iso_date(text) is not None:
        return None
    found = _LEADING_ISO_DATE.match(text)
    if found and found.end() == len(text):
        year, month, day = (int(g) for g in found.groups())
        if reason := _impossible(text, calendar_problem(year, month, day)):
            return reason
    return "not a date written yyyy-mm-dd"


def dmy_date_reason(value: object) -> str | None:
    """Why ``value`` is not a real date written dd-mm-yyyy, naming an impossible date; None if it is."""
    text = str(value).strip()
    if _parse_dmy(text) is not None:
        return None
    found = _DMY.match(text)
    if found:
        day, month, year = (int(g) for g in found.groups())
        if reason := _impossible(text, calendar_problem(year, month, day)):
            return reason
    return "not a date written dd-mm-yyyy"


def instant_reason(value: object) -> str | None:
    """Why ``value`` is not an ISO-8601 instant with a UTC offset on a real date, or None if it is.

    Names what is wrong, the date first (``2024-02-30 is not a real date (February 2024 has 29
    days)``): a steward or the agency then fixes the right thing, where "not an instant" sends them
    looking at the format of a value whose format is fine.
    """
    text = str(value).strip()
    if _is_instant(text):
        return None
    problems: list[str] = []
    found = _LEADING_ISO_DATE.match(text)
    if found:
        year, month, day = (int(g) for g in found.groups())
        if reason := _impossible(found.group(0), calendar_problem(year, month, day)):
            problems.append(reason)
    parts = _INSTANT_PARTS.match(text)
    if parts is None:
        problems.append("not an ISO-8601 instant with a UTC offset (yyyy-mm-ddThh:mm[:ss]+hh:mm)")
    else:
        hour, minute, second = (int(parts.group(n) or 0) for n in ("hour", "minute", "second"))
        if hour > 23 or minute > 59 or second > 59:
            problems.append(f"{hour:02d}:{minute:02d}:{second:02d} is not a time of day")
        if parts.group("offset") is None:
            problems.append("no UTC offset (e.g. +07:00 for WIB)")
        elif parts.group("oh") is not None and (int(parts.group("oh")) > 23 or int(parts.group("om")) > 59):
            problems.append(f"{parts.group('offset')} is not a UTC offset")
    return "; ".join(problems) or "not an ISO-8601 instant with a UTC offset"


def _is_instant(text: str) -> bool:
    if not ISO_DATETIME_WITH_OFFSET.match(text):
        return False
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def dmy_date(series: pd.Series) -> pd.Series:
    """A real calendar date written dd-mm-yyyy (31-02-2024 fails); blanks pass.

    Vectorised with pandas' own strptime: the same verdicts as ``_parse_dmy`` on each value (held by
    tests/schemas/test_checks_dmy.py over random text), about 3.5 times faster than a Python loop.
    """
    text = series.astype(str).str.strip()
    parsed = pd.to_datetime(text, format="%d-%m-%Y", errors="coerce")
    return (series.isna() | text.eq("") | parsed.notna()).astype(bool).rename(series.name)


def iso_date(series: pd.Series) -> pd.Series:
    """A real calendar date written yyyy-mm-dd."""
    return _each(series, lambda v: _parse_iso_date(v) is not None)


def iso_datetime_with_offset(series: pd.Series) -> pd.Series:
    """An ISO-8601 instant with an explicit UTC offset (WIB, WITA, WIT...), and a real date."""

    return _each(series, lambda v: _is_instant(str(v).strip()))


@cache
def violation_form_codes() -> frozenset[str]:
    return frozenset(form.code for form in violation_forms())


@cache
def sanction_code_ids() -> frozenset[str]:
    return frozenset(str(code.id) for code in sanction_codes())


@cache
def sanction_code_by_name() -> dict[str, str]:
    """jenisHukuman code by sanction name in capitals (KASN's sheets name the sanction, not its code)."""
    return {code.nama.upper(): str(code.id) for code in sanction_codes()}


def known_violation_form(series: pd.Series) -> pd.Series:
    """A violation-form code of the reference data."""
    return _each(series, lambda v: str(v).strip() in violation_form_codes())


def known_sanction_code(series: pd.Series) -> pd.Series:
    """A jenisHukuman code of the reference data."""
    return _each(series, lambda v: str(v).strip() in sanction_code_ids())


def known_sanction_name(series: pd.Series) -> pd.Series:
    """A sanction name of the reference data, in any letter case."""
    return _each(series, lambda v: str(v).strip().upper() in sanction_code_by_name())


def parse_dmy(value: object) -> date | None:
    return None if is_blank(value) else _parse_dmy(value)


def parse_instant(value: object) -> datetime | None:
    if is_blank(value):
        return None
    return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))


def text_or_none(value: object) -> str | None:
    """The value as stripped text, or None when it is blank (``is_blank``)."""
    if value.__class__ is str:  # the common case: one strip, not three
        return value.strip() or None
    return None if is_blank(value) else str(value).strip()


_ORIGIN = "sbt_check_origin"
"""Attribute marking a registered check method with the function it came from (module.qualname)."""


def _register(check: Callable[[pd.Series], pd.Series]) -> None:
    """Register ``check`` as ``pa.Check.<its name>()``, a vectorised check without statistics.

    Idempotent: registering the same function again (this module reloaded, or imported afresh in a
    worker that inherited the registry) replaces the earlier registration. A different function
    already registered under the name is refused: two checks must not share the name the quarantine
    records.
    """
    name, origin = check.__name__, f"{check.__module__}.{check.__qualname__}"
    registered = pa.Check.REGISTERED_CUSTOM_CHECKS.get(name)
    if registered is not None:
        if getattr(registered, _ORIGIN, None) != origin:
            raise ValueError(f"pa.Check.{name} is already registered by another function than {origin}")
        del pa.Check.REGISTERED_CUSTOM_CHECKS[name]
    register_check_method(check)
    setattr(pa.Check.REGISTERED_CUSTOM_CHECKS[name], _ORIGIN, origin)


REGISTERED_CHECKS = (
    acceptable_nip,
    dmy_date,
    iso_date,
    iso_datetime_with_offset,
    known_violation_form,
    known_sanction_code,
    known_sanction_name,
)
"""The check methods the feed models use; each failure case names its check by the function name."""

for _check in REGISTERED_CHECKS:
    _register(_check)
