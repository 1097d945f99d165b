"""A staged I-MUT record (``schemas.feeds.imut``'s ``fields``) as the :class:`PersonnelAction` the
rules read. Pure: no database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sbt_sync.imut.model import (
    ActionKind,
    DecidingOfficial,
    MendagriApproval,
    OfficialRole,
    PersonnelAction,
    Post,
    PostClass,
)


class UnreadableAction(ValueError):
    """A staged record lacks what the rules need (a feed contract that let it through is wrong)."""


def _day(fields: Mapping[str, Any], name: str) -> date | None:
    value = fields.get(name)
    return date.fromisoformat(value) if value else None


def _required_day(action_id: str, fields: Mapping[str, Any], name: str) -> date:
    value = _day(fields, name)
    if value is None:
        raise UnreadableAction(f"I-MUT action {action_id}: {name} is missing")
    return value


def _post(fields: Mapping[str, Any], side: str) -> Post | None:
    post_class = fields.get(f"post_{side}_class")
    if not post_class:
        return None
    return Post(
        PostClass(post_class),
        name=str(fields.get(f"post_{side}") or ""),
        unit=str(fields.get(f"unit_{side}") or ""),
    )


def personnel_action(action_id: str, nip: str | None, fields: Mapping[str, Any]) -> PersonnelAction:
    """The action a staged row describes; ``nip`` is the staged (validated) NIP, "" when missing.

    An approval with a number but no date is passed on with ``letter_date`` ``None``: it cannot be
    shown to predate the decision, so it does not count, but the finding says the number I-MUT sent
    (it is not "no approval"). One with a date but no letter number is passed on with an empty
    ``letter_no``: it does not count either (it cannot be verified), but the finding says the date.

    Raises :class:`UnreadableAction` when a date the rules need is missing.
    """
    approval_no, approval_day = str(fields.get("approval_no") or "").strip(), _day(fields, "approval_date")
    approval = MendagriApproval(approval_no, approval_day) if approval_no or approval_day else None
    return PersonnelAction(
        action_id=action_id,
        nip=nip or "",
        kind=ActionKind(fields["action"]),
        instansi_id=str(fields.get("instansi_id") or ""),
        decided_by=DecidingOfficial(
            role=OfficialRole(fields["official_role"]),
            name=str(fields.get("official_name") or ""),
            region_code=fields.get("official_region") or None,
            heads_instansi_id=fields.get("official_instansi_id") or None,
        ),
        decision_no=str(fields.get("decision_no") or ""),
        decision_date=_required_day(action_id, fields, "decision_date"),
        effective_date=_required_day(action_id, fields, "effective_date"),
        post_before=_post(fields, "before"),
        post_after=_post(fields, "after"),
        reason_given=str(fields.get("reason_given") or ""),
        approval=approval,
        reported_on=_day(fields, "reported_on"),
    )


def same_decision_key(action: PersonnelAction) -> tuple[str, str, str] | None:
    """What makes two I-MUT records one decision delivered twice: the same NIP, SK number (case and
    whitespace aside: ``821 / 77 / BKPSDM`` is ``821/77/BKPSDM``) and decision date. None when the NIP
    or the SK number is missing (nothing to tell two actions apart by)."""
    number = "".join(action.decision_no.split()).upper()
    if not action.nip or not number:
        return None
    return action.nip, number, action.decision_date.isoformat()
