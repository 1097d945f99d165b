"""A configured API key no request can carry (a line break pasted along with it, an edge space).

``requests`` raised ``InvalidHeader`` with the header's value in its message, so the key itself went
into the error, the exceptions chained to it, the run ledger and the logs. Such a key is refused before
any request, by an error naming the source and the setting, and the key is nowhere: not in the error or
its chain, not in a log line, not in a stored row.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from connectors.errors import HttpError
from connectors.http.client import HttpClient, HttpSettings
from sbt_sync import runs
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, SyncRun
from sbt_sync.errors import ConfigError
from sbt_sync.ingest.connections import http_source
from sbt_sync.ingest.pull import pull_http
from sbt_sync.settings import load_settings
from schemas.feeds import FEEDS
from tests.conftest import REPO_ROOT
from tests.ingest.test_hostile_http import FAST, SERVER_TIME, Answer, Handler, Loopback, record, serve

__all__ = ["serve"]  # the loopback fixture, shared with test_hostile_http

SECRET = "k3y-S3cr3t-6f1d2e"
KEYS = {
    "CRLF and a forged header": f"{SECRET}\r\nX-Forged: 1",
    "a trailing line break": f"{SECRET}\n",
    "a leading space": f" {SECRET}",
    "a leading tab": f"\t{SECRET}",
}


def one_page(h: Handler, q: dict[str, str]) -> None:
    h.send_json({"items": [record(1)], "page": {"total_pages": 1}, "server_time": SERVER_TIME})


def whole_text(error: BaseException) -> str:
    """The error as a log handler or Dagster prints it: message, traceback and every chained one."""
    seen: list[str] = []
    current: BaseException | None = error
    while current is not None:
        seen.append(repr(current))
        current = current.__cause__ or current.__context__
    return "".join(traceback.format_exception(error)) + "\n".join(seen)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_an_api_key_no_request_can_carry_is_refused_naming_source_and_setting_and_shown_nowhere(
    key: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    serve: Callable[[Answer], Loopback],
    migrated_database: Database,
) -> None:
    server = serve(one_page)
    document = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    bawaslu = document["sources"]["bawaslu"]
    bawaslu.update(base_url=server.url.rsplit("/", 1)[0], path="/list", ca_bundle=None)
    config = tmp_path / "sbt.yaml"
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    secrets = {
        "SBT_BAWASLU_API_KEY": key,
        "SBT_BKN_WASDAL_CLIENT_ID": "c",
        "SBT_BKN_WASDAL_CLIENT_SECRET": "s",
    }
    for name, value in secrets.items():  # the clients read their secrets from the environment
        monkeypatch.setenv(name, value)
    settings = load_settings(config, env=secrets)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ConfigError) as raised:
        client, paginator = http_source(settings, "bawaslu")
        with client:
            pull_http(migrated_database, source="bawaslu", feed=FEEDS["bawaslu"], paginator=paginator)
    # The run fails as a daemon run records it (assets.run_ledger's failure hook).
    runs.record_step(
        migrated_database,
        run_id="r1",
        job="ingest_bawaslu",
        step="raw__bawaslu",
        failed=True,
        error=raised.value,
    )

    message = str(raised.value)
    assert "sources.bawaslu.auth.key_env" in message and "SBT_BAWASLU_API_KEY" in message, message
    assert "X-API-Key" in message and "line break" in message
    assert server.requests == 0  # refused before any request
    assert SECRET not in whole_text(raised.value)
    assert SECRET not in caplog.text
    with migrated_database.session() as session:
        stored = [row.error or "" for row in session.scalars(select(SyncRun))]
        stored += [row.reason for row in session.scalars(select(QuarantinedRow))]
    assert stored and "key_env" in stored[0]
    assert not any(SECRET in text for text in stored)


def test_a_header_value_requests_refuses_is_an_error_without_the_value_and_is_not_retried(
    serve: Callable[[Answer], Loopback], caplog: pytest.LogCaptureFixture
) -> None:
    """Any header, not only a configured key (a token, a trace id): the client's own error, with no
    ``InvalidHeader`` chained to it (its text quotes the value)."""
    server = serve(one_page)
    caplog.set_level(logging.DEBUG)
    with HttpClient(HttpSettings(), retry=FAST) as http, pytest.raises(HttpError) as raised:
        http.request("GET", server.url, headers={"X-Trace": f"{SECRET}\r\nX-Forged: 1"})
    assert "cannot be sent" in str(raised.value) and "InvalidHeader" in str(raised.value)
    assert SECRET not in whole_text(raised.value)
    assert SECRET not in caplog.text
    assert (server.requests, raised.value.attempts) == (0, 1)
