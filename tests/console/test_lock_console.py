"""Console and CLI writes beside a long write transaction (an enforcement run holding SQLite's write
lock past the busy timeout): a login and a steward's decision wait for it and go through; a request
that would wait longer than the console waits answers, in words, that the database is busy and to try
again (never a 500), and changes nothing; a CLI decision waits for it too."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from sbt_sync.cli import app as cli_app
from sbt_sync.console.app import create_app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import StewardDecision
from sbt_sync.settings import Settings
from tests.console.conftest import PASSWORD, World, csrf_of
from tests.support.write_lock import long_write_transaction, short_busy_timeout

pytestmark = pytest.mark.integration

HOLD = 3.0


def _decisions(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(StewardDecision)) or 0


def _console(settings: Settings, database: Database) -> TestClient:
    return TestClient(create_app(settings, database), follow_redirects=False)


def _waiting_at_most(settings: Settings, seconds: float) -> Settings:
    return settings.model_copy(
        update={"console": settings.console.model_copy(update={"write_wait_seconds": seconds})}
    )


def _login(client: TestClient) -> None:
    form = {"username": "steward", "password": PASSWORD, "csrf_token": csrf_of(client), "next": "/"}
    response = client.post("/login", data=form)
    assert response.status_code == 303, response.text


def test_a_login_and_a_decision_beside_a_long_write_transaction_wait_for_it_and_go_through(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    short_busy_timeout(monkeypatch)
    database = Database(world.database.url)
    try:
        client = _console(world.settings, database)
        token = csrf_of(client)
        with long_write_transaction(world.database, HOLD) as hold:
            form = {"username": "steward", "password": PASSWORD, "csrf_token": token, "next": "/"}
            logged_in = client.post("/login", data=form)
            assert logged_in.status_code == 303, logged_in.text
            form = {"value": "H1", "reason": "sesuai SK PPK", "csrf_token": csrf_of(client, "/conflicts")}
            decided = client.post(f"/conflicts/{world.ids['conflict_a']}/resolve", data=form)
            finished = time.monotonic()
    finally:
        database.dispose()

    assert decided.status_code == 303, decided.text
    assert decided.headers["location"] == "/conflicts"
    assert hold.released_at is not None and finished >= hold.released_at
    assert _decisions(world.database) == 1


@pytest.mark.parametrize(
    ("lang", "words"),
    [("id", "Basis data sedang sibuk"), ("en", "The database is busy")],
)
def test_a_console_request_that_would_wait_too_long_says_the_database_is_busy_and_changes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, lang: str, words: str
) -> None:
    if world.database.dialect != "sqlite":
        pytest.skip("SQLite's write lock (PostgreSQL's advisory locks: test_lock_console_postgres.py)")
    short_busy_timeout(monkeypatch)
    database = Database(world.database.url)
    try:
        client = _console(_waiting_at_most(world.settings, 0.5), database)
        client.cookies.set("sbt_lang", lang)
        _login(client)
        form = {"value": "H1", "reason": "sesuai SK PPK", "csrf_token": csrf_of(client, "/conflicts")}
        with long_write_transaction(world.database, HOLD):
            started = time.monotonic()
            busy = client.post(f"/conflicts/{world.ids['conflict_a']}/resolve", data=form)
            waited = time.monotonic() - started
            assert _decisions(world.database) == 0
        again = client.post(f"/conflicts/{world.ids['conflict_a']}/resolve", data=form)
    finally:
        database.dispose()

    assert busy.status_code == 503, busy.text
    assert words in busy.text
    assert busy.headers.get("retry-after")
    assert waited < HOLD  # bounded: it did not wait for the holder
    assert again.status_code == 303, again.text  # once the writer is done, the same form goes through
    assert _decisions(world.database) == 1


def test_a_cli_decision_beside_a_long_write_transaction_waits_for_it_and_is_recorded(
    world: World, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SBT_DATABASE_URL", world.database.url)
    config = ["--config", str(project_dir / "sbt.yaml")]
    conflict = str(world.ids["conflict_a"])
    shown = CliRunner().invoke(cli_app, [*config, "conflicts", "show", conflict, "--json"])
    assert shown.exit_code == 0, shown.output
    basis = json.loads(shown.output)["basis_hash"]
    short_busy_timeout(monkeypatch)
    with long_write_transaction(world.database, HOLD) as hold:
        done = CliRunner().invoke(
            cli_app,
            [*config, "conflicts", "resolve", conflict, "--value", "H1", "--reason", "sesuai SK PPK",
             "--basis", basis, "--by", "steward"],
        )  # fmt: skip
        finished = time.monotonic()

    assert done.exit_code == 0, (done.output, done.exception)
    assert hold.released_at is not None and finished >= hold.released_at
    assert _decisions(world.database) == 1
