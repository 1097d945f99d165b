"""I-MUT actions whose texts are longer than the finding's columns (``imut_findings``): the decision
number (128), the deciding official's name (255) and the instansi ids (64) are copied into each
finding. PostgreSQL refused the whole evaluation ("value too long"), on every run, so no finding was
stored for any action; SQLite stored them whole."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import ImutFinding
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from tests.imut.builders import action_id, ingest, payload

AS_OF = date(2024, 11, 27)
LONG_SK = "821/" + "7" * 190 + "/BKPSDM/2024"
LONG_INSTANSI = "B" * 100


def test_an_action_with_texts_longer_than_the_findings_columns_is_still_found_and_the_rest_are_too(
    migrated_database: Database,
) -> None:
    result = ingest(
        migrated_database,
        payload(1),
        payload(2, nomorSk=LONG_SK),
        payload(3, pejabatPenetapNama="H. Wali Kota " * 30),  # 390 characters
        payload(4, instansiId=LONG_INSTANSI, pejabatPenetapInstansiId=LONG_INSTANSI),
    )
    assert result.quarantined_records == 0
    for as_of in (AS_OF, date(2024, 11, 28)):  # and re-evaluated: nothing fails, nothing changes
        with migrated_database.session() as session:
            evaluate_findings(
                session, elections=load_election_calendar(), workdays=load_working_days(), as_of=as_of
            )
    with migrated_database.session() as session:
        found = {row.action_id: row for row in session.scalars(select(ImutFinding))}
        session.expunge_all()
    assert set(found) == {action_id(n) for n in (1, 2, 3, 4)}
    assert found[action_id(1)].decision_no == "821/1/BKPSDM/2024"
    long_sk = found[action_id(2)].decision_no
    assert long_sk is not None and len(long_sk) <= 128 and long_sk.startswith("821/777")
    official = found[action_id(3)].official_name
    assert official is not None and len(official) <= 255 and official.startswith("H. Wali Kota")
    instansi = found[action_id(4)].instansi_id
    assert instansi is not None and len(instansi) <= 64
