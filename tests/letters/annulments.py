"""Steps the annulment tests share: a case's recommendation annulled and the annulment withdrawn, as
a source republishing would leave the golden case, and the letters drafted so far as text."""

from __future__ import annotations

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.db.models.letters import Letter
from tests.notify.test_letter_pdf import pdf_text


def annul(database: Database, on: str) -> None:
    with database.session() as session:
        case = session.scalars(select(Case)).one()
        case.status = "dibatalkan"
        case.golden = {**case.golden, "verification_result": "dibatalkan", "annulled_on": on}


def withdraw_annulment(database: Database) -> None:
    with database.session() as session:
        case = session.scalars(select(Case)).one()
        golden = {k: v for k, v in case.golden.items() if k != "annulled_on"}
        case.status, case.golden = "menunggu_tindak_lanjut_ppk", {**golden, "verification_result": "terbukti"}


def letters(database: Database) -> list[tuple[str, str]]:
    """``(step, the PDF's text)`` of every letter, in the order drafted."""
    with database.session() as session:
        rows = session.execute(select(Letter.step, Letter.pdf).order_by(Letter.id)).tuples().all()
    return [(step, " ".join(pdf_text(pdf).split())) for step, pdf in rows]
