"""An outbox row's idempotency key appears in logs and run metadata; it must not name the ASN.

The key carried an unkeyed hash of the NIP, and the line beside it the NIP's last 4 digits. A NIP is a
birth date, a TMT month, then those 4 digits: a few hundred thousand guesses (one birth year, one
TMT decade) found the NIP from a parked row's metadata in about a second (UU 27/2022: logs and
metadata never hold NIPs, names or birth dates in a form anyone can read back).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

import pytest

from sbt_sync.db.engine import Database
from sbt_sync.sandbox.runtime import Sandbox
from tests.push.conftest import UNREGISTERED, pusher
from tests.push.helpers import outbox_rows, queue_blocks

pytestmark = pytest.mark.integration


def _guesses(last4: str, birth_year: int, tmt_years: range) -> list[str]:
    """Every NIP born in ``birth_year`` with a TMT in ``tmt_years`` ending in ``last4``."""
    days = [date(birth_year, 1, 1) + timedelta(days=n) for n in range(366)]
    born = [d.strftime("%Y%m%d") for d in days if d.year == birth_year]
    return [f"{b}{y}{m:02d}{last4}" for b in born for y in tmt_years for m in range(1, 13)]


def test_the_metadata_of_a_parked_row_does_not_give_its_nip_away(
    migrated_database: Database, siasn_sandbox: Sandbox
) -> None:
    queue_blocks(migrated_database, [UNREGISTERED])  # SIASN refuses it: the row is parked
    report = pusher(migrated_database, siasn_sandbox).run()
    (line,) = report.parked_sample
    assert UNREGISTERED not in line
    last4 = re.search(r"\*{14}(\d{4})", line).group(1)  # type: ignore[union-attr]
    key = outbox_rows(migrated_database)[0].idempotency_key
    assert key in line
    # Someone holding the line, guessing the birth year and the TMT decade (the right ones here),
    # hashes every candidate NIP as a key could carry it (the digest the key used to carry among them).
    guesses = _guesses(last4, int(UNREGISTERED[:4]), range(1985, 1995))
    assert UNREGISTERED in guesses
    found = [
        guess
        for guess in guesses
        for text in (guess, f"sbt-sync:{guess}")
        for digest in (hashlib.sha256, hashlib.sha1, hashlib.md5)
        if digest(text.encode()).hexdigest()[:12] in key
    ]
    assert found == []
