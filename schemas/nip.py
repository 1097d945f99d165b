"""NIP parsing: the 18-digit identity of every ASN, PNS or PPPK (DOMAIN.md, "Identity: the NIP").

- PNS: birth date YYYYMMDD, TMT CPNS YYYYMM, gender (1 male, 2 female), serial 001-999.
- PPPK: birth date YYYYMMDD, appointment year YYYY, the digit 2, number of work agreements (1-9),
  gender, serial. Digits 13-14 above 12 therefore mean PPPK.

In the wild NIPs arrive with spaces, dots, dashes, leading apostrophes from Excel, or as floats. Layout
noise is removed; a float-mangled NIP ("1.98001012005011e+17", "198001012005011001.0") has lost digits
and is rejected, never repaired. A missing NIP is not an error: it goes to identity resolution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

NIP_LENGTH = 18
MIN_BIRTH_YEAR = 1930
MAX_BIRTH_YEAR = 2015
MIN_APPOINTMENT_YEAR = 1950
MAX_APPOINTMENT_YEAR = 2035

# Invisible characters copied in with a NIP from a web page, a PDF or a spreadsheet cell (zero-width
# spaces and joiners, a word joiner, a byte-order mark, a soft hyphen): removing them changes no digit.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# Layout characters people and spreadsheets put inside a NIP; removing them changes no digit.
NIP_LAYOUT = re.compile(rf"[\s.\-_/\u00a0\u2007\u202f{INVISIBLE}]+")
_INVISIBLE_GONE = str.maketrans("", "", INVISIBLE)
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE][+-]?\d+$")
_FLOAT_TAIL = re.compile(r"^\d+[.,]0+$")
_MISSING = frozenset({"", "-", "--", "null", "none", "nan", "n/a", "na", "tidak ada", "0"})


def without_layout(text: str) -> str:
    """``text`` without the layout characters people and spreadsheets put inside a NIP (spaces of any
    kind, dots, dashes, underscores, slashes): a NIP written in it becomes an 18-digit run."""
    return NIP_LAYOUT.sub("", text)


class NipError(ValueError):
    """A NIP that cannot be accepted; ``reason`` says why in one line."""

    def __init__(self, raw: object, reason: str) -> None:
        super().__init__(reason)
        self.raw = raw
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Nip:
    value: str
    kind: Literal["PNS", "PPPK"]
    birth_date: date
    gender: Literal["M", "F"]
    appointment_year: int
    appointment_month: int | None
    """TMT CPNS month for PNS; None for PPPK, whose NIP carries only the year."""
    serial: int

    def __str__(self) -> str:
        return self.value

    @property
    def masked(self) -> str:
        return mask_nip(self.value)


def mask_nip(value: str | None) -> str:
    """A NIP safe for logs: only its last four digits (UU 27/2022)."""
    if not value:
        return "<no NIP>"
    return "*" * max(len(value) - 4, 0) + value[-4:]


def clean_nip(raw: object) -> str | None:
    """The 18 digits of ``raw`` with layout noise removed, or None when the NIP is missing.

    Raises :class:`NipError` for a float-mangled value or anything that is not 18 digits.
    """
    if raw.__class__ is str and len(raw) == NIP_LENGTH and raw.isdigit() and raw.isascii():
        return raw  # 18 ASCII digits, as nearly every NIP arrives: no noise to remove, nothing to refuse
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise NipError(raw, "not a NIP: a boolean")
    if isinstance(raw, float):
        if raw != raw:  # NaN: an empty spreadsheet cell
            return None
        raise NipError(raw, "float-mangled NIP (a number in floating point has lost digits); never repaired")
    text = str(raw).translate(_INVISIBLE_GONE).strip().lstrip("'`\u2018\u2019").strip()
    if text.lower() in _MISSING:
        return None
    if _SCIENTIFIC.match(text) or _FLOAT_TAIL.match(text):
        raise NipError(raw, "float-mangled NIP (scientific notation or a decimal tail); never repaired")
    digits = NIP_LAYOUT.sub("", text)
    if not digits.isdigit() or not digits.isascii():
        raise NipError(raw, "NIP contains characters other than digits")
    if len(digits) != NIP_LENGTH:
        raise NipError(raw, f"NIP must have {NIP_LENGTH} digits, found {len(digits)}")
    return digits


def parse_nip(raw: object) -> Nip | None:
    """Parse and check a NIP; None when it is missing.

    Raises :class:`NipError` naming the first problem: float-mangled, wrong length, impossible birth
    date, impossible appointment date, unknown gender digit or serial 000.
    """
    digits = clean_nip(raw)
    if digits is None:
        return None
    birth = _date(digits[0:8])
    if birth is None:
        raise NipError(raw, f"impossible birth date {digits[0:8]} in NIP")
    if not MIN_BIRTH_YEAR <= birth.year <= MAX_BIRTH_YEAR:
        raise NipError(raw, f"birth year {birth.year} outside {MIN_BIRTH_YEAR}-{MAX_BIRTH_YEAR}")
    kind: Literal["PNS", "PPPK"]
    year = int(digits[8:12])
    marker = int(digits[12:14])
    if marker > 12:
        kind, month = "PPPK", None
        if digits[12] != "2" or digits[13] == "0":
            raise NipError(raw, f"PPPK NIP needs digit 2 then an agreement count 1-9, found {digits[12:14]}")
    else:
        kind, month = "PNS", marker
        if month == 0:
            raise NipError(raw, f"impossible TMT CPNS month {digits[12:14]} in NIP")
    if not MIN_APPOINTMENT_YEAR <= year <= MAX_APPOINTMENT_YEAR or year < birth.year + 14:
        raise NipError(raw, f"impossible appointment year {year} for birth year {birth.year}")
    gender_digit = digits[14]
    if gender_digit not in "12":
        raise NipError(raw, f"gender digit must be 1 or 2, found {gender_digit}")
    serial = int(digits[15:18])
    if serial == 0:
        raise NipError(raw, "serial 000 is not issued")
    return Nip(
        value=digits,
        kind=kind,
        birth_date=birth,
        gender="M" if gender_digit == "1" else "F",
        appointment_year=year,
        appointment_month=month,
        serial=serial,
    )


def birth_date_hint(raw: object) -> date | None:
    """The birth date a partial or malformed NIP still reveals (its first 8 digits), for blocking.

    Float-mangled values reveal nothing reliable beyond their leading digits, so they give None.
    """
    if raw is None or isinstance(raw, float):
        return None
    stripped = str(raw).translate(_INVISIBLE_GONE).strip().lstrip("'`")
    if _SCIENTIFIC.match(stripped) or _FLOAT_TAIL.match(stripped):
        return None
    text = NIP_LAYOUT.sub("", stripped)
    if len(text) < 8 or not text[:8].isdigit():
        return None
    found = _date(text[:8])
    if found is None or not MIN_BIRTH_YEAR <= found.year <= MAX_BIRTH_YEAR:
        return None
    return found


def _date(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[0:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
