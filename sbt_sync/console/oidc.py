"""Console login through OpenID Connect (optional; ``console.oidc`` in sbt.yaml).

The authorization-code flow with PKCE (S256), ``state`` and ``nonce`` kept in the signed session. The
ID token is checked as OIDC Core 3.1.3.7 asks: RS256 signature against the provider's JWKS, issuer,
audience, expiry and nonce. The user it names must already have an active console account: SSO proves
who someone is, the account (and its role) says what they may do.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sbt_sync.errors import SbtError
from sbt_sync.settings import OidcSettings, Settings

TIMEOUT = (5.0, 15.0)
CLOCK_SKEW_SECONDS = 60


class OidcError(SbtError):
    """The SSO login cannot be completed (a refused or forged answer, an unreachable provider)."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcClient:
    def __init__(self, config: OidcSettings, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self._session = requests.Session()
        # Passed on every call: a Session's own ``verify`` loses to REQUESTS_CA_BUNDLE in the environment.
        self._verify: str | bool = str(settings.resolve_path(config.ca_bundle)) if config.ca_bundle else True
        self._discovery: dict[str, Any] | None = None
        self._keys: dict[str, rsa.RSAPublicKey] = {}

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = self._session.get(url, timeout=TIMEOUT, verify=self._verify)
            response.raise_for_status()
            body: dict[str, Any] = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise OidcError(f"the SSO provider did not answer {url}: {exc.__class__.__name__}") from exc
        return body

    def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            found = self._get(self.config.issuer.rstrip("/") + "/.well-known/openid-configuration")
            if found.get("issuer") != self.config.issuer.rstrip("/"):
                raise OidcError("the SSO provider's discovery names another issuer")
            self._discovery = found
        return self._discovery

    def authorization_url(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """Where to send the browser, and what the session must remember until the callback."""
        pending = {
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48),
            "redirect_uri": redirect_uri,
        }
        challenge = _b64encode(hashlib.sha256(pending["verifier"].encode()).digest())
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "scope": "openid profile",
                "state": pending["state"],
                "nonce": pending["nonce"],
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.discovery()['authorization_endpoint']}?{query}", pending

    def finish(self, *, code: str, state: str, pending: dict[str, str] | None) -> str:
        """Exchange the code and return the username the verified ID token names."""
        if not pending or not secrets.compare_digest(state, pending.get("state", "")):
            raise OidcError("the SSO answer does not belong to this login (state mismatch)")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending["redirect_uri"],
            "client_id": self.config.client_id,
            "code_verifier": pending["verifier"],
        }
        if self.config.client_secret_env:
            form["client_secret"] = self.settings.secret(self.config.client_secret_env)
        try:
            response = self._session.post(
                self.discovery()["token_endpoint"], data=form, timeout=TIMEOUT, verify=self._verify
            )
        except requests.RequestException as exc:
            raise OidcError(f"the SSO token endpoint did not answer: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise OidcError(f"the SSO provider refused the code (HTTP {response.status_code})")
        id_token = response.json().get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the SSO provider sent no ID token")
        claims = self.verify(id_token, nonce=pending["nonce"])
        username = claims.get(self.config.username_claim)
        if not isinstance(username, str) or not username:
            raise OidcError(f"the ID token has no {self.config.username_claim}")
        return username

    def verify(self, token: str, *, nonce: str) -> dict[str, Any]:
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = json.loads(_b64decode(header_b64))
            claims: dict[str, Any] = json.loads(_b64decode(payload_b64))
        except ValueError as exc:
            raise OidcError("the ID token is not a JWT") from exc
        if header.get("alg") != "RS256":
            raise OidcError(f"ID token algorithm {header.get('alg')!r} is not accepted (RS256 only)")
        key = self._key(str(header.get("kid", "")))
        try:
            key.verify(
                _b64decode(signature_b64),
                f"{header_b64}.{payload_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature as exc:
            raise OidcError("the ID token's signature is not valid") from exc
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        now = time.time()
        if claims.get("iss") != self.discovery()["issuer"]:
            raise OidcError("the ID token was issued by someone else")
        if self.config.client_id not in audiences:
            raise OidcError("the ID token is not meant for this console")
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] < now - CLOCK_SKEW_SECONDS:
            raise OidcError("the ID token has expired")
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OidcError("the ID token's nonce does not match this login")
        return claims

    def _key(self, kid: str) -> rsa.RSAPublicKey:
        if kid not in self._keys:  # a key rotation: fetch the set again
            for jwk in self._get(self.discovery()["jwks_uri"]).get("keys", []):
                if jwk.get("kty") == "RSA":
                    numbers = rsa.RSAPublicNumbers(
                        int.from_bytes(_b64decode(jwk["e"]), "big"),
                        int.from_bytes(_b64decode(jwk["n"]), "big"),
                    )
                    self._keys[str(jwk.get("kid", ""))] = numbers.public_key()
        if kid not in self._keys:
            raise OidcError("the ID token is signed with a key the provider does not publish")
        return self._keys[kid]
