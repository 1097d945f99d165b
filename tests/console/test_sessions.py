"""Server-side sessions (logout, disable, reset and an admin's "end sessions" end them at once; idle and
absolute limits checked on the server), login throttling that never refuses one account for another's
failures, and client addresses read through trusted proxies only."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from starlette.requests import Request
from typer.testing import CliRunner

from sbt_sync.cli import app as cli
from sbt_sync.console import users, web
from sbt_sync.console.app import SESSION_COOKIE, create_app
from sbt_sync.console.security import LoginThrottle
from sbt_sync.db.base import utcnow
from sbt_sync.db.models import AuditEntry, Conflict, ConsoleSession
from sbt_sync.errors import ConfigError
from sbt_sync.settings import Settings, load_settings
from tests.console.conftest import PASSWORD, World, csrf_of


def _cookie(client: TestClient) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert isinstance(value, str) and value, "no session cookie"
    return value


def _replay(world: World, cookie: str) -> TestClient:
    """A fresh browser holding a copy of ``cookie``, as a thief or a forgotten tab would."""
    other = world.client()
    other.cookies.set(SESSION_COOKIE, cookie)
    return other


def _sid(cookie: str) -> str:
    """The session id inside the signed cookie (base64 JSON, then timestamp and signature)."""
    payload = cookie.split(".")[0]
    data: dict[str, Any] = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    sid = data["sid"]
    assert isinstance(sid, str)
    return sid


def _gets_the_login_page(client: TestClient, path: str = "/conflicts") -> None:
    response = client.get(path)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/login?next=")
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and 'name="password"' in page.text


def _sessions(world: World) -> int:
    with world.database.session() as session:
        return session.scalar(select(func.count()).select_from(ConsoleSession)) or 0


def _actions(world: World, object_type: str = "session") -> list[AuditEntry]:
    with world.database.session() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.object_type == object_type).order_by(AuditEntry.id)
            )
        )


def _logout(client: TestClient) -> None:
    response = client.post("/logout", data={"csrf_token": csrf_of(client, "/conflicts")})
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_a_cookie_replayed_after_logout_gets_the_login_page(world: World) -> None:
    client = world.login("steward")
    cookie, token = _cookie(client), csrf_of(client, "/conflicts")
    assert _replay(world, cookie).get("/conflicts").status_code == 200  # a copy works while it lives
    _logout(client)
    _gets_the_login_page(_replay(world, cookie))
    # nor can the replayed cookie act: a claim with the token its pages carried changes nothing
    claim = _replay(world, cookie).post(
        f"/conflicts/{world.ids['conflict_a']}/claim", data={"csrf_token": token}
    )
    assert claim.status_code in (303, 403) and claim.headers.get("location", "/login").startswith("/login")
    with world.database.session() as session:
        conflict = session.get(Conflict, world.ids["conflict_a"])
        assert conflict is not None and conflict.claimed_by_id is None
    assert _sessions(world) == 0
    started, ended = (e for e in _actions(world) if e.action in ("auth.login", "auth.logout"))
    assert started.object_id == ended.object_id and started.actor_name == "steward"


def test_only_the_hash_of_the_session_id_is_stored_and_nothing_audited_names_it(world: World) -> None:
    client = world.login("steward")
    sid = _sid(_cookie(client))
    with world.database.session() as session:
        row = session.scalars(select(ConsoleSession)).one()
    assert row.id_hash == hashlib.sha256(sid.encode()).hexdigest()
    assert sid not in repr(vars(row))
    assert row.client_address == "testclient" and row.csrf_token
    # the forms carry the server-side session's CSRF token
    assert csrf_of(client, "/conflicts") == row.csrf_token
    _logout(client)
    for entry in _actions(world):
        assert sid not in json.dumps([entry.object_id, entry.reason, entry.before, entry.after])
        assert row.csrf_token not in json.dumps([entry.object_id, entry.reason, entry.before, entry.after])


def test_logging_in_again_gives_a_new_session_and_the_old_forms_token_is_refused(world: World) -> None:
    client = world.login("steward")
    old_token = csrf_of(client, "/conflicts")
    _logout(client)
    client = world.login("steward")
    form = {"value": "H1", "reason": "old tab", "csrf_token": old_token}
    assert client.post(f"/conflicts/{world.ids['conflict_a']}/resolve", data=form).status_code == 403
    form["csrf_token"] = csrf_of(client, "/conflicts")
    assert client.post(f"/conflicts/{world.ids['conflict_a']}/resolve", data=form).status_code == 303


def test_logging_out_of_a_session_that_already_ended_just_goes_to_the_login_page(world: World) -> None:
    client = world.login("steward")
    users.end_sessions(world.database, "steward", actor="admin")
    response = client.post("/logout", data={"csrf_token": "from the stale page"})
    assert response.status_code == 303 and response.headers["location"] == "/login"


def _end_one(world: World) -> None:
    assert users.end_sessions(world.database, "steward", actor="test") == {"steward": 2}


def _end_all_by_cli(world: World) -> None:
    result = CliRunner().invoke(
        cli,
        ["--config", str(world.settings.config_path), "users", "end-sessions", "--all"],
        env={"SBT_DATABASE_URL": world.database.url},
    )
    assert result.exit_code == 0, result.output
    assert "ended 3 session(s) of 2 account(s)" in result.output


def _disable(world: World) -> None:
    users.set_active(world.database, "steward", active=False, actor="test")


def _reset(world: World) -> None:
    users.reset_password(world.database, "steward", password="another long password", actor="test")


@pytest.mark.parametrize(
    ("end", "action"),
    [
        (_end_one, "user.end_sessions"),  # an admin ends one account's sessions
        (_end_all_by_cli, "user.end_sessions"),  # ... or everyone's: sbt-sync users end-sessions --all
        (_disable, "user.disable"),
        (_reset, "user.reset"),
    ],
)
def test_ending_disabling_or_resetting_an_account_ends_its_sessions_at_once(
    world: World, end: Callable[[World], None], action: str
) -> None:
    office, phone = world.login("steward"), world.login("steward")
    auditor = world.login("auditor")
    cookies = [_cookie(office), _cookie(phone)]
    end(world)
    for cookie in cookies:
        _gets_the_login_page(_replay(world, cookie))
    everyone = end is _end_all_by_cli
    assert (auditor.get("/conflicts").status_code == 200) is not everyone
    entry = next(e for e in _actions(world, "user") if e.action == action and e.object_id == "steward")
    assert entry.after is not None and entry.after["sessions_ended"] == 2


def test_end_sessions_needs_one_account_or_all(world: World) -> None:
    result = CliRunner().invoke(
        cli,
        ["--config", str(world.settings.config_path), "users", "end-sessions"],
        env={"SBT_DATABASE_URL": world.database.url},
    )
    assert result.exit_code != 0 and "name one account or give --all" in str(result.exception)


@pytest.mark.parametrize(
    ("column", "age", "reason"),
    [
        ("last_seen_at", timedelta(minutes=31), "idle"),  # console.session_idle_minutes is 30
        ("created_at", timedelta(hours=12, minutes=1), "max_age"),  # console.session_max_hours is 12
    ],
)
def test_sessions_expire_on_the_server_when_idle_or_too_old(
    world: World, column: str, age: timedelta, reason: str
) -> None:
    client = world.login("steward")
    cookie = _cookie(client)
    with world.database.session() as session:
        session.execute(update(ConsoleSession).values({column: utcnow() - age}))
    response = client.get("/conflicts")
    assert response.status_code == 303 and "expired=1" in response.headers["location"]
    _gets_the_login_page(_replay(world, cookie))
    assert _sessions(world) == 0
    expired = [e for e in _actions(world) if e.action == "auth.session_expired"]
    assert [(e.actor_name, e.reason) for e in expired] == [("steward", reason)]


def test_a_page_load_keeps_a_session_alive_and_logins_prune_expired_ones(world: World) -> None:
    client = world.login("steward")
    with world.database.session() as session:
        session.execute(update(ConsoleSession).values(last_seen_at=utcnow() - timedelta(minutes=29)))
    assert client.get("/conflicts").status_code == 200  # 29 minutes idle: still alive, and seen now
    with world.database.session() as session:
        seen = session.scalars(select(ConsoleSession.last_seen_at)).one()
    assert utcnow() - seen < timedelta(minutes=1)
    # a forgotten session nobody uses again is deleted at the next login of anyone
    with world.database.session() as session:
        session.execute(update(ConsoleSession).values(last_seen_at=utcnow() - timedelta(hours=2)))
    world.login("auditor")
    assert _sessions(world) == 1  # the auditor's
    expired = [e.actor_name for e in _actions(world) if e.action == "auth.session_expired"]
    assert expired == ["steward"]


# --- throttling -------------------------------------------------------------------------------------


def _attempt(client: TestClient, username: str, password: str, **headers: str) -> int:
    form = {"username": username, "password": password, "csrf_token": csrf_of(client)}
    status: int = client.post("/login", data=form, headers=headers).status_code
    return status


def test_another_account_logs_in_from_the_address_where_one_is_throttled(world: World) -> None:
    attacker = world.client()
    codes = [_attempt(attacker, "steward", f"wrong {i}") for i in range(10)]
    assert codes == [401] * 9 + [429]
    assert _attempt(world.client(), "steward", PASSWORD) == 429  # the attacked account waits
    assert _attempt(world.client(), "auditor", PASSWORD) == 303  # the colleague next to them does not


def _with_console(settings: Settings, **change: object) -> Settings:
    return settings.model_copy(update={"console": settings.console.model_copy(update=change)})


def test_a_hot_address_only_refuses_names_that_failed_from_it(world: World) -> None:
    """Behind one proxy address: a sprayer trying many names makes the address hot (2 x 10 failures);
    names that failed from it wait, a name that did not (a colleague's right password) goes through."""
    settings = _with_console(world.settings, login_attempts_per_minute=2)
    client = TestClient(create_app(settings, world.database), follow_redirects=False)
    for i in range(20):
        assert _attempt(client, f"guess{i}", "wrong password") == 401
    assert _attempt(client, "guess0", "wrong password") == 429  # failed here before: refused unchecked
    assert _attempt(client, "nobody-yet", "wrong password") == 401  # checked, then refused next time
    assert _attempt(client, "nobody-yet", "wrong password") == 429
    assert _attempt(client, "steward", PASSWORD) == 303


@pytest.mark.parametrize(
    ("failures", "attempt", "refused"),
    [
        # (address, account) failures recorded; then an attempt; is it refused unchecked?
        ([("a", "siti")] * 3, ("a", "siti"), True),  # the account reached its limit
        ([("a", "siti")] * 3, ("b", "siti"), True),  # ... from every address
        ([("a", "siti")] * 3, ("a", "budi"), False),  # another account from the same address: never
        ([("a", "Siti")] * 3, ("a", "SITI"), True),  # names are counted case-insensitively
        ([("a", f"u{i}") for i in range(30)], ("a", "budi"), False),  # hot address, fresh name
        ([("a", f"u{i}") for i in range(30)], ("a", "u7"), True),  # hot address, name failed there
        ([("a", f"u{i}") for i in range(30)], ("b", "u7"), False),  # ... but not from elsewhere
        ([("a", f"u{i}") for i in range(29)], ("a", "u7"), False),  # not yet hot: u7 has 1 of 3
    ],
)
def test_throttle_blocks_the_account_and_slows_only_failing_names_at_a_hot_address(
    failures: list[tuple[str, str]], attempt: tuple[str, str], refused: bool
) -> None:
    throttle = LoginThrottle(3, clock=lambda: 100.0)
    for address, account in failures:
        throttle.fail(address=address, account=account)
    assert throttle.refused(address=attempt[0], account=attempt[1]) is refused


def test_throttle_forgets_after_the_window_and_a_success_clears_only_its_own_account() -> None:
    now = [0.0]
    throttle = LoginThrottle(2, window_seconds=60, clock=lambda: now[0])
    assert throttle.fail(address="a", account="siti") is False
    assert throttle.fail(address="a", account="siti") is True  # limit reached: lock the account
    assert throttle.refused(address="a", account="siti")
    now[0] = 61.0
    assert not throttle.refused(address="a", account="siti")
    for name in ("siti", "siti", "budi"):
        throttle.fail(address="a", account=name)
    throttle.succeed(address="a", account="budi")
    assert throttle.refused(address="a", account="siti") and not throttle.refused(address="a", account="budi")


# --- client addresses through trusted proxies -------------------------------------------------------


def _request(peer: str, forwarded: list[str], trusted: list[str]) -> Request:
    settings = SimpleNamespace(console=SimpleNamespace(trusted_proxies=trusted))
    app = SimpleNamespace(state=SimpleNamespace(console=SimpleNamespace(settings=settings)))
    headers = [(b"x-forwarded-for", v.encode()) for v in forwarded]
    return Request({"type": "http", "headers": headers, "client": (peer, 4000), "app": app})


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        # no trusted proxies: the header is anyone's to write, so it is ignored
        ("198.51.100.9", ["203.0.113.7"], [], "198.51.100.9"),
        # a peer that is not a trusted proxy: ignored too
        ("198.51.100.9", ["203.0.113.7"], ["10.0.0.0/8"], "198.51.100.9"),
        # the trusted proxy's word is taken
        ("10.0.0.2", ["203.0.113.7"], ["10.0.0.0/8"], "203.0.113.7"),
        # what the client wrote itself (left of what the proxy appended) is not
        ("10.0.0.2", ["1.2.3.4, 203.0.113.7"], ["10.0.0.0/8"], "203.0.113.7"),
        # two trusted proxies in a row are both skipped; repeated headers read as one list
        ("10.0.0.2", ["1.2.3.4", "203.0.113.7, 10.0.0.3"], ["10.0.0.0/8"], "203.0.113.7"),
        # garbage stops the walk at the proxy that passed it on
        ("10.0.0.2", ["not-an-ip"], ["10.0.0.2"], "10.0.0.2"),
        # a trusted peer without the header is the client itself
        ("10.0.0.2", [], ["10.0.0.2"], "10.0.0.2"),
        # IPv6 clients and proxies, and an IPv4 proxy seen as IPv4-mapped IPv6
        ("::1", ["2001:db8::5"], ["::1"], "2001:db8::5"),
        ("::ffff:10.0.0.2", ["203.0.113.7"], ["10.0.0.0/8"], "203.0.113.7"),
    ],
)
def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    peer: str, forwarded: list[str], trusted: list[str], expected: str
) -> None:
    assert web.client_address(_request(peer, forwarded, trusted)) == expected


