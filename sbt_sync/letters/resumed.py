"""Withdrawn annulments no letter has told yet, in a letter's words (``case_annulments``).

Enforcement records each annulment it finds and the run that finds it withdrawn
(:mod:`sbt_sync.enforce.annulments`); the PPK's next letter for the case, or a notice when no letter step
is left (:mod:`sbt_sync.letters.notices`), says why enforcement resumed, and whether the block the
annulment had lifted is back.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.models import BlockState, CaseAnnulment, ControlAction
from sbt_sync.letters.model import resumed_words
from sbt_sync.states.control import ControlAction as ControlActionKind


def untold_withdrawals(
    session: Session, cases: list[tuple[int, str | None]]
) -> dict[int, tuple[str, date | None]]:
    """Case id -> (why enforcement resumed, the day its block came back or None), for the cases whose
    annulment enforcement found withdrawn and whose PPK no letter has told yet
    (:mod:`sbt_sync.enforce.annulments`).

    Only an annulment some enforcement run saw can be told: one made and withdrawn between two runs
    left no trace (no ``case_annulments`` row), changed no block flag and no letter spoke of it, so
    the PPK, whose letters never said the case had ended, has nothing to be told; enforcement simply
    went on as its letters announced. That is intended (DESIGN.md, Enforcement: letters tell the
    control steps taken). One a run saw is told even when the next run saw it withdrawn before any
    letter was drafted: the block may have been lifted at SIASN meanwhile."""
    case_ids = sorted({case_id for case_id, _ in cases})
    found: dict[int, tuple[str, date | None]] = {}
    reblocked = _reblocked(session, cases)
    for start in range(0, len(case_ids), 1000):
        query = (
            select(CaseAnnulment.case_id, CaseAnnulment.annulled_on, CaseAnnulment.withdrawn_on)
            .where(
                CaseAnnulment.case_id.in_(case_ids[start : start + 1000]),
                CaseAnnulment.withdrawn_at.is_not(None),
                CaseAnnulment.letter_id.is_(None),
            )
            .order_by(CaseAnnulment.id)
        )
        for case_id, annulled_on, withdrawn_on in session.execute(query):
            again = withdrawn_on if case_id in reblocked else None
            found[case_id] = (resumed_words(annulled_on, withdrawn_on, reblocked=case_id in reblocked), again)
    return found


def _reblocked(session: Session, cases: list[tuple[int, str | None]]) -> set[int]:
    """The cases blocked again after an unblock: a ``buka_blokir`` is recorded for them and their NIP's
    desired flag is a block that they require."""
    case_ids = sorted({case_id for case_id, _ in cases})
    unblocked: set[int] = set()
    for start in range(0, len(case_ids), 1000):
        query = select(ControlAction.case_id).where(
            ControlAction.case_id.in_(case_ids[start : start + 1000]),
            ControlAction.action == ControlActionKind.BUKA_BLOKIR,
        )
        unblocked.update(session.scalars(query))
    nips = sorted({nip for case_id, nip in cases if nip and case_id in unblocked})
    required: set[int] = set()
    for start in range(0, len(nips), 1000):
        blocks = select(BlockState.case_ids).where(
            BlockState.nip.in_(nips[start : start + 1000]), BlockState.blocked.is_(True)
        )
        for ids in session.scalars(blocks):
            required.update(int(i) for i in ids or [])
    return unblocked & required
