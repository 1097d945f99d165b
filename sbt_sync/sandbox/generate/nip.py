"""NIP composition (vectorised) and the ways sources mangle NIPs.

PNS: birth YYYYMMDD, TMT CPNS YYYYMM, gender (1 male, 2 female), serial 001-999.
PPPK: birth YYYYMMDD, appointment year YYYY, the digit 2, agreement count 1-9, gender, serial; so
digits 13-14 read 21-29, which no month can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

NipStyle = Literal["clean", "spaced", "dotted", "apostrophe", "padded", "float", "missing"]


def compose_pns(
    birth_ymd: np.ndarray, tmt_ym: np.ndarray, female: np.ndarray, serial: np.ndarray
) -> np.ndarray:
    """18-digit PNS NIPs as int64 (the inputs are YYYYMMDD and YYYYMM integers)."""
    gender = np.where(female, 2, 1).astype(np.int64)
    return (
        birth_ymd.astype(np.int64) * 10**10
        + tmt_ym.astype(np.int64) * 10**4
        + gender * 10**3
        + serial.astype(np.int64)
    )


def compose_pppk(
    birth_ymd: np.ndarray, year: np.ndarray, agreements: np.ndarray, female: np.ndarray, serial: np.ndarray
) -> np.ndarray:
    """18-digit NI PPPK as int64."""
    gender = np.where(female, 2, 1).astype(np.int64)
    return (
        birth_ymd.astype(np.int64) * 10**10
        + year.astype(np.int64) * 10**6
        + 2 * 10**5
        + agreements.astype(np.int64) * 10**4
        + gender * 10**3
        + serial.astype(np.int64)
    )


@dataclass(frozen=True, slots=True)
class ParsedNip:
    """What an 18-digit NIP says about its holder."""

    birth: date
    pppk: bool
    tmt_year: int
    tmt_month: int | None
    female: bool
    serial: int


def parse(nip: str) -> ParsedNip:
    """Parse a clean 18-digit NIP; raises ValueError on a wrong length, digits or impossible date."""
    if len(nip) != 18 or not nip.isdigit():
        raise ValueError("a NIP is 18 digits")
    birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    pppk = int(nip[12:14]) > 12
    if pppk:
        return ParsedNip(birth, True, int(nip[8:12]), None, nip[14] == "2", int(nip[15:18]))
    month = int(nip[12:14])
    if not 1 <= month <= 12:
        raise ValueError("TMT month out of range")
    return ParsedNip(birth, False, int(nip[8:12]), month, nip[14] == "2", int(nip[15:18]))


def render(nip: str, style: NipStyle) -> str | None:
    """The NIP as a source writes it; ``float`` loses digits the way Excel does and cannot be undone."""
    if style == "missing":
        return None
    if style == "spaced":
        return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    if style == "dotted":
        return f"{nip[:8]}.{nip[8:14]}.{nip[14]}.{nip[15:]}"
    if style == "apostrophe":
        return "'" + nip
    if style == "padded":
        return f" {nip} "
    if style == "float":
        # 15 significant digits, as Excel keeps them; the case of the exponent varies by tool
        mangled = f"{float(nip):.14e}"
        return mangled.replace("e+", "E+") if nip[-1] in "02468" else mangled
    return nip


def impossible_birth(nip: str, variant: int) -> str:
    """The NIP with its embedded birth date made impossible (month 13 or day 31 of a 30-day month)."""
    if variant % 2:
        return nip[:4] + "13" + nip[6:]
    return nip[:4] + "0231" + nip[8:]
