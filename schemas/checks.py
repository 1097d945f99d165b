"""Element checks shared by the feed models: each returns a boolean Series, True where a value passes.

Feed columns stay strings so that a failure case shows the value exactly as the agency sent it; the
canonical staged model parses them afterwards. Missing values pass every check here: whether a column
may be empty is the column's own ``nullable`` setting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cache

import pandas as pd

from schemas.nip import NipError, parse_nip
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


def acceptable_nip(series: pd.Series) -> pd.Series:
    """Valid NIPs (layout noise allowed) or missing; float-mangled and impossible ones fail."""
    return _each(series, lambda v: nip_reason(v) is None)


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


def dmy_date(series: pd.Series) -> pd.Series:
    """A real calendar date written dd-mm-yyyy (31-02-2024 fails)."""
    return _each(series, lambda v: _parse_dmy(v) is not None)


def iso_date(series: pd.Series) -> pd.Series:
    """A real calendar date written yyyy-mm-dd."""
    return _each(series, lambda v: _parse_iso_date(v) is not None)


def iso_datetime_with_offset(series: pd.Series) -> pd.Series:
    """An ISO-8601 instant with an explicit UTC offset (WIB, WITA, WIT...), and a real date."""

    def ok(value: object) -> bool:
        text = str(value).strip()
        if not ISO_DATETIME_WITH_OFFSET.match(text):
            return False
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True

    return _each(series, ok)


@cache
def violation_form_codes() -> frozenset[str]:
    return frozenset(form.code for form in violation_forms())


@cache
def sanction_code_ids() -> frozenset[str]:
    return frozenset(str(code.id) for code in sanction_codes())


def known_violation_form(series: pd.Series) -> pd.Series:
    return _each(series, lambda v: str(v).strip() in violation_form_codes())


def known_sanction_code(series: pd.Series) -> pd.Series:
    return _each(series, lambda v: str(v).strip() in sanction_code_ids())


def parse_dmy(value: object) -> date | None:
    return None if is_blank(value) else _parse_dmy(value)


def parse_iso_date(value: object) -> date | None:
    return None if is_blank(value) else _parse_iso_date(value)


def parse_instant(value: object) -> datetime | None:
    if is_blank(value):
        return None
    return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))


def text_or_none(value: object) -> str | None:
    return None if is_blank(value) else str(value).strip()
