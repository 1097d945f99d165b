"""Disabling an account revokes its API tokens for good: the CLI says so in words, the audit log records
how many, enabling the account again revives none of them, and a new token works."""

from __future__ import annotations

import html
import re

from typer.testing import CliRunner

from sbt_sync.cli import app as cli
from sbt_sync.console.users import create_token
from tests.console.conftest import World


def _users(world: World, *args: str) -> str:
    result = CliRunner().invoke(
        cli,
        ["--config", str(world.settings.config_path), "users", *args],
        env={"SBT_DATABASE_URL": world.database.url},
    )
    assert result.exit_code == 0, result.output
    return result.output


def _visible(page: str) -> str:
    page = re.sub(r"<(script|style|details)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_an_admin_disables_an_account_by_cli_its_tokens_are_revoked_for_good_and_a_new_one_works(
    world: World,
) -> None:
    client = world.client()
    old = {"Authorization": f"Bearer {world.tokens['auditor']}"}
    second, _ = create_token(world.database, "auditor", name="script", days=1, actor="test")
    assert client.get("/api/v1/me", headers=old).status_code == 200
    said = _users(world, "disable", "auditor")
    assert "2 API token(s) revoked for good" in said and "does not revive them" in said
    said = _users(world, "enable", "auditor")
    assert "stay revoked" in said and "sbt-sync users token auditor" in said
    for token in (world.tokens["auditor"], second):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    fresh = _users(world, "token", "auditor", "--name", "again", "--days", "1").split()[0]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    # the audit log tells the admin, in words, that the tokens went with the disabling
    admin = world.login("admin")
    shown = _visible(admin.get("/audit?action=user.disable").text)
    assert "Pengguna dinonaktifkan" in shown
    assert "Token API yang dicabut permanen (tidak hidup lagi bila akun diaktifkan kembali) : – → 2" in shown
    admin.get("/lang/en")
    english = _visible(admin.get("/audit?action=user.disable").text)
    assert "API tokens revoked for good (not revived when the account is enabled again) : – → 2" in english
    assert "tokens_revoked" not in shown + english
