"""The review's transitions: what a steward's choice leads to, and what a change of a finding's basis
does to each review."""

from __future__ import annotations

import pytest

from sbt_sync.imut.review import REVIEW_AFTER, Review, StewardChoice, review_on_basis_change


@pytest.mark.parametrize(
    ("review", "after"),
    [
        # Nobody decided yet: it stays in the queue.
        (Review.PENDING, Review.PENDING),
        # Someone is investigating: they keep it, and see what changed.
        (Review.INVESTIGATING, Review.INVESTIGATING),
        # A confirmation or a dismissal rested on what changed: back to the queue.
        (Review.CONFIRMED, Review.PENDING),
        (Review.DISMISSED, Review.PENDING),
    ],
)
def test_a_basis_change_sends_decided_findings_back_to_the_queue(review: Review, after: Review) -> None:
    assert review_on_basis_change(review) is after


def test_every_choice_leads_to_its_own_review() -> None:
    assert {choice: REVIEW_AFTER[choice] for choice in StewardChoice} == {
        StewardChoice.INVESTIGATE: Review.INVESTIGATING,
        StewardChoice.CONFIRM: Review.CONFIRMED,
        StewardChoice.DISMISS: Review.DISMISSED,
    }
