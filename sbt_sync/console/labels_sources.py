"""Record sources and election events by name, never as codes (issue 19).

A source key (``idis``, ``bkn_wasdal``, ...; ``sbt.yaml`` ``sources:``) is said as the source's name
("I'DIS (hukuman disiplin, BKN)"); a key this table does not know (another deployment's agency) is
said as its words ("dinas_pendidikan" is "Dinas Pendidikan"), and on the English console as the
source's configured ``description`` when it has one. An election code (``PILKADA2024``,
``PILKADA-2020``) is said as the election calendar's name (``schemas/reference/election_calendar.csv``
or the deployment's, ``imut.election_calendar_path``): "Pilkada serentak 2024"; an event the calendar
does not list as its words ("Pilkada 2020", :func:`sbt_sync.imut.elections.event_words`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from sbt_sync.imut import elections

SOURCES: dict[str, tuple[str, str]] = {
    "bawaslu": ("Temuan Bawaslu", "Bawaslu findings"),
    "bkn_wasdal": ("Rekomendasi Wasdal BKN", "BKN Wasdal recommendations"),
    "kasn": ("Rekomendasi KASN", "KASN recommendations"),
    "idis": ("I'DIS (hukuman disiplin, BKN)", "I'DIS (disciplinary sanctions, BKN)"),
    "kemendagri": ("Laporan tindak lanjut Kemendagri", "Kemendagri follow-up reports"),
    "kemenpanrb": ("Aduan KemenPAN-RB (SP4N-LAPOR!)", "KemenPAN-RB complaints (SP4N-LAPOR!)"),
    "imut": ("I-MUT (tindakan kepegawaian, BKN)", "I-MUT (personnel actions, BKN)"),
    "siasn": ("Registri ASN SIASN", "SIASN ASN registry"),
}
"""The sources of the sandbox deployment (DESIGN.md, "Sources"), and SIASN's registry (a candidate's
source on an identity conflict), as a steward names them."""

AGENCIES: dict[str, str] = {
    "bawaslu": "Bawaslu",
    "bkn": "BKN",
    "kasn": "KASN",
    "kemendagri": "Kemendagri",
    "kemenpanrb": "KemenPAN-RB",
}
"""The bodies that own sources (``agency:`` in ``sbt.yaml``; an agency viewer's agency): proper names,
the same in both languages."""

WORDS: dict[str, tuple[str, str]] = {f"source.{key}": pair for key, pair in SOURCES.items()}
WORDS.update({f"agency.{key}": (name, name) for key, name in AGENCIES.items()})
WORDS["labels.source_code"] = ("kode sumber", "source code")
WORDS["labels.event_code"] = ("kode pemilihan", "election code")

_SPLIT = re.compile(r"[^0-9A-Za-z]+")


def humanised(key: str) -> str:
    """A key nobody named, as words: ``dinas_pendidikan`` is "Dinas Pendidikan", ``bpkp_sulsel`` "BPKP
    Sulsel" (a word of up to four letters reads as an acronym)."""
    words = [w for w in _SPLIT.split(key) if w]
    if not words:
        return key
    return " ".join(w.upper() if len(w) <= 4 and not w.isdigit() else w.capitalize() for w in words)


def source_name(key: object, lang: str = "id", described: Mapping[str, str] | None = None) -> str:
    """A record source by its name: the table's word, else (English) the configured description,
    else the key as words."""
    text = str(key or "").strip()
    if not text:
        return "-"
    pair = SOURCES.get(text)
    if pair is not None:
        return pair[1] if lang == "en" else pair[0]
    description = (described or {}).get(text, "").strip()
    if lang == "en" and description:
        return description
    return humanised(text)


def agency_name(key: object) -> str:
    """An agency by its name ("KemenPAN-RB"); one the table does not know as its key's words."""
    text = str(key or "").strip()
    return AGENCIES.get(text) or (humanised(text) if text else "-")


def source_label(
    key: object, lang: str = "id", described: Mapping[str, str] | None = None, *, code: bool = False
) -> str:
    """:func:`source_name`, with the key beside it when ``code`` ("Temuan Bawaslu (bawaslu)"): where a
    steward needs the key (the CLI's ``--source``, a file's name)."""
    name = source_name(key, lang, described)
    text = str(key or "").strip()
    return f"{name} ({text})" if code and text else name


def event_name(code: object, lang: str = "id", calendar_path: str | None = None) -> str:
    """An election by its name (:func:`sbt_sync.imut.elections.event_name`); the names are Indonesian
    proper names in both languages."""
    return elections.event_name(code, calendar_path)


def event_label(
    code: object, lang: str = "id", calendar_path: str | None = None, *, code_beside: bool = False
) -> str:
    """:func:`event_name`, with the code beside it when ``code_beside`` ("Pilkada serentak 2024
    (PILKADA2024)")."""
    name = event_name(code, lang, calendar_path)
    text = str(code or "").strip()
    return f"{name} ({text})" if code_beside and text and text != "-" else name


def calendar_path(settings: Any) -> str | None:
    """The deployment's election calendar (``imut.election_calendar_path``); None: the packaged one."""
    path = getattr(getattr(settings, "imut", None), "election_calendar_path", None)
    return str(settings.resolve_path(path)) if path else None


def described_sources(settings: Any) -> dict[str, str]:
    """Each configured source's ``description`` (what a source the table does not know is called in
    English)."""
    sources = getattr(settings, "sources", None) or {}
    return {key: str(getattr(value, "description", "") or "") for key, value in sources.items()}


def named_events(
    rows: list[list[Any]], codes: Collection[str], lang: str, calendar: str | None
) -> list[list[Any]]:
    """A report table's rows with every cell holding one of the election ``codes`` said by its name."""
    known = set(codes)
    return [
        [event_name(v, lang, calendar) if isinstance(v, str) and v in known else v for v in row]
        for row in rows
    ]
