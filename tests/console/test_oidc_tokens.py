"""The ID token checks, one refusal at a time, against a provider on loopback serving discovery and JWKS.

Tokens are signed here with keys made for the test (PyJWT); the provider is a real HTTP server. The
full browser flow against the sandbox's SSO realm is in test_oidc.py.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sbt_sync.console.oidc import OidcClient, OidcError
from sbt_sync.settings import OidcSettings, load_settings

CLIENT = "sbt-console"
NONCE = "n-0S6_WzA2Mj"


def _private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING, OTHER = _private_key(), _private_key()


class Provider:
    """Discovery and a JWKS with the signing key (kid ``k1``) on a loopback HTTP server."""

    def __init__(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = provider.documents.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body or {}).encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}/realms/sbt"
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING.public_key()))
        self.documents: dict[str, Any] = {
            "/realms/sbt/.well-known/openid-configuration": {
                "issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/auth",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/certs",
            },
            "/realms/sbt/certs": {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]},
        }
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    served = Provider()
    yield served
    served.close()


@pytest.fixture
def client(provider: Provider, project_dir: Path) -> OidcClient:
    settings = load_settings(project_dir / "sbt.yaml", env={})
    return OidcClient(OidcSettings(issuer=provider.issuer, client_id=CLIENT), settings)


def _token(provider: Provider, *, key: rsa.RSAPrivateKey = SIGNING, kid: str = "k1", **changes: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": provider.issuer,
        "sub": "f3a9",
        "aud": CLIENT,
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
        "preferred_username": "siti.steward",
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_a_valid_token_gives_its_claims(client: OidcClient, provider: Provider) -> None:
    claims = client.verify(_token(provider), nonce=NONCE)
    assert claims["preferred_username"] == "siti.steward"
    # a second audience is accepted when the token says it was issued to this client
    both = _token(provider, aud=[CLIENT, "account"], azp=CLIENT)
    assert client.verify(both, nonce=NONCE)["azp"] == CLIENT


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"exp": int(time.time()) - 3600}, "has expired"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
        ({"iat": int(time.time()) + 3600}, "not valid yet"),
        ({"iss": "http://127.0.0.1:1/realms/evil"}, "issued by someone else"),
        ({"aud": "another-app"}, "not meant for this console"),
        ({"aud": [CLIENT, "another-app"]}, "issued to another client (azp)"),
        ({"azp": "another-app"}, "issued to another client (azp)"),
        ({"nonce": "replayed"}, "nonce does not match"),
        ({"exp": None}, "has no exp claim"),
        ({"iat": None}, "has no iat claim"),
        ({"sub": None}, "has no sub claim"),
    ],
    ids=[
        "expired",
        "nbf-future",
        "iat-future",
        "issuer",
        "audience",
        "two-audiences-no-azp",
        "azp",
        "nonce",
        "no-exp",
        "no-iat",
        "no-sub",
    ],
)
def test_a_token_failing_a_check_is_refused_saying_which(
    client: OidcClient, provider: Provider, changes: dict[str, Any], refusal: str
) -> None:
    with pytest.raises(OidcError, match=re.escape(refusal)):
        client.verify(_token(provider, **changes), nonce=NONCE)


def test_forged_unsigned_or_unknown_key_tokens_are_refused(client: OidcClient, provider: Provider) -> None:
    with pytest.raises(OidcError, match="signature is not valid"):
        client.verify(_token(provider, key=OTHER), nonce=NONCE)
    with pytest.raises(OidcError, match="key the provider does not publish"):
        client.verify(_token(provider, key=OTHER, kid="k2"), nonce=NONCE)
    unsigned = jwt.encode({"iss": provider.issuer, "aud": CLIENT, "nonce": NONCE}, "", algorithm="none")
    with pytest.raises(OidcError, match="'none' is not accepted"):
        client.verify(unsigned, nonce=NONCE)
    hmac = jwt.encode({"iss": provider.issuer, "aud": CLIENT}, "x" * 32, algorithm="HS256")
    with pytest.raises(OidcError, match="'HS256' is not accepted"):
        client.verify(hmac, nonce=NONCE)
    with pytest.raises(OidcError, match="not a JWT"):
        client.verify("not.a-token", nonce=NONCE)
