"""Console users, API tokens and the append-only audit log of every human action."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sbt_sync.db.base import Base, JsonType, utcnow

ROLES = ("admin", "steward", "agency_viewer", "auditor")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        # An agency viewer sees only their agency's records, so the agency is required for that role.
        CheckConstraint("role != 'agency_viewer' OR agency IS NOT NULL", name="viewer_agency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    """None for accounts that only log in through OIDC."""
    role: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ApiToken(Base):
    """A token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


OBJECT_ID_LENGTH = 128


def object_ids(ids: Iterable[int | str]) -> str | None:
    """The ``object_id`` of an audit entry about several rows: their ids comma-joined while that fits
    the column, else how many ("57 rows"; the entry's ``after["ids"]`` names each). None for none."""
    listed = [str(i) for i in ids]
    if not listed:
        return None
    joined = ",".join(listed)
    return joined if len(joined) <= OBJECT_ID_LENGTH else f"{len(listed)} rows"


class AuditEntry(Base):
    """Who did what, when, with the before and after; written in the action's own transaction.

    Never updated or deleted; on PostgreSQL a trigger refuses both (see the initial migration).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"), Index(None, "object_type", "object_id"), Index(None, "actor_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    """Kept verbatim so the log reads the same if the account is later renamed or disabled."""
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(OBJECT_ID_LENGTH))
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16), default="cli")
    """cli, console or api."""
    client_address: Mapped[str | None] = mapped_column(String(64))
