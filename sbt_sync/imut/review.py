"""The states of a stored I-MUT finding and of its review, and the review's transitions (one module,
STYLE 13): what a steward's choice does, and what a change of the finding's basis does."""

from __future__ import annotations

from enum import StrEnum


class FindingStatus(StrEnum):
    """Whether the rule still finds it: ``closed`` when re-evaluation no longer does (never deleted)."""

    OPEN = "open"
    CLOSED = "closed"


class Review(StrEnum):
    """Where a finding stands in the stewards' queue."""

    PENDING = "pending"  # nobody has looked yet, or its basis changed since a decision
    INVESTIGATING = "investigating"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class StewardChoice(StrEnum):
    """What a steward decides on a finding."""

    INVESTIGATE = "investigate"
    CONFIRM = "confirm"
    DISMISS = "dismiss"


REVIEW_AFTER: dict[StewardChoice, Review] = {
    StewardChoice.INVESTIGATE: Review.INVESTIGATING,
    StewardChoice.CONFIRM: Review.CONFIRMED,
    StewardChoice.DISMISS: Review.DISMISSED,
}
"""The review a choice leads to. Any choice may follow any review (a steward may change their mind);
each is its own decision row and audit entry."""


def review_on_basis_change(review: Review) -> Review:
    """A confirmed or dismissed finding goes back to the queue when what it rests on changes (like a
    conflict decision whose source values changed); pending and investigating ones stay as they are
    (the change is shown to whoever investigates)."""
    return Review.PENDING if review in (Review.CONFIRMED, Review.DISMISSED) else review
