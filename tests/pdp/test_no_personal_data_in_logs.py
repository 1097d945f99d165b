"""Logs and files hold no personal data in clear (issue 20 item 5, UU 27/2022): a full cycle on the small
sandbox with DEBUG logging, on both backends; every Python log line, every Dagster event message and
every metadata value is scanned for the scenario's NIPs, names and birth dates. The database file and
the downloads folder the cycle made are its owner's only."""

from __future__ import annotations

import re
import stat
from datetime import date

import pytest

from tests.pdp.cycle import Cycled

pytestmark = pytest.mark.integration


def _personal_values(world: Cycled) -> dict[str, str]:
    """Every NIP, name and birth date (both spellings) of the people the scenario's records name,
    mapped to what it is (for the failure message, which must not print the value either)."""
    nips = {c["nip"] for c in world.truth("cases.jsonl") if c.get("nip")}
    nips |= {a["nip"] for a in world.truth("imut_actions.jsonl") if a.get("nip")}
    for row in world.truth("source_nips.jsonl"):
        if row.get("true_nip"):
            nips.add(row["true_nip"])
        digits = re.sub(r"\D", "", str(row.get("nip_as_written") or ""))
        if len(digits) == 18:
            nips.add(digits)
    values = {nip: "NIP" for nip in nips}
    for person in world.registry():
        if person["nipBaru"] not in nips:
            continue
        values[person["nama"].lower()] = "name"
        day, month, year = (int(part) for part in person["tglLahir"].split("-"))
        born = date(year, month, day)
        values[born.isoformat()] = "birth date"
        values[born.strftime("%d-%m-%Y")] = "birth date"
    return values


def test_a_debug_cycle_logs_no_nip_name_or_birth_date(cycled: Cycled) -> None:
    values = _personal_values(cycled)
    assert sum(kind == "NIP" for kind in values.values()) > 200  # the scenario's people, not a handful
    assert len(cycled.log_lines) > 1000 and len(cycled.events) > 100  # DEBUG really was on
    leaks: dict[str, int] = {}
    for where, texts in (("log", cycled.log_lines), ("dagster", cycled.events)):
        for text in texts:
            lowered = text.lower()
            for value, kind in values.items():
                if value in lowered:
                    key = f"{where}: {kind} in {_shape(text, value)}"
                    leaks[key] = leaks.get(key, 0) + 1
    assert not leaks, "\n".join(f"{n} x {k}" for k, n in sorted(leaks.items()))


def _shape(text: str, value: str) -> str:
    """The leaking line with the value itself replaced, cut short: enough to find the code."""
    start = text.lower().find(value)
    return (text[:start] + "<...>" + text[start + len(value) :])[:160]


def test_the_database_file_and_downloads_folder_are_owner_only(cycled: Cycled) -> None:
    if cycled.database.dialect == "sqlite":
        path = cycled.project_dir / "var" / "sbt.db"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    downloads = cycled.settings.resolve_path("var/downloads")
    folders = [downloads, *(p for p in downloads.rglob("*") if p.is_dir())]
    files = [p for p in downloads.rglob("*") if p.is_file()]
    assert len(folders) >= 4  # var/downloads and one per SFTP source (kasn, kemendagri, kemenpanrb)
    assert {str(p): stat.S_IMODE(p.stat().st_mode) for p in folders} == {str(p): 0o700 for p in folders}
    assert {str(p): stat.S_IMODE(p.stat().st_mode) for p in files} == {str(p): 0o600 for p in files}
