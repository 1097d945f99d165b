"""Plain data the I-MUT rules read and return: no database, no HTTP, no Dagster.

:class:`PersonnelAction` is one I-MUT record (issue 17 item 1) as the rules see it; the ingestion model
(Pandera, ``schemas/feeds``) and the sandbox generator map their columns onto it. Dates are calendar
days in WIB. A finding is a :class:`Finding`; its reason is a message key plus parameters, so reports
and the console can say it in Bahasa Indonesia or English (:mod:`sbt_sync.imut.reasons`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

# Re-exported: the rules, the feed contract and the sandbox share one definition of each code set.
from schemas.imut_codes import ActionKind as ActionKind
from schemas.imut_codes import OfficialRole as OfficialRole
from schemas.imut_codes import PostClass as PostClass

COVERED_POST_CLASSES = frozenset(PostClass) - {PostClass.LAINNYA}


REGIONAL_HEAD_ROLES = frozenset(
    {OfficialRole.KEPALA_DAERAH, OfficialRole.PJ_KEPALA_DAERAH, OfficialRole.PLT_KEPALA_DAERAH}
)


@dataclass(frozen=True)
class Post:
    """A post held before or taken after the action."""

    post_class: PostClass
    name: str = ""
    unit: str = ""


@dataclass(frozen=True)
class DecidingOfficial:
    """The official who decided the action.

    ``region_code`` is the region a regional head governs (Kemendagri code, e.g. ``32`` or ``32.73``);
    ``heads_instansi_id`` the instansi this official heads (its PPK), if any.
    """

    role: OfficialRole
    name: str = ""
    region_code: str | None = None
    heads_instansi_id: str | None = None

    @property
    def is_regional_head(self) -> bool:
        return self.role in REGIONAL_HEAD_ROLES


@dataclass(frozen=True)
class MendagriApproval:
    """The Minister of Home Affairs' written approval (persetujuan tertulis); ``letter_no`` is "" when
    I-MUT sent a date without a letter number (an approval that cannot be verified does not count), and
    ``letter_date`` is ``None`` when it sent a number without a date (an approval that cannot be shown
    to predate the decision does not count either)."""

    letter_no: str
    letter_date: date | None


@dataclass(frozen=True)
class PersonnelAction:
    """One personnel action recorded in I-MUT.

    ``decision_date`` is the date of the decision (SK); ``effective_date`` the date it takes effect;
    ``reported_on`` the date it was reported to Kemendagri, ``None`` while unreported.
    """

    action_id: str
    nip: str
    kind: ActionKind
    instansi_id: str
    decided_by: DecidingOfficial
    decision_no: str
    decision_date: date
    effective_date: date
    post_before: Post | None = None
    post_after: Post | None = None
    reason_given: str = ""
    approval: MendagriApproval | None = None
    reported_on: date | None = None

    @property
    def covered_post(self) -> Post | None:
        """The post before or after whose class Pasal 71(2) covers (the one before first), if any."""
        for post in (self.post_before, self.post_after):
            if post is not None and post.post_class in COVERED_POST_CLASSES:
                return post
        return None


@dataclass(frozen=True)
class DateWindow:
    """Calendar days ``first`` to ``last``, both included."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


@dataclass(frozen=True)
class BlockInterval:
    """SIASN held the NIP's data blocked from ``start`` (included) until ``end`` (the day it was lifted,
    excluded); ``end`` is ``None`` while it is still blocked."""

    start: date
    end: date | None = None
    reference: str = ""

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class NeutralityCaseRef:
    """A neutrality case an ASN appears in: reported (an incident) or named in a register."""

    case_id: str
    known_since: date
    how: str = "reported"  # "reported" or "register"


class Rule(StrEnum):
    """The I-MUT rules; each finding names one."""

    PASAL_71_2 = "pasal_71_2"
    PASAL_162_3 = "pasal_162_3"
    REPORTING_7_DAYS = "reporting_7_working_days"
    BLOCK_BREACH = "block_breach"
    POSSIBLE_RETALIATION = "possible_retaliation"


class Disposition(StrEnum):
    """What a finding asks of BKN: a breach to confirm, or a pattern to investigate (never decided)."""

    BREACH = "breach"
    INVESTIGATE = "investigate"


@dataclass(frozen=True)
class Finding:
    """One rule's finding on one action.

    ``reason_key`` and ``reason_params`` render through :func:`sbt_sync.imut.reasons.render`;
    ``basis_key`` names the legal basis the same way. ``evidence`` holds the values the finding rests
    on (dates, letter numbers) as ISO strings. ``provisional`` marks a finding that a later calendar
    update may withdraw (a reporting deadline computed without that year's cuti bersama).
    """

    rule: Rule
    action_id: str
    disposition: Disposition
    basis_key: str
    reason_key: str
    reason_params: Mapping[str, str] = field(default_factory=dict)
    event_id: str | None = None
    window: DateWindow | None = None
    evidence: Mapping[str, str] = field(default_factory=dict)
    provisional: bool = False
