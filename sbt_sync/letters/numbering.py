"""Letter numbers: a sequence per year, allocated in the caller's transaction, never reused.

The year's row in ``letter_sequences`` is created if missing (an insert that ignores a conflict, so two
drafters racing on a new year both succeed) and then incremented by one ``UPDATE``: on PostgreSQL the
row lock it takes serialises concurrent drafters until commit; on SQLite the write lock does. A rolled
back transaction rolls its increment back too, so a number is issued exactly when its letter is stored.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sbt_sync.db.models.letters import LetterSequence


def next_seq(session: Session, year: int) -> int:
    """The next number of ``year`` (1, 2, ...), taken in the caller's transaction."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(LetterSequence).values(year=year, last_value=0).on_conflict_do_nothing(index_elements=["year"])
    )
    session.execute(
        update(LetterSequence)
        .where(LetterSequence.year == year)
        .values(last_value=LetterSequence.last_value + 1)
        .execution_options(synchronize_session=False)
    )
    value = session.scalar(select(LetterSequence.last_value).where(LetterSequence.year == year))
    assert value is not None
    return int(value)


def format_number(pattern: str, seq: int, day: date) -> str:
    """``pattern`` (``{seq:04d}/B-AK.02.02/SD/F/{year}``) filled for the letter of ``day``."""
    return pattern.format(seq=seq, year=day.year, month=day.month)
