"""Console accounts: add, disable, reset, list, end their sessions, and API tokens; each change is audited.

The CLI (``sbt-sync users ...``) drives these; there is no web form for accounts, so creating an admin
needs shell access to the deployment. Disabling an account, resetting its password and
:func:`end_sessions` delete its server-side sessions in the same transaction, so they end at once.
Disabling an account also revokes its API tokens for good: an admin who disables an account because a
token leaked and later enables it for its owner must not revive the leaked token, so the owner asks
for a new one (``sbt-sync users token``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.console import sessions
from sbt_sync.console.security import hash_password, new_api_token, token_hash
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import ApiToken, AuditEntry, ConsoleSession, User
from sbt_sync.db.models.people import ROLES
from sbt_sync.errors import SbtError
from sbt_sync.settings import Settings


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: str
    agency: str | None
    active: bool
    locked_until: datetime | None


def _view(user: User) -> UserView:
    return UserView(
        user.id, user.username, user.display_name, user.role, user.agency, user.active, user.locked_until
    )


def _audit(
    user: User, action: str, actor: str, before: dict[str, object] | None, after: dict[str, object]
) -> AuditEntry:
    return AuditEntry(
        at=utcnow(),
        actor_name=actor,
        action=action,
        object_type="user",
        object_id=user.username,
        before=before,
        after=after,
        channel="cli",
    )


def _get(session_user: User | None, username: str) -> User:
    if session_user is None:
        raise SbtError(f"no user named {username!r}")
    return session_user


def add_user(
    database: Database,
    settings: Settings,
    *,
    username: str,
    password: str | None,
    role: str,
    display_name: str | None = None,
    agency: str | None = None,
    actor: str,
) -> UserView:
    """Create an account; an agency viewer needs an agency that owns at least one configured source.

    ``password`` None makes an SSO-only account (it logs in through ``console.oidc`` only).
    """
    if role not in ROLES:
        raise SbtError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if role == "agency_viewer":
        if not agency:
            raise SbtError("an agency viewer needs --agency")
        if not settings.agency_sources(agency):
            known = sorted({settings.source_agency(s) for s in settings.sources})
            raise SbtError(f"agency {agency!r} owns no configured source (known: {', '.join(known)})")
    elif agency:
        raise SbtError("--agency applies to agency viewers only")
    try:
        password_hash = hash_password(password) if password is not None else None
    except ValueError as exc:
        raise SbtError(str(exc)) from exc
    with database.session() as session:
        if session.scalar(select(User).where(User.username == username)) is not None:
            raise SbtError(f"user {username!r} already exists")
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=password_hash,
            role=role,
            agency=agency,
            active=True,
        )
        session.add(user)
        session.flush()
        session.add(_audit(user, "user.add", actor, None, {"role": role, "agency": agency}))
        return _view(user)


@dataclass(frozen=True)
class ActiveChange:
    """What :func:`set_active` did: the account afterwards, and what disabling ended for good."""

    user: UserView
    sessions_ended: int
    tokens_revoked: int


def set_active(database: Database, username: str, *, active: bool, actor: str) -> ActiveChange:
    """Disable (or re-enable) an account. Disabling ends its sessions and revokes its API tokens in the
    same transaction (both audited with their counts); enabling revives neither: the owner logs in again
    and asks for a new token."""
    with database.session() as session:
        user = _get(session.scalar(select(User).where(User.username == username)), username)
        before: dict[str, Any] = {"active": user.active}
        user.active = active
        after: dict[str, Any] = {"active": active}
        ended = revoked = 0
        if not active:
            ended = after["sessions_ended"] = sessions.end_for_user(session, user.id)
            revoked = after["tokens_revoked"] = _revoke(session, user, name=None)
        session.add(_audit(user, "user.enable" if active else "user.disable", actor, before, after))
        return ActiveChange(_view(user), ended, revoked)


def reset_password(database: Database, username: str, *, password: str, actor: str) -> UserView:
    """Set a new password, clear the throttle lock and end the account's sessions."""
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise SbtError(str(exc)) from exc
    with database.session() as session:
        user = _get(session.scalar(select(User).where(User.username == username)), username)
        user.password_hash, user.failed_logins, user.locked_until = password_hash, 0, None
        ended = sessions.end_for_user(session, user.id)
        session.add(_audit(user, "user.reset", actor, None, {"password": "changed", "sessions_ended": ended}))
        return _view(user)


def end_sessions(database: Database, username: str | None, *, actor: str) -> dict[str, int]:
    """End the console sessions of the account ``username``, or of every account when None (after a
    suspected theft of cookies, say); each account whose sessions ended gets its own audit entry.
    Returns the number of sessions ended per account (an account without any is listed with 0 only
    when it was named)."""
    with database.session() as session:
        if username is not None:
            users = [_get(session.scalar(select(User).where(User.username == username)), username)]
        else:
            users = list(
                session.scalars(
                    select(User).where(User.id.in_(select(ConsoleSession.user_id))).order_by(User.username)
                )
            )
        ended: dict[str, int] = {}
        for user in users:
            ended[user.username] = sessions.end_for_user(session, user.id)
            session.add(
                _audit(user, "user.end_sessions", actor, None, {"sessions_ended": ended[user.username]})
            )
        return ended


def list_users(database: Database) -> list[UserView]:
    with database.session() as session:
        return [_view(u) for u in session.scalars(select(User).order_by(User.username))]


TOKEN_DAYS = 90
"""An API token's lifetime unless one is given: a token left in a script or a log stops working."""
MAX_TOKEN_DAYS = 366


def create_token(
    database: Database, username: str, *, name: str, days: int | None = None, actor: str
) -> tuple[str, datetime]:
    """A new API token for the account (shown once) and its expiry: ``days`` from now (default
    :data:`TOKEN_DAYS`, at most :data:`MAX_TOKEN_DAYS`); no token lives forever."""
    days = TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise SbtError(f"a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}")
    token, digest = new_api_token()
    expires = utcnow() + timedelta(days=days)
    with database.session() as session:
        user = _get(session.scalar(select(User).where(User.username == username)), username)
        if not user.active:
            raise SbtError(f"user {username!r} is disabled")
        session.add(ApiToken(user_id=user.id, name=name, token_hash=digest, expires_at=expires))
        session.add(_audit(user, "token.create", actor, None, {"name": name, "expires_at": str(expires)}))
    return token, expires


def revoke_tokens(database: Database, username: str, *, name: str | None, actor: str) -> int:
    """Revoke the account's tokens (only the one called ``name`` when given); returns how many."""
    with database.session() as session:
        user = _get(session.scalar(select(User).where(User.username == username)), username)
        revoked = _revoke(session, user, name=name)
        session.add(_audit(user, "token.revoke", actor, None, {"name": name, "revoked": revoked}))
        return revoked


def _revoke(session: Session, user: User, *, name: str | None) -> int:
    """Mark the account's unrevoked tokens (only those called ``name`` when given) revoked now."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if name:
        query = query.where(ApiToken.name == name)
    tokens = list(session.scalars(query))
    now = utcnow()
    for t in tokens:
        t.revoked_at = now
    return len(tokens)


def user_for_token(database: Database, token: str) -> User | None:
    """The active account an unrevoked, unexpired token belongs to, else None."""
    now = utcnow()
    with database.session() as session:
        row = session.execute(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None))
        ).first()
        if row is None:
            return None
        user: User = row[0]
        api_token: ApiToken = row[1]
        if not user.active or (api_token.expires_at is not None and api_token.expires_at <= now):
            return None
        return user
