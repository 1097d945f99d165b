"""Source records that name someone like a typed name: the header search's name part
(:mod:`sbt_sync.steward.search`) and the conflict queue's case filter
(:class:`~sbt_sync.steward.conflicts.ConflictFilter`) find people the same way.

A bounded pool (names holding a token's first or last three letters, those holding most of them first,
``POOL_LIMIT`` rows; on PostgreSQL with pg_trgm also the rows nearest by trigram similarity) is scored
with :func:`~sbt_sync.steward.search_terms.name_score`; an agency viewer's pool holds only their
agency's records. Every statement has bound parameters and a LIMIT; the name is personal data and is
never logged.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import CaseLink, StagedRecord
from sbt_sync.reconcile.identity.candidates import trigram_available
from sbt_sync.reconcile.identity.store import chunks
from sbt_sync.steward.search_terms import NAME_FLOOR, SearchError, name_score, parse

TRIGRAM_FLOOR = 0.3
MAX_TOKENS = 4
POOL_LIMIT = 300
"""Rows per candidate statement: a name shared by more records than this is narrowed by typing more."""
KEY_ONLY = frozenset("_%/\\#")
"""Characters of keys and numbers that no name holds (:func:`named_in_text`)."""


def name_pool(session: Session, name: str, sources: Sequence[str] | None) -> list[StagedRecord]:
    """Records whose written name holds the first or last three letters of the name's tokens, those
    holding most first; on PostgreSQL with pg_trgm, also those nearest by trigram similarity."""
    tokens = list(dict.fromkeys(t for t in name.split() if len(t) > 1))[:MAX_TOKENS]
    stems = sorted({s for t in tokens for s in ((t,) if len(t) <= 3 else (t[:3], t[-3:]))})
    if not stems:
        return []
    written = func.upper(func.coalesce(StagedRecord.name, ""))
    holds = [written.like(f"%{stem}%") for stem in stems]  # stems are A-Z only: nothing to escape
    held = functools.reduce(operator.add, [case((h, 1), else_=0) for h in holds])
    query = select(StagedRecord).where(or_(*holds))
    if sources is not None:
        query = query.where(StagedRecord.source.in_(list(sources)))
    pool = {r.id: r for r in session.scalars(query.order_by(held.desc(), StagedRecord.id).limit(POOL_LIMIT))}
    if trigram_available(session):
        near = func.greatest(func.similarity(written, name), func.word_similarity(name, written))
        nearest = select(StagedRecord).where(near >= TRIGRAM_FLOOR)
        if sources is not None:
            nearest = nearest.where(StagedRecord.source.in_(list(sources)))
        for record in session.scalars(nearest.order_by(near.desc(), StagedRecord.id).limit(POOL_LIMIT)):
            pool.setdefault(record.id, record)
    return list(pool.values())


def records_named(session: Session, name: str, sources: Sequence[str] | None) -> list[int]:
    """The ids of the records naming someone like ``name`` (normalised: :func:`search_terms.parse`)
    well enough to be shown (``NAME_FLOOR``), a viewer's own records only."""
    return sorted(r.id for r in name_pool(session, name, sources) if name_score(name, r.name) >= NAME_FLOOR)


def named_in_text(
    session: Session, text: str | None, sources: Sequence[str] | None
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """When ``text`` (a filter's case text) reads as a name (:func:`search_terms.parse`): the records
    naming someone like it and the cases they are linked to now; else nothing. A steward finds a
    person's cases and conflicts by the name the lists show, titles, case and word order aside. Text
    holding a character no name holds but keys and numbers do (``_``, ``%``, ``/``, ``\\``, ``#``) is
    a key or a number, never a name: a key typed with its underscore finds that key alone."""
    text = (text or "").strip()
    if any(c in KEY_ONLY for c in text):
        return (), ()
    try:
        name = parse(text).name if text else ""
    except SearchError:
        name = ""
    if not name:
        return (), ()
    records = records_named(session, name, sources)
    cases: set[int] = set()
    for chunk in chunks(records):
        live = (CaseLink.staged_record_id.in_(chunk), CaseLink.unlinked_at.is_(None))
        cases.update(session.scalars(select(CaseLink.case_id).where(*live)))
    return tuple(records), tuple(sorted(cases))
