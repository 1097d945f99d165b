"""Logs never hold an ASN's NIP, name or birth date in clear (UU 27/2022), not even when the database
refuses a statement (acceptance probe, both backends).

A database error's text is what the console's server logs with the traceback of a failed request,
what Dagster stores in a failed run's event log and what the CLI prints. SQLAlchemy writes the
statement's bound values into it unless the engine hides them, and PostgreSQL adds a DETAIL line
quoting the refused row or key.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import DBAPIError

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, BlockState

NIP = "198001012005011001"
NAME = "Siti Rahmawati"


def _person() -> AsnRegistryEntry:
    return AsnRegistryEntry(
        nip=NIP, siasn_id="S1", name=NAME, name_normalised=NAME.lower(), birth_date=date(1980, 1, 1),
        gender="F", kind="PNS", instansi_id="A1", instansi_name="Pemkab Contoh", kanreg_id="I",
        status_id="1", status_name="Aktif", content_hash="x",
    )  # fmt: skip


@pytest.mark.parametrize("refusal", ["not_null", "duplicate_key"])
def test_a_refused_statement_names_no_nip_name_or_birth_date(
    migrated_database: Database, refusal: str
) -> None:
    with pytest.raises(DBAPIError) as refused, migrated_database.session() as session:
        session.add(_person())
        session.flush()
        if refusal == "not_null":
            session.add(BlockState(nip=NIP, blocked=True, case_ids=[], reason=None))
        else:
            session.add(_person())
    text = str(refused.value)
    assert ("block_state" if refusal == "not_null" else "asn_registry") in text  # still says what failed
    assert NIP not in text and NAME not in text and "1980-01-01" not in text
