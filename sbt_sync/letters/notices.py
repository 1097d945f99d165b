"""Notices (``pemberitahuan``): a letter that tells a PPK enforcement of a case resumed when no letter
step is left to tell it. A pure function of the candidates and a day, like :mod:`sbt_sync.letters.model`.

A withdrawn annulment is told in the PPK's next letter for the case. When the case's teguran had gone
before the annulment, no letter step is left (pemblokiran is no letter): a withdrawal after the block
day brought the block back without a word to the PPK. Such cases get a notice instead, one per PPK and
day listing them, dated the day it is drafted; the table's last column says the block is in force
again (since the day enforcement found the withdrawal) or when it falls. The notice marks the
annulment told (``case_annulments.letter_id``) in the transaction that writes it, so a rerun finds
nothing to tell. It answers for no control action: the case's steps keep their own letters.

Like a step, a notice waits while its case is held or its PPK has no instansi, and while the PPK has
today's notice already (tomorrow's says it: letters are never amended); an ended case (a sanction
recorded, annulled again) needs none, and a withdrawal older than ``backfill_days`` is history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from datetime import date, timedelta

from sbt_sync.letters.model import (
    NOTICE_STEP,
    UNNAMED_INSTANSI,
    LetterPlan,
    StepCandidate,
    letter_case,
    next_step,
    tanggal,
)
from sbt_sync.settings import EnforcementSettings, LetterSettings


def notice_due(candidate: StepCandidate, letter_day: date, letters: LetterSettings) -> bool:
    """Whether ``candidate`` (a withdrawal no letter told, dated ``due_on``) goes in today's notice."""
    return (
        candidate.resumed is not None
        and not candidate.held
        and not candidate.ended
        and candidate.instansi_id is not None
        and candidate.due_on >= letter_day - timedelta(days=letters.backfill_days)
    )


def notice_next_step(candidate: StepCandidate, policy: EnforcementSettings, letter_day: date) -> str:
    """The table's last column: the block in force again and since when, else what comes next."""
    if candidate.reblocked_on is not None:
        return f"Pemblokiran di SIASN diberlakukan kembali sejak {tanggal(candidate.reblocked_on)}."
    return next_step("teguran", candidate.deadline, policy, letter_day)


def plan_notices(
    candidates: Iterable[StepCandidate],
    *,
    letter_day: date,
    policy: EnforcementSettings,
    letters: LetterSettings,
    lettered_today: AbstractSet[tuple[str, str]] = frozenset(),
) -> list[LetterPlan]:
    """The notices to write on ``letter_day``: one per PPK listing its due cases (sorted by key);
    a PPK that already has today's notice gets the new ones tomorrow. Deterministic: by instansi."""
    groups: dict[str, list[StepCandidate]] = defaultdict(list)
    for candidate in candidates:
        if candidate.instansi_id is None or not notice_due(candidate, letter_day, letters):
            continue
        if (candidate.instansi_id, NOTICE_STEP) not in lettered_today:
            groups[candidate.instansi_id].append(candidate)
    plans = []
    for instansi_id, members in sorted(groups.items()):
        members.sort(key=lambda c: c.case_key)
        names = sorted({c.instansi_name for c in members if c.instansi_name})
        plans.append(
            LetterPlan(
                instansi_id=instansi_id,
                instansi_name=names[0] if names else UNNAMED_INSTANSI,
                step=NOTICE_STEP,
                letter_day=letter_day,
                cases=tuple(
                    letter_case(c, notice_next_step(c, policy, letter_day), letters) for c in members
                ),
                action_ids=(),
                notice_case_ids=tuple(c.case_id for c in members),
            )
        )
    return plans
