"""Console login through OpenID Connect (optional; ``console.oidc`` in sbt.yaml).

The authorization-code flow with PKCE (S256), ``state`` and ``nonce`` kept in the signed session. The
ID token is checked as OIDC Core 3.1.3.7 asks, by PyJWT: RS256 signature against the provider's JWKS,
issuer, audience, expiry, not-before and issued-at (a minute of clock skew allowed), the authorized party
when there is one or several audiences, and the nonce. The user it names must already have an active
console account: SSO proves who someone is, the account (and its role) says what they may do.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import jwt
import requests

from sbt_sync.errors import SbtError
from sbt_sync.settings import OidcSettings, Settings

TIMEOUT = (5.0, 15.0)
CLOCK_SKEW_SECONDS = 60


class OidcError(SbtError):
    """The SSO login cannot be completed (a refused or forged answer, an unreachable provider)."""


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
        self._keys: dict[str, jwt.PyJWK] = {}

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
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise OidcError("the ID token is not a JWT") from exc
        if header.get("alg") != "RS256":
            raise OidcError(f"ID token algorithm {header.get('alg')!r} is not accepted (RS256 only)")
        key = self._key(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self.config.client_id,
                issuer=self.discovery()["issuer"],
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError as exc:
            raise OidcError("the ID token's signature is not valid") from exc
        except jwt.ExpiredSignatureError as exc:
            raise OidcError("the ID token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise OidcError("the ID token is not valid yet (nbf or iat in the future)") from exc
        except jwt.InvalidIssuerError as exc:
            raise OidcError("the ID token was issued by someone else") from exc
        except jwt.InvalidAudienceError as exc:
            raise OidcError("the ID token is not meant for this console") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise OidcError(f"the ID token has no {exc.claim} claim") from exc
        except jwt.PyJWTError as exc:
            raise OidcError(f"the ID token is not valid ({exc.__class__.__name__})") from exc
        audience = claims["aud"]
        audiences = audience if isinstance(audience, list) else [audience]
        authorized = claims.get("azp")
        if (authorized is not None or len(audiences) > 1) and authorized != self.config.client_id:
            raise OidcError("the ID token was issued to another client (azp)")
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OidcError("the ID token's nonce does not match this login")
        return claims

    def _key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys:  # a key rotation: fetch the set again
            published = self._get(self.discovery()["jwks_uri"])
            try:
                keys = jwt.PyJWKSet.from_dict(published).keys
            except jwt.PyJWTError as exc:
                raise OidcError("the SSO provider publishes no usable signing key") from exc
            self._keys = {str(k.key_id or ""): k for k in keys if k.key_type == "RSA"}
        if kid not in self._keys:
            raise OidcError("the ID token is signed with a key the provider does not publish")
        return self._keys[kid]
