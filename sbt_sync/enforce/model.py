"""Plain data in and out of the enforcement policy: no database, no Dagster.

The policy reads one :class:`EnforcementCase` per golden case and returns an :class:`EnforcementPlan`:
the control steps per case (:class:`ControlStep`), each case's outcome (:class:`CaseOutcome`) and the
desired SIASN block flag per NIP (:class:`BlockDecision`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sbt_sync.states.control import ControlAction

ActionKind = ControlAction
"""The control steps (:class:`sbt_sync.states.control.ControlAction`)."""
Stage = Literal[
    "menunggu_verifikasi",
    "tidak_terbukti",
    "ditolak",
    "menunggu_tindak_lanjut",
    "peringatan",
    "teguran",
    "diblokir",
    "ditahan",
    "dijatuhi_hukuman",
    "dibatalkan",
    "meninggalkan_dinas",
]
"""The stage words of the sandbox's ground truth (``truth/README.md``), so both compare directly."""

ESCALATING_RESULTS = frozenset({"terbukti", "dibatalkan"})
"""Verification results after which the PPK had to follow up (an annulment comes after that)."""


@dataclass(frozen=True)
class EnforcementCase:
    """One golden case as the policy sees it; dates are calendar days (WIB).

    ``sanction_recorded``, ``annulled`` and ``left_service`` say that the end event is known;
    ``*_on`` its date when known. An end event dated after the policy's ``as_of`` has not happened yet.
    """

    case_id: int
    case_key: str
    nip: str | None
    status: str
    """The golden status word (``menunggu_tindak_lanjut_ppk``, ``dijatuhi_hukuman``, ...)."""
    verification_result: str | None
    """``terbukti``, ``tidak_terbukti``, ``ditolak``, ``dibatalkan`` or None (not verified yet)."""
    recommendation_date: date | None
    follow_up_deadline: date | None = None
    """The deadline a source stated; used only when the recommendation date is unknown."""
    held: bool = False
    """An open critical conflict or an identity dispute on the case (the reconciliation's verdict)."""
    hold_reason: str | None = None
    """What holds it, naming the conflicts and disputed records (the reconciliation's words)."""
    sanction_recorded: bool = False
    sanction_on: date | None = None
    annulled: bool = False
    annulled_on: date | None = None
    left_service: bool = False
    left_service_on: date | None = None
    recommendation_no: str | None = None
    kanreg_id: str | None = None
    sanction_code: str | None = None
    """The jenisHukuman of the sanction in force (the latest decision, revisions on objection
    included); ``sanction_on`` is the day a sanction has been in force since without a break (the
    follow-up), not the revision's day."""
    sanction_revised_on: date | None = None
    """The decision date of the version in force when it revised an earlier one; None otherwise."""
    sanction_annulled_on: date | None = None
    """The sanction was annulled on objection on this day and no sanction is in force since. The
    reconciliation holds such a proven case until a steward says whether the recommendation still
    binds; if they say it does, the case escalates again as one never followed up."""
    held_since: date | None = None
    """The day enforcement first recorded a hold on the case (its ``hold`` control action); None when
    it never held it."""
    block_recorded: bool = False
    """Enforcement has recorded a ``pemblokiran`` for the case (a block it decided, in an earlier run)."""


@dataclass(frozen=True)
class ControlStep:
    """One BKN control step for one case, due on ``due_on``, with the reason a steward reads."""

    case_id: int
    case_key: str
    nip: str | None
    action: ControlAction
    due_on: date
    reason: str


@dataclass(frozen=True)
class CaseOutcome:
    """What the policy concluded for one case at ``as_of``."""

    case: EnforcementCase
    stage: Stage
    held: bool
    blocking: bool
    """This case requires its NIP to be blocked now."""
    steps: tuple[ControlStep, ...]
    ended_on: date | None
    """The earliest end event on or before ``as_of`` (sanction, annulment, leaving service)."""


@dataclass(frozen=True)
class BlockDecision:
    """The desired SIASN block flag of one NIP and the cases behind it."""

    nip: str
    blocked: bool
    blocking_case_ids: tuple[int, ...]
    blocking_case_keys: tuple[str, ...]
    case_ids: tuple[int, ...]
    """Every case of the NIP (blocking or not), sorted."""
    held_case_ids: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class EnforcementPlan:
    """The policy's answer for one ``as_of``: outcomes per case and the block state per NIP."""

    as_of: date
    outcomes: tuple[CaseOutcome, ...]
    blocks: Mapping[str, BlockDecision]
    """Every NIP with at least one case; NIPs absent here have no case at all."""

    @property
    def steps(self) -> tuple[ControlStep, ...]:
        """Every control step (holds included), in case order then date order."""
        return tuple(step for outcome in self.outcomes for step in outcome.steps)

    @property
    def holds(self) -> tuple[ControlStep, ...]:
        return tuple(step for step in self.steps if step.action == ControlAction.HOLD)

    @property
    def blocked_nips(self) -> tuple[str, ...]:
        return tuple(sorted(nip for nip, decision in self.blocks.items() if decision.blocked))