def _audited_addresses(world: World) -> list[str | None]:
    return [e.client_address for e in _actions(world) if e.action == "auth.login_failed"]


def test_the_console_ignores_forwarded_for_from_an_untrusted_peer(world: World) -> None:
    client = TestClient(
        create_app(world.settings, world.database), follow_redirects=False, client=("198.51.100.9", 4000)
    )
    assert _attempt(client, "steward", "wrong", **{"X-Forwarded-For": "203.0.113.7"}) == 401
    assert _audited_addresses(world) == ["198.51.100.9"]


def test_the_console_honours_forwarded_for_from_a_trusted_proxy(world: World) -> None:
    settings = _with_console(world.settings, trusted_proxies=["10.0.0.0/8"], login_attempts_per_minute=2)
    proxy = TestClient(
        create_app(settings, world.database), follow_redirects=False, client=("10.0.0.2", 4000)
    )
    # a sprayer behind the proxy makes its address hot; users behind the same proxy are unaffected
    for i in range(20):
        assert _attempt(proxy, f"guess{i}", "wrong", **{"X-Forwarded-For": "203.0.113.7"}) == 401
    assert _attempt(proxy, "guess0", "wrong", **{"X-Forwarded-For": "203.0.113.7"}) == 429
    assert _attempt(proxy, "guess0", "wrong", **{"X-Forwarded-For": "203.0.113.8"}) == 401
    assert set(_audited_addresses(world)) == {"203.0.113.7", "203.0.113.8"}
    response = proxy.post(
        "/login",
        data={"username": "steward", "password": PASSWORD, "csrf_token": csrf_of(proxy)},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 303
    with world.database.session() as session:
        assert session.scalars(select(ConsoleSession.client_address)).one() == "203.0.113.9"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (
            ["127.0.0.1", "10.0.0.0/24", "::1", "fd00::/8"],
            ["127.0.0.1/32", "10.0.0.0/24", "::1/128", "fd00::/8"],
        ),
        (["proxy.example"], None),  # a host name: refused, it could resolve to anything
        (["10.0.0.1/24"], None),  # host bits set: a typo, refused rather than guessed
    ],
)
def test_trusted_proxies_must_be_addresses_or_networks(
    tmp_path: Path, value: list[str], accepted: list[str] | None
) -> None:
    data = yaml.safe_load((Path(__file__).parents[2] / "sbt.yaml").read_text(encoding="utf-8"))
    data["console"]["trusted_proxies"] = value
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    if accepted is None:
        with pytest.raises(ConfigError, match=r"console\.trusted_proxies"):
            load_settings(path, env={})
        return
    assert load_settings(path, env={}).console.trusted_proxies == accepted
