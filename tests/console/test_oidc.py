"""Console login through OpenID Connect against the sandbox's SIASN SSO (a Keycloak-style realm).

The real flow over HTTPS: discovery, the provider's login form, the redirect with a code, the code
exchanged with PKCE, the RS256 ID token verified against the provider's JWKS. The account must exist
and be active; state, code replay and a forged callback are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.sessions import UNKNOWN_USER
from sbt_sync.console.users import add_user, set_active
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import Settings, load_settings
from tests.push.conftest import _registry

pytestmark = pytest.mark.integration


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


@pytest.fixture(scope="module")
def siasn_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The SIASN simulator (its SSO realm is the OIDC provider) on the real clock, over TLS."""
    data = tmp_path_factory.mktemp("sso-sandbox")
    (data / "http").mkdir()
    (data / "sftp").mkdir()
    _registry(data / "registry.csv.gz")
    for source in ("bawaslu", "bkn_wasdal", "idis"):
        (data / "http" / f"{source}.jsonl").write_text("", encoding="utf-8")
    with Sandbox(data, state_dir=data / "state", sftp=False) as box:
        yield box


@pytest.fixture
def sso_settings(project_dir: Path, migrated_database: Database, siasn_sandbox: Sandbox) -> Settings:
    config = yaml.safe_load((project_dir / "sbt.yaml").read_text())
    ends, creds = siasn_sandbox.endpoints, siasn_sandbox.credentials
    config["console"]["oidc"] = {
        "issuer": ends.siasn_sso_token_url.removesuffix("/protocol/openid-connect/token"),
        "client_id": creds.siasn_sso_client_id,
        "ca_bundle": str(ends.ca_bundle),
        "label": "SSO SIASN",
    }
    (project_dir / "sbt.yaml").write_text(yaml.safe_dump(config))
    return load_settings(project_dir / "sbt.yaml", env={"SBT_DATABASE_URL": migrated_database.url})


@pytest.fixture
def console(sso_settings: Settings, migrated_database: Database) -> Iterator[TestClient]:
    yield TestClient(
        create_app(sso_settings, migrated_database), base_url="http://127.0.0.1", follow_redirects=False
    )


def _provider_login(box: Sandbox, authorize_url: str, ca: str, password: str | None = None) -> str:
    """Fill in the provider's login form like a browser; returns the callback URL it redirects to."""
    page = requests.get(authorize_url, verify=ca, timeout=10)
    assert page.status_code == 200 and "Masuk ke SSO SIASN" in page.text
    form = _Form()
    form.feed(page.text)
    form.fields.update(
        username=box.credentials.siasn_username, password=password or box.credentials.siasn_password
    )
    answer = requests.post(
        authorize_url.split("?")[0], data=form.fields, verify=ca, timeout=10, allow_redirects=False
    )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def _callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_an_sso_user_with_a_console_account_logs_in(
    console: TestClient,
    sso_settings: Settings,
    migrated_database: Database,
    siasn_sandbox: Sandbox,
) -> None:
    username = siasn_sandbox.credentials.siasn_username
    add_user(migrated_database, sso_settings, username=username, password=None, role="auditor", actor="test")
    assert "Masuk dengan SSO SIASN" in console.get("/login").text
    begin = console.get("/login/oidc?next=/audit")
    assert begin.status_code == 303, re.findall(r'class="flash error"[^>]*>([^<]*)', begin.text)
    location = begin.headers["location"]
    assert "code_challenge_method=S256" in location and "nonce=" in location
    callback = _provider_login(siasn_sandbox, location, str(siasn_sandbox.endpoints.ca_bundle))
    assert callback.startswith("http://127.0.0.1/login/oidc/callback?code=")
    done = console.get(_callback_path(callback))
    assert done.status_code == 303 and done.headers["location"] == "/audit"
    page = console.get("/audit")
    assert page.status_code == 200 and "auth.login" in page.text
    with migrated_database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login")).one()
    assert entry.actor_name == username and entry.reason == "sso"
    # the code was single use: replaying the callback opens nothing
    replay = TestClient(console.app, base_url="http://127.0.0.1", follow_redirects=False)
    assert replay.get(_callback_path(callback)).status_code == 401


def test_sso_refuses_unknown_or_disabled_accounts_and_forged_callbacks(
    console: TestClient,
    sso_settings: Settings,
    migrated_database: Database,
    siasn_sandbox: Sandbox,
) -> None:
    ca = str(siasn_sandbox.endpoints.ca_bundle)
    location = console.get("/login/oidc").headers["location"]
    refused = console.get(_callback_path(_provider_login(siasn_sandbox, location, ca)))
    assert refused.status_code == 403 and "belum terdaftar" in refused.text
    assert console.get("/").status_code == 303  # no session
    username = siasn_sandbox.credentials.siasn_username
    # SIASN's SSO names people by NIP: a name with no console account never reaches the append-only
    # log in clear (as a login form's unknown name does not), only a keyed hash that stays recognisable
    with migrated_database.session() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.sso_refused")).all()
        texts = [str(v) for v in (entry.actor_name, entry.reason, entry.before, entry.after, entry.object_id)]
    assert not any(username in text for text in texts), texts
    assert entry.actor_name == UNKNOWN_USER and "hmac:" in (entry.reason or "")
    add_user(migrated_database, sso_settings, username=username, password=None, role="steward", actor="test")
    set_active(migrated_database, username, active=False, actor="test")
    location = console.get("/login/oidc").headers["location"]
    assert console.get(_callback_path(_provider_login(siasn_sandbox, location, ca))).status_code == 403
    set_active(migrated_database, username, active=True, actor="test")
    # a callback whose state was never issued to this browser
    location = console.get("/login/oidc").headers["location"]
    callback = _provider_login(siasn_sandbox, location, ca)
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    assert console.get(_callback_path(forged)).status_code == 401
    # a wrong password at the provider never reaches the console
    page = requests.get(console.get("/login/oidc").headers["location"], verify=ca, timeout=10)
    form = _Form()
    form.feed(page.text)
    form.fields.update(username=username, password="wrong")
    answer = requests.post(
        page.url.split("?")[0], data=form.fields, verify=ca, timeout=10, allow_redirects=False
    )
    assert answer.status_code == 200 and "Invalid username or password" in answer.text


def test_without_oidc_configured_the_sso_routes_are_absent(
    project_dir: Path, migrated_database: Database
) -> None:
    settings = load_settings(project_dir / "sbt.yaml", env={"SBT_DATABASE_URL": migrated_database.url})
    client = TestClient(create_app(settings, migrated_database), follow_redirects=False)
    assert client.get("/login/oidc").status_code == 404
    assert "SSO" not in client.get("/login").text
