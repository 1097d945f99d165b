"""The change guard: a run that would flip more block flags than ``sbt.yaml`` allows waits for a steward.

Why both rules: a count catches a mass change on a large base, a percentage catches a source that
suddenly sends an empty feed and would unblock everyone on a small one. A percentage of a handful is
noise, so it applies only from :data:`PERCENT_RULE_MIN_CHANGES` changes and when some NIP is blocked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sbt_sync.settings import GuardSettings

PERCENT_RULE_MIN_CHANGES = 5
"""Below this many changes in one run only ``max_changes`` applies."""


@dataclass(frozen=True)
class GuardVerdict:
    """Whether a run's changes wait for approval, and why (for the approval row and the report)."""

    changes: int
    blocked_before: int
    percent: float
    """Changes as a percentage of the NIPs blocked before the run (0 when none was)."""
    tripped: bool
    reason: str
    rule: str | None = None
    """The setting that tripped (``max_changes`` or ``max_percent``): the console words it from this."""
    limit: float | None = None
    """That setting's value when it tripped."""


def judge_changes(*, changes: int, blocked_before: int, guard: GuardSettings) -> GuardVerdict:
    """The verdict on ``changes`` block-flag changes against ``blocked_before`` blocked NIPs."""
    percent = 100.0 * changes / blocked_before if blocked_before else 0.0
    if changes > guard.max_changes:
        reason = f"{changes} block-flag changes exceed max_changes {guard.max_changes}"
        return GuardVerdict(changes, blocked_before, percent, True, reason, "max_changes", guard.max_changes)
    if blocked_before and changes >= PERCENT_RULE_MIN_CHANGES and percent > guard.max_percent:
        reason = (
            f"{changes} block-flag changes are {percent:.0f}% of the {blocked_before} blocked NIPs "
            f"(max_percent {guard.max_percent:g})"
        )
        return GuardVerdict(changes, blocked_before, percent, True, reason, "max_percent", guard.max_percent)
    return GuardVerdict(changes, blocked_before, percent, False, "within the guard")
