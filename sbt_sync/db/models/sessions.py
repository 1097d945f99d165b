"""Console sessions kept on the server: the browser's cookie carries a random id, the database its hash.

A session is a row; ending it (logout, an account disabled or its password reset, an admin's ``users
end-sessions``, idle or absolute expiry) deletes the row, so a copied or replayed cookie stops working
at once, in every process of a deployment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sbt_sync.db.base import Base, utcnow


class ConsoleSession(Base):
    """One signed-in browser; only the SHA-256 of its session id is stored, never the id."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    """Named in the audit log's ``object_id`` so a session's start and end can be paired."""
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    client_address: Mapped[str | None] = mapped_column(String(64))
    """Where the session started (the client, through a trusted proxy's forwarded header)."""
    csrf_token: Mapped[str] = mapped_column(String(64))
    """Every form of the session posts it back; it dies with the session."""
