"""Letter numbers: a sequence per year, allocated in the caller's transaction, never reused.

The year's row in ``letter_sequences`` is created if missing (an insert that ignores a conflict, so two
drafters racing on a new year both succeed) and then incremented by one ``UPDATE``: on PostgreSQL the
row lock it takes serialises concurrent drafters until commit; on SQLite the write lock does. A rolled
back transaction rolls its increment back too, so a number is issued exactly when its letter is stored.

Drafters themselves take turns (:func:`lock_drafting`): a second one reading the day's letters while the
first has not committed yet would plan the same letters and fail on their part number's unique key.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sbt_sync.db.engine import lock_for_write
from sbt_sync.db.models.letters import Letter, LetterSequence

DRAFTING_LOCK_KEY = 0x5B7_1E77
"""The PostgreSQL advisory lock drafters take turns on (beside ``sbt_sync.db.engine``'s keys)."""


def lock_drafting(session: Session) -> None:
    """Let one drafter at a time write letters: call first in its transaction. The second waits for the
    first to commit (a transaction-scoped advisory lock on PostgreSQL, the write lock on SQLite), then
    reads its letters and steps and drafts only what is left: no error reaches either run."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DRAFTING_LOCK_KEY})
    else:
        lock_for_write(session, Letter)


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
