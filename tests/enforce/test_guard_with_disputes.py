"""Enforcement's own guard against disputed identities, as a pure function: a case an open dispute
touches is handed to the policy held (never blocked), whatever its stored flag says, and its hold
reason adds only what the stored one does not say yet."""

from __future__ import annotations

from datetime import date

import pytest

from sbt_sync.enforce.disputes import Dispute, with_disputes
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.settings import EnforcementSettings
from tests.enforce.builders import NIP_A, case

LATE = date(2025, 3, 1)
"""Well past the pemblokiran day of a case recommended on ``R``."""
IDENTITY = Dispute(
    "identity disputed: bkn_wasdal REC-1#0: identity conflict 7 (name_mismatch, 2 candidate(s)) is open",
    "bkn_wasdal REC-1#0",
)
NAMED = Dispute("identity disputed: idis SK-4#0: names another ASN, not the case's ASN", "idis SK-4#0")
NOBODY = "identity disputed: bkn_wasdal REC-1#0: names nobody in the registry, not the case's ASN"
CRITICAL = Dispute("open critical_field conflict critical_field|CASE-001|verification_result")


@pytest.mark.parametrize(
    ("held", "stored", "disputes", "expected"),
    [
        # No dispute: the stored verdict stands, held or not.
        (False, None, [], (False, None)),
        (True, CRITICAL.clause, [], (True, CRITICAL.clause)),
        # The stale case: not held, yet an identity dispute is open on one of its records.
        (False, None, [IDENTITY], (True, IDENTITY.clause)),
        (False, None, [IDENTITY, NAMED], (True, f"{IDENTITY.clause}; {NAMED.clause}")),
        # Held for what is open: the reconciliation's reason is kept as it is.
        (True, IDENTITY.clause, [IDENTITY], (True, IDENTITY.clause)),
        # The same record disputed in other words (its conflict refreshed since): not said twice.
        (True, NOBODY, [IDENTITY], (True, NOBODY)),
        # Held for something else: the new dispute is added after the stored reason.
        (True, CRITICAL.clause, [NAMED], (True, f"{CRITICAL.clause}; {NAMED.clause}")),
        # A stale reason on a case no longer held is not revived: only the dispute is said.
        (False, CRITICAL.clause, [NAMED], (True, NAMED.clause)),
    ],
)  # fmt: skip
def test_open_disputes_hold_the_case_whatever_its_stored_flag(
    held: bool, stored: str | None, disputes: list[Dispute], expected: tuple[bool, str | None]
) -> None:
    [guarded] = with_disputes([case(held=held, hold_reason=stored)], {1: disputes})
    assert (guarded.held, guarded.hold_reason) == expected


def test_the_policy_never_blocks_a_case_an_open_dispute_touches() -> None:
    overdue = [case(1), case(2, nip="199002022015022002")]
    plain = plan_enforcement(overdue, EnforcementSettings(), LATE)
    assert plain.blocked_nips == (NIP_A, "199002022015022002")  # both overdue, both blocked

    guarded = plan_enforcement(with_disputes(overdue, {1: [IDENTITY]}), EnforcementSettings(), LATE)
    assert guarded.blocked_nips == ("199002022015022002",)
    [hold] = guarded.holds
    assert hold.case_id == 1 and hold.reason.endswith(IDENTITY.clause)
    assert guarded.blocks[NIP_A].held_case_ids == (1,)
