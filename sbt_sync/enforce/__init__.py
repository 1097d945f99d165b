"""The enforcement policy (pure, :mod:`.policy`) and its database side (:mod:`.load`, :mod:`.store`)."""

from sbt_sync.enforce.guard import GuardVerdict, judge_changes
from sbt_sync.enforce.model import (
    BlockDecision,
    CaseOutcome,
    ControlStep,
    EnforcementCase,
    EnforcementPlan,
)
from sbt_sync.enforce.policy import decide_case, plan_enforcement
from sbt_sync.enforce.run import conflicted_blocks, run_enforcement
from sbt_sync.enforce.store import EnforcementReport, apply_plan

__all__ = [
    "BlockDecision",
    "CaseOutcome",
    "ControlStep",
    "EnforcementCase",
    "EnforcementPlan",
    "EnforcementReport",
    "GuardVerdict",
    "apply_plan",
    "conflicted_blocks",
    "decide_case",
    "judge_changes",
    "plan_enforcement",
    "run_enforcement",
]
