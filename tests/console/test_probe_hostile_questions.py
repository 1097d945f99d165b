"""Design questions the acceptance probe of hostile users raised, settled by the lead: accounts (a
disabled account's tokens stay revoked), and personal data kept out of URLs (the searches post)."""

from __future__ import annotations

import re

from sbt_sync.console.users import set_active
from tests.console.conftest import World


def test_a_token_of_a_disabled_account_stays_dead_when_the_account_is_enabled_again(world: World) -> None:
    # settled by the lead: disabling revokes the account's tokens for good (a leaked token must not
    # come back with its owner); the owner asks for a new one (tests/console/test_account_tokens.py)
    client = world.client()
    token = {"Authorization": f"Bearer {world.tokens['auditor']}"}
    set_active(world.database, "auditor", active=False, actor="test")
    assert client.get("/api/v1/me", headers=token).status_code == 401
    set_active(world.database, "auditor", active=True, actor="test")
    assert client.get("/api/v1/me", headers=token).status_code == 401


def test_a_registry_search_on_an_identity_conflict_keeps_the_name_and_birth_date_out_of_the_url(
    world: World,
) -> None:
    # settled by the lead: the searches post (tests/console/test_search_posts.py follows them through)
    page = world.login("steward").get(f"/conflicts/{world.ids['conflict_b']}").text
    found = re.search(r'<form method="(\w+)" action="/conflicts/\d+#search"', page)
    assert found is not None, "the identity conflict page offers a registry search"
    assert found.group(1) == "post"
