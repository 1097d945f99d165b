"""``truth.unblocked_over``: the cases whose block SIASN lifted, for a system deciding and pushing at
each cycle in turn.

Each case below is a timeline of the truth's states at two cycles, written out by hand, as
``(stage, golden result, end day, actions fired)`` per cycle.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sbt_sync.sandbox.generate.truth import CaseState, unblocked_over

STEPS = ("peringatan", "teguran", "pemblokiran")
END = date(2024, 3, 1)


def _state(
    case_id: str, stage: str, result: str | None, end: date | None, actions: tuple[str, ...]
) -> CaseState:
    rec: dict[str, dict[str, Any]] = {} if result is None else {"bkn_wasdal": {"hasil": result}}
    return CaseState(
        case_id,
        reported=True,
        rec=rec,
        stage=stage,
        actions=[{"action": a, "date": "2024-02-01"} for a in actions],
        blocked=stage == "diblokir",
        held=stage == "ditahan",
        end=end,
    )


BLOCKED = ("diblokir", "terbukti", None, STEPS)
CASES: dict[str, tuple[tuple[Any, ...], tuple[Any, ...], bool]] = {
    # the sanction, dated before the block day, is published after the first cycle blocked the case
    "late_sanction": (BLOCKED, ("dijatuhi_hukuman", "terbukti", END, ()), True),
    # the same for an annulment: BKN's version saying dibatalkan is dated before the block day
    "late_annulment": (BLOCKED, ("dibatalkan", "dibatalkan", END, ("peringatan",)), True),
    # BKN corrects the recommendation to not proven after the block
    "corrected_not_proven": (BLOCKED, ("tidak_terbukti", "tidak_terbukti", None, ()), True),
    # a sanction after the block day: the second cycle's own decision unblocks
    "sanction_after_block": (BLOCKED, ("dijatuhi_hukuman", "terbukti", END, (*STEPS, "buka_blokir")), True),
    # a conflict opens on the blocked case: held, not ended, no buka_blokir step, yet SIASN's block
    # is lifted (no block rests on a disputed case)
    "held_after_block": (BLOCKED, ("ditahan", "terbukti", None, ()), True),
    # still blocked
    "still_blocked": (BLOCKED, BLOCKED, False),
    # block day and sanction both between the cycles: recorded, never pushed, nothing to lift
    "blocked_and_ended_between_cycles": (
        ("teguran", "terbukti", None, STEPS[:2]),
        ("dijatuhi_hukuman", "terbukti", END, (*STEPS, "buka_blokir")),
        False,
    ),
    # sanctioned before any cycle blocked it: nothing to lift
    "never_blocked": (
        ("teguran", "terbukti", None, STEPS[:2]),
        ("dijatuhi_hukuman", "terbukti", END, STEPS[:2]),
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_unblocked_over_two_cycles(name: str) -> None:
    first, second, unblocked = CASES[name]
    timeline = [{name: _state(name, *first)}, {name: _state(name, *second)}]
    assert unblocked_over(timeline) == ({name} if unblocked else set())
    # the last cycle alone pushed no earlier block: it lifts none
    assert unblocked_over(timeline[-1:]) == set()


def test_a_case_whose_nip_stays_blocked_by_another_case_is_not_unblocked() -> None:
    ended = _state("A", "dijatuhi_hukuman", "terbukti", END, (*STEPS, "buka_blokir"))
    first = {"A": _state("A", *BLOCKED), "B": _state("B", *BLOCKED)}
    second = {"A": ended, "B": _state("B", *BLOCKED)}
    third = {"A": ended, "B": _state("B", "dijatuhi_hukuman", "terbukti", END, (*STEPS, "buka_blokir"))}
    same_nip = {"A": "N1", "B": "N1"}
    assert unblocked_over([first, second], same_nip) == set()
    # SIASN's unblock names the cases the block stood for by then
    assert unblocked_over([first, second, third], same_nip) == {"B"}
    assert unblocked_over([first, second], {"A": "N1", "B": "N2"}) == {"A"}
