"""Design questions the acceptance probe of hostile users raised about accounts (strict xfails).

Each test states the behaviour a careful user would expect and fails today; the lead decides.
"""

from __future__ import annotations

import pytest

from sbt_sync.console.users import set_active
from tests.console.conftest import World


@pytest.mark.xfail(
    strict=True,
    reason=(
        "DESIGN QUESTION: disabling an account ends its console sessions for good (their rows are "
        "deleted) but only pauses its API tokens: re-enabling the account makes every old token work "
        "again. An admin who disables an account because a token leaked, then re-enables it for its "
        "owner, revives the leaked token. Should disabling revoke the tokens (the owner asks for a new "
        "one; SIASN's pull account would need its token re-issued), or is pausing intended?"
    ),
)
def test_a_token_of_a_disabled_account_stays_dead_when_the_account_is_enabled_again(world: World) -> None:
    client = world.client()
    token = {"Authorization": f"Bearer {world.tokens['auditor']}"}
    set_active(world.database, "auditor", active=False, actor="test")
    assert client.get("/api/v1/me", headers=token).status_code == 401
    set_active(world.database, "auditor", active=True, actor="test")
    assert client.get("/api/v1/me", headers=token).status_code == 401
