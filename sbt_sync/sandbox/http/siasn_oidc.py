"""SIASN's SSO as an OpenID Connect provider (Keycloak realm ``public-siasn``), for console logins.

The authorization-code flow with PKCE (S256) for the public client ``siasn_sso_client_id``:

- ``GET {realm}/.well-known/openid-configuration`` and ``GET {realm}/protocol/openid-connect/certs``
  (the RSA key that signs ID tokens, as a JWKS);
- ``GET {realm}/protocol/openid-connect/auth`` shows a login form; posting the operator's username and
  password redirects to ``redirect_uri`` with ``code`` and ``state``;
- the realm's token endpoint (shared with the password grant, :mod:`.siasn_auth`) exchanges the code
  (single use, 60 s, bound to the redirect URI and the PKCE verifier) for tokens and an RS256 ID token
  carrying ``nonce`` and ``preferred_username``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sbt_sync.sandbox.http.auth import same_secret
from sbt_sync.sandbox.http.base import Simulator
from sbt_sync.sandbox.http.credentials import SandboxCredentials
from sbt_sync.sandbox.http.messages import Request, Response

REALM = "/auth/realms/public-siasn"
KEY_ID = "sandbox-rs256"
CODE_LIFETIME_SECONDS = 60
ID_TOKEN_LIFETIME_SECONDS = 300


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str
    username: str
    expires: float


class OidcProvider:
    def __init__(self, credentials: SandboxCredentials) -> None:
        self.credentials = credentials
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._codes: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def install(self, simulator: Simulator) -> None:
        simulator.route(
            "GET", REALM + "/.well-known/openid-configuration", lambda r: self._discovery(simulator)
        )
        simulator.route("GET", REALM + "/protocol/openid-connect/certs", lambda r: self._jwks())
        simulator.route("GET", REALM + "/protocol/openid-connect/auth", self._login_form)
        simulator.route("POST", REALM + "/protocol/openid-connect/auth", self._login)

    def _discovery(self, simulator: Simulator) -> Response:
        issuer = simulator.base_url + REALM
        return Response(
            200,
            {
                "issuer": issuer,
                "authorization_endpoint": issuer + "/protocol/openid-connect/auth",
                "token_endpoint": issuer + "/protocol/openid-connect/token",
                "jwks_uri": issuer + "/protocol/openid-connect/certs",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "profile"],
            },
        )

    def _jwks(self) -> Response:
        numbers = self._key.public_key().public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        key = {"kty": "RSA", "kid": KEY_ID, "use": "sig", "alg": "RS256", "n": b64url(n), "e": b64url(e)}
        return Response(200, {"keys": [key]})

    def _params_error(self, params: dict[str, str]) -> str | None:
        if params.get("response_type") != "code":
            return "response_type must be code"
        if not same_secret(params.get("client_id"), self.credentials.siasn_sso_client_id):
            return "unknown client_id"
        if not params.get("redirect_uri", "").startswith(
            ("http://127.0.0.1", "http://localhost", "https://")
        ):
            return "redirect_uri is not allowed"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE with code_challenge_method=S256 is required"
        return None

    def _page(self, params: dict[str, str], error: str | None = None, status: int = 200) -> Response:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k not in ("username", "password")
        )
        message = f'<p class="error">{html.escape(error)}</p>' if error else ""
        page = (
            "<!doctype html><html lang='id'><head><meta charset='utf-8'><title>SSO SIASN</title></head><body>"
            f"<h1>Masuk ke SSO SIASN</h1>{message}<form method='post'>{hidden}"
            "<label>Username <input name='username' autocomplete='username'></label>"
            "<label>Password <input name='password' type='password'></label>"
            "<button type='submit'>Masuk</button></form></body></html>"
        )
        return Response(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _login_form(self, request: Request) -> Response:
        error = self._params_error(request.query)
        return self._page(request.query, error, 400) if error else self._page(request.query)

    def _login(self, request: Request) -> Response:
        params = request.form()
        error = self._params_error(params)
        if error:
            return self._page(params, error, 400)
        creds = self.credentials
        if not (
            same_secret(params.get("username"), creds.siasn_username)
            and same_secret(params.get("password"), creds.siasn_password)
        ):
            return self._page(params, "Invalid username or password.", 200)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                nonce=params.get("nonce"),
                challenge=params["code_challenge"],
                username=params["username"],
                expires=time.monotonic() + CODE_LIFETIME_SECONDS,
            )
        query = urlencode({"code": code, "state": params.get("state", "")})
        separator = "&" if "?" in params["redirect_uri"] else "?"
        return Response(302, None, {"Location": params["redirect_uri"] + separator + query})

    def exchange(
        self, simulator: Simulator, form: dict[str, str], access_token: str, lifetime: int
    ) -> Response:
        """The token endpoint's answer to ``grant_type=authorization_code``."""
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # single use, even when refused
        verifier = form.get("code_verifier", "")
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        if (
            grant is None
            or grant.expires < time.monotonic()
            or grant.redirect_uri != form.get("redirect_uri")
            or not same_secret(form.get("client_id"), grant.client_id)
            or not same_secret(challenge, grant.challenge)
        ):
            return Response(400, {"error": "invalid_grant", "error_description": "Code not valid"})
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": simulator.base_url + REALM,
            "sub": hashlib.sha256(grant.username.encode()).hexdigest()[:32],
            "aud": grant.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_LIFETIME_SECONDS,
            "preferred_username": grant.username,
            "name": "Operator SIASN",
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return Response(
            200,
            {
                "access_token": access_token,
                "expires_in": lifetime,
                "token_type": "Bearer",
                "id_token": self._sign(claims),
                "scope": "openid profile",
            },
        )

    def _sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": KEY_ID}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"
