"""SIASN's two tokens, shared by the SIASN and I'DIS simulators (one BKN gateway, one SSO realm).

- Gateway (WSO2): ``POST /oauth2/token``, ``grant_type=client_credentials`` with HTTP Basic
  ``consumer_key:consumer_secret``; the token goes in ``Authorization: Bearer ...`` (about 1 h).
- SSO (Keycloak realm ``public-siasn``): ``POST /auth/realms/public-siasn/protocol/openid-connect/token``,
  ``grant_type=password`` with ``client_id``, ``username``, ``password``; the token goes in
  ``Auth: bearer ...`` (about 12 h).

The realm is also an OpenID Connect provider for console logins (:mod:`.siasn_oidc`).

Every API call needs both; a missing or bad gateway token gets WSO2's 401 envelope, a missing or bad
SSO token the SIASN backend's ``{"code": 0, "data": ...}`` envelope.
"""

from __future__ import annotations

from sbt_sync.sandbox.http.auth import TokenIssuer, basic_credentials, bearer_token, same_secret
from sbt_sync.sandbox.http.base import Simulator
from sbt_sync.sandbox.http.credentials import SandboxCredentials
from sbt_sync.sandbox.http.messages import HttpError, Request, Response
from sbt_sync.sandbox.http.siasn_oidc import OidcProvider

GATEWAY_TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a URL path
SSO_TOKEN_PATH = "/auth/realms/public-siasn/protocol/openid-connect/token"  # noqa: S105 - a URL path
GATEWAY_LIFETIME_SECONDS = 3600
SSO_LIFETIME_SECONDS = 12 * 3600


def _oauth_error(status: int, error: str, description: str) -> Response:
    return Response(status, {"error": error, "error_description": description})


class TwoTokenAuth:
    """Token endpoints and the per-call check; one instance is shared by SIASN and I'DIS."""

    def __init__(self, credentials: SandboxCredentials) -> None:
        self.credentials = credentials
        self.gateway = TokenIssuer(kind="gateway", lifetime_seconds=GATEWAY_LIFETIME_SECONDS)
        self.sso = TokenIssuer(kind="sso", lifetime_seconds=SSO_LIFETIME_SECONDS)
        self.oidc = OidcProvider(credentials)

    def install(self, simulator: Simulator) -> None:
        """Add both token endpoints to ``simulator`` (its fault switches govern their TTL)."""
        simulator.route("POST", GATEWAY_TOKEN_PATH, lambda r: self._gateway_token(simulator, r))
        simulator.route("POST", SSO_TOKEN_PATH, lambda r: self._sso_token(simulator, r))
        self.oidc.install(simulator)

    def require(self, simulator: Simulator, request: Request) -> None:
        """Raise :class:`HttpError` (401) unless ``request`` carries both valid tokens."""
        ttl = _ttl_override(simulator)
        authorization = request.header("Authorization")
        if authorization is None:
            raise HttpError(
                Response(
                    401,
                    {
                        "code": "900902",
                        "message": "Missing Credentials",
                        "description": "Make sure your API invocation call has a header: "
                        '"Authorization: Bearer ACCESS_TOKEN"',
                    },
                    {"WWW-Authenticate": 'Bearer realm="siasn"'},
                )
            )
        if not self.gateway.is_valid(bearer_token(authorization), ttl):
            raise HttpError(
                Response(
                    401,
                    {
                        "code": "900901",
                        "message": "Invalid Credentials",
                        "description": "Access token in the Authorization header is invalid or expired",
                    },
                    {"WWW-Authenticate": 'Bearer realm="siasn", error="invalid_token"'},
                )
            )
        sso = request.header("Auth")
        if sso is None:
            raise HttpError(Response(401, {"code": 0, "data": "Header Auth (bearer SSO token) wajib diisi"}))
        if not self.sso.is_valid(bearer_token(sso), ttl):
            raise HttpError(Response(401, {"code": 0, "data": "Token SSO pada header Auth tidak valid"}))

    def _gateway_token(self, simulator: Simulator, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "use grant_type=client_credentials")
        given = basic_credentials(request.header("Authorization"))
        expected = (self.credentials.siasn_consumer_key, self.credentials.siasn_consumer_secret)
        if given is None or not (same_secret(given[0], expected[0]) and same_secret(given[1], expected[1])):
            return _oauth_error(401, "invalid_client", "Client Authentication failed.")
        token, lifetime = self.gateway.issue(_ttl_override(simulator))
        return Response(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": "default"}
        )

    def _sso_token(self, simulator: Simulator, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") == "authorization_code":  # a console login through SSO (OIDC)
            token, lifetime = self.sso.issue(_ttl_override(simulator))
            return self.oidc.exchange(simulator, form, token, lifetime)
        if form.get("grant_type") != "password":
            return _oauth_error(
                400, "unsupported_grant_type", "use grant_type=password or authorization_code"
            )
        creds = self.credentials
        if not same_secret(form.get("client_id"), creds.siasn_sso_client_id):
            return _oauth_error(401, "invalid_client", "Invalid client or Invalid client credentials")
        if not (
            same_secret(form.get("username"), creds.siasn_username)
            and same_secret(form.get("password"), creds.siasn_password)
        ):
            return _oauth_error(401, "invalid_grant", "Invalid user credentials")
        token, lifetime = self.sso.issue(_ttl_override(simulator))
        return Response(
            200,
            {
                "access_token": token,
                "expires_in": lifetime,
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "not-before-policy": 0,
                "scope": "profile email",
            },
        )


def _ttl_override(simulator: Simulator) -> int | None:
    return simulator.faults.get(simulator.endpoint).token_ttl_seconds if simulator.endpoint else None
