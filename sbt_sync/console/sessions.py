"""Console sessions kept on the server: start, look up, end and expire them; each start and end is audited.

The browser's cookie (``sbt_session``, signed by starlette's SessionMiddleware, HttpOnly, SameSite=Lax)
carries a random session id and, before login, only short-lived state: the login form's CSRF token,
an SSO login in progress, flash messages. What makes a session valid is its row in
``console_sessions``, found by the id's SHA-256 (the id itself is stored nowhere): deleting the row
ends the session at once, so a cookie replayed after logout, after the account is disabled or its
password reset, or after an admin's ``sbt-sync users end-sessions``, gets the login page. The idle
(``console.session_idle_minutes``) and absolute (``console.session_max_hours``) limits are checked
against the row on every request; expired rows are deleted when noticed and at every login.

The audit log records ``auth.login`` (a session starts), ``auth.logout``, ``auth.session_expired``
(reason ``idle`` or ``max_age``) and ``user.end_sessions``; its ``object_id`` is the row's number, so a
session's start and end pair up, never the session id or the CSRF token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from sbt_sync.console.security import new_csrf_token
from sbt_sync.db.base import utcnow
from sbt_sync.db.models import AuditEntry, ConsoleSession, User
from sbt_sync.settings import ConsoleSettings

SEEN_REFRESH_SECONDS = 30
"""``last_seen_at`` is written at most this often per session (a page load is not worth a write)."""

Expiry = Literal["idle", "max_age"]


@dataclass(frozen=True)
class LiveSession:
    """A session that is valid now: its row number, its account and its CSRF token."""

    row_id: int
    user: User
    csrf_token: str


def id_hash(session_id: str) -> str:
    """What the database keeps of a session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(
    db: Session, user: User, *, address: str | None, reason: str | None = None, now: datetime | None = None
) -> str:
    """A new session for ``user`` (audited as ``auth.login``); returns the id the cookie carries."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    row = ConsoleSession(
        id_hash=id_hash(session_id),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        client_address=address,
        csrf_token=new_csrf_token(),
    )
    db.add(row)
    db.flush()
    db.add(audit(user.id, user.username, "auth.login", address, row_id=row.id, reason=reason))
    return session_id


def lookup(
    db: Session, session_id: str, limits: ConsoleSettings, *, address: str | None, now: datetime | None = None
) -> LiveSession | None:
    """The live session ``session_id`` names, else None (never started, ended, or expired now).

    An expired session's row is deleted here and its end audited; one of a disabled account is deleted
    too (disabling deletes them already; this covers an account disabled by other means).
    """
    now = now or utcnow()
    found = _find(db, session_id)
    if found is None:
        return None
    row, user = found
    expiry = _expiry(row, limits, now)
    if expiry is not None or not user.active:
        if _delete(db, row.id) and expiry is not None:
            db.add(
                audit(user.id, user.username, "auth.session_expired", address, row_id=row.id, reason=expiry)
            )
        return None
    if (now - row.last_seen_at).total_seconds() > SEEN_REFRESH_SECONDS:
        # a statement, not a change to the loaded row: a logout in another tab meanwhile is no error
        db.execute(
            update(ConsoleSession)
            .where(ConsoleSession.id == row.id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    return LiveSession(row_id=row.id, user=user, csrf_token=row.csrf_token)


def _find(db: Session, session_id: str) -> tuple[ConsoleSession, User] | None:
    """The session row ``session_id`` names and its account, else None."""
    found = db.execute(
        select(ConsoleSession, User)
        .join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.id_hash == id_hash(session_id))
    ).first()
    return None if found is None else (found[0], found[1])


def end(db: Session, session_id: str, *, address: str | None) -> bool:
    """Log out: delete the session ``session_id`` names (audited as ``auth.logout``); False when none."""
    found = _find(db, session_id)
    if found is None:
        return False
    row, user = found
    if not _delete(db, row.id):
        return False
    db.add(audit(user.id, user.username, "auth.logout", address, row_id=row.id))
    return True


def end_for_user(db: Session, user_id: int) -> int:
    """Delete every session of the account; returns how many (the caller audits why)."""
    result = db.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def prune(db: Session, limits: ConsoleSettings, *, now: datetime | None = None) -> int:
    """Delete every session past its idle or absolute limit, auditing each end; returns how many."""
    now = now or utcnow()
    idle_before = now - timedelta(minutes=limits.session_idle_minutes)
    started_before = now - timedelta(hours=limits.session_max_hours)
    rows = db.execute(
        select(ConsoleSession, User.username)
        .join(User, User.id == ConsoleSession.user_id)
        .where(or_(ConsoleSession.last_seen_at < idle_before, ConsoleSession.created_at < started_before))
    ).all()
    pruned = 0
    for row, username in rows:
        if not _delete(db, row.id):
            continue  # another request ended it meanwhile, and audited that
        pruned += 1
        db.add(
            audit(
                row.user_id, username, "auth.session_expired", None, row_id=row.id,
                reason=_expiry(row, limits, now) or "idle",
            )
        )  # fmt: skip
    return pruned


UNKNOWN_USER = "(unknown user)"
"""The name a login attempt at a name no account has is audited under (never the text typed)."""


def audit(
    user_id: int | None,
    username: str,
    action: str,
    address: str | None,
    *,
    row_id: int | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """An audit entry about a session (or a login attempt, which has none yet)."""
    return AuditEntry(
        at=utcnow(),
        actor_id=user_id,
        actor_name=username[:64],
        action=action,
        object_type="session",
        object_id=str(row_id) if row_id is not None else None,
        channel="console",
        client_address=address,
        reason=reason,
    )


def _delete(db: Session, row_id: int) -> bool:
    """Delete one session row; False when a concurrent request deleted it first (so one end is audited
    once, however many requests notice it)."""
    result = db.execute(
        delete(ConsoleSession).where(ConsoleSession.id == row_id).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _expiry(row: ConsoleSession, limits: ConsoleSettings, now: datetime) -> Expiry | None:
    if now - row.created_at > timedelta(hours=limits.session_max_hours):
        return "max_age"
    if now - row.last_seen_at > timedelta(minutes=limits.session_idle_minutes):
        return "idle"
    return None
