"""API tokens never live forever: a default lifetime, a ceiling, and an expired token is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from sbt_sync.console.users import MAX_TOKEN_DAYS, TOKEN_DAYS, add_user, create_token, user_for_token
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import ApiToken
from sbt_sync.errors import SbtError
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT


def _account(database: Database) -> None:
    settings = load_settings(REPO_ROOT / "sbt.yaml", env={})
    add_user(database, settings, username="feed", password=None, role="steward", actor="test")


def test_a_token_made_without_a_lifetime_expires_after_the_default(migrated_database: Database) -> None:
    _account(migrated_database)
    before = utcnow()
    secret, expires = create_token(migrated_database, "feed", name="siasn-feed", actor="test")
    assert before + timedelta(days=TOKEN_DAYS) <= expires <= utcnow() + timedelta(days=TOKEN_DAYS)
    assert user_for_token(migrated_database, secret) is not None
    with migrated_database.session() as session:  # the token has expired
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert user_for_token(migrated_database, secret) is None


@pytest.mark.parametrize("days", [0, MAX_TOKEN_DAYS + 1])
def test_a_lifetime_outside_the_bounds_is_refused(migrated_database: Database, days: int) -> None:
    _account(migrated_database)
    with pytest.raises(SbtError, match="days"):
        create_token(migrated_database, "feed", name="x", days=days, actor="test")
