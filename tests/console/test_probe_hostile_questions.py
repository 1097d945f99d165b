"""Design questions the acceptance probe of hostile users raised (strict xfails): accounts, and personal
data in URLs.

Each test states the behaviour a careful user would expect and fails today; the lead decides.
"""

from __future__ import annotations

import re

import pytest

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


@pytest.mark.xfail(
    strict=True,
    reason=(
        "DESIGN QUESTION: the header's search (q), the case list's filter (q) and the registry search "
        "on an identity conflict (q_name, q_nip, q_birth, prefilled with the row's name and birth "
        "date) are GET forms, so a name, a NIP or a birth date travels in the URL: into the browser's "
        "history and the access log of the reverse proxy a production console sits behind. The "
        "access-log lookup posts its NIP for exactly this reason (web_access). Should these searches "
        "post too (or the deployment require proxies that drop query strings from their logs)?"
    ),
)
def test_a_registry_search_on_an_identity_conflict_keeps_the_name_and_birth_date_out_of_the_url(
    world: World,
) -> None:
    page = world.login("steward").get(f"/conflicts/{world.ids['conflict_b']}").text
    found = re.search(r'<form method="(\w+)" action="/conflicts/\d+#search"', page)
    assert found is not None, "the identity conflict page offers a registry search"
    assert found.group(1) == "post"
