"""What an agency viewer may see, as SQL conditions: records of the sources their agency owns."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists

from sbt_sync.db.models import Case, CaseLink


def case_visible(sources: Sequence[str]) -> ColumnElement[bool]:
    """A case is visible when one of its active links comes from one of ``sources``."""
    return exists().where(
        CaseLink.case_id == Case.id,
        CaseLink.unlinked_at.is_(None),
        CaseLink.source.in_(list(sources)),
    )
