"""Auth strategies for the HTTP client: API key, OAuth2 client credentials, and SIASN's two tokens.

A strategy gives the headers for each request (fetching tokens lazily through the same retrying
client) and, after a 401, may drop its tokens so the client resends once with fresh ones. Secrets and
tokens never reach a log: every credential class hides them from ``repr``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from connectors.errors import ConnectorError, HttpStatusError
from connectors.http.headers import header_value_problem
from connectors.http.tokens import TokenCache, basic_header, refused, token_from

if TYPE_CHECKING:
    from connectors.http.classify import HttpResponse

Clock = Callable[[], float]


class TokenRequester(Protocol):
    """What a strategy needs to fetch a token: :meth:`connectors.http.client.HttpClient.request` (so
    a token request has the client's timeouts, retries and error classes)."""

    def request(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse: ...


class Auth(Protocol):
    """What :meth:`HttpClient.request` needs from an auth strategy."""

    def headers(self, client: TokenRequester) -> Mapping[str, str]:
        """Headers to send; may fetch tokens through ``client`` (raising its errors)."""
        ...

    def invalidate(self) -> bool:
        """Forget tokens after a 401; True if a resend with fresh ones may succeed."""
        ...


@dataclass(frozen=True, slots=True)
class ApiKeyAuth:
    """A static key in a header (Bawaslu: ``X-API-Key``). A 401 is final: there is nothing to renew."""

    key: str = field(repr=False)
    header: str = "X-API-Key"

    def __post_init__(self) -> None:
        """Raises :class:`ConnectorError` for a key no request can carry, before any is sent (the error
        names the header, never the key)."""
        problem = header_value_problem(self.key)
        if problem is not None:
            raise ConnectorError(f"the API key for the {self.header} header {problem}; it is not sent")

    def headers(self, client: TokenRequester) -> Mapping[str, str]:
        return {self.header: self.key}

    def invalidate(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """An OAuth2 client (RFC 6749 4.4) and where it gets tokens."""

    token_url: str
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    scope: str | None = None


class OAuth2ClientCredentialsAuth:
    """``Authorization: Bearer`` with a token from the client-credentials grant (BKN Wasdal)."""

    def __init__(self, credentials: ClientCredentials, *, clock: Clock = time.monotonic) -> None:
        self._credentials = credentials
        self._token = TokenCache(clock=clock)

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentialsAuth(token_url={self._credentials.token_url!r})"

    def headers(self, client: TokenRequester) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self._token.get(lambda: self._fetch(client))}"}

    def invalidate(self) -> bool:
        self._token.invalidate()
        return True

    def _fetch(self, client: TokenRequester) -> tuple[str, float]:
        creds = self._credentials
        form = {"grant_type": "client_credentials"}
        if creds.scope:
            form["scope"] = creds.scope
        auth = basic_header(creds.client_id, creds.client_secret, form_encode=True)
        try:
            response = client.request("POST", creds.token_url, data=form, headers={"Authorization": auth})
        except HttpStatusError as exc:
            raise refused(exc, "OAuth2") from exc
        return token_from(response, creds.token_url)


@dataclass(frozen=True, slots=True)
class SiasnCredentials:
    """SIASN's two identities: the WSO2 gateway consumer and the SSO (Keycloak) operator account."""

    gateway_token_url: str
    sso_token_url: str
    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    username: str = field(repr=False)
    password: str = field(repr=False)
    sso_client_id: str = "sbt-sync"
    """Keycloak client of the password grant (real SIASN deployments are issued their own)."""


class SiasnTokenAuth:
    """Both SIASN tokens on every call: ``Authorization: Bearer <gateway>`` and ``Auth: bearer <sso>``.

    On a 401 both are dropped and fetched again (SIASN clients cannot tell which one expired).
    """

    def __init__(self, credentials: SiasnCredentials, *, clock: Clock = time.monotonic) -> None:
        self._credentials = credentials
        self._gateway = TokenCache(clock=clock)
        self._sso = TokenCache(clock=clock)

    def __repr__(self) -> str:
        return f"SiasnTokenAuth(gateway_token_url={self._credentials.gateway_token_url!r})"

    def headers(self, client: TokenRequester) -> Mapping[str, str]:
        gateway = self._gateway.get(lambda: self._fetch_gateway(client))
        sso = self._sso.get(lambda: self._fetch_sso(client))
        return {"Authorization": f"Bearer {gateway}", "Auth": f"bearer {sso}"}

    def invalidate(self) -> bool:
        self._gateway.invalidate()
        self._sso.invalidate()
        return True

    def _fetch_gateway(self, client: TokenRequester) -> tuple[str, float]:
        creds = self._credentials
        # WSO2 consumer keys are sent as issued (public SIASN clients do not form-encode them).
        auth = basic_header(creds.consumer_key, creds.consumer_secret, form_encode=False)
        try:
            response = client.request(
                "POST",
                creds.gateway_token_url,
                data={"grant_type": "client_credentials"},
                headers={"Authorization": auth},
            )
        except HttpStatusError as exc:
            raise refused(exc, "SIASN gateway") from exc
        return token_from(response, creds.gateway_token_url)

    def _fetch_sso(self, client: TokenRequester) -> tuple[str, float]:
        creds = self._credentials
        form = {
            "grant_type": "password",
            "client_id": creds.sso_client_id,
            "username": creds.username,
            "password": creds.password,
        }
        try:
            response = client.request("POST", creds.sso_token_url, data=form)
        except HttpStatusError as exc:
            raise refused(exc, "SIASN SSO") from exc
        return token_from(response, creds.sso_token_url)
