"""Instants as the product compares and dates them: aware, in UTC, and days in WIB.

SQLite returns the UTC instants it stores without an offset, and some sources write instants without
one; both are read as UTC. Rules count days in WIB (UTC+7), the zone of BKN, Bawaslu and the letters.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC instant (a naive one is read as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def wib_day(moment: datetime) -> date:
    """The day in WIB of ``moment`` (a naive one is read as UTC)."""
    return as_utc(moment).astimezone(WIB).date()


MONTHS = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
"""Month names as Indonesian and English readers write dates ("29 Maret 2024", "29 March 2024")."""


def said_date(day: date, language: str = "id") -> str:
    """``day`` in words for a reader (``10 Juni 2024``; English: ``10 June 2024``)."""
    return f"{day.day} {MONTHS.get(language, MONTHS['id'])[day.month - 1]} {day.year}"
