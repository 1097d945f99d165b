"""Every client of the outside world, built in this one place from ``sbt.yaml`` and secrets read at run
time: the agencies' HTTP and SFTP sources and SIASN (the push, the readback, the registry and ``doctor``).

The daemon's assets and sensors (through :class:`sbt_sync.resources.ConnectorsResource`), the CLI, the
demo, ``doctor`` and the benchmarks all call these functions, so one setting means the same thing on every
path: ``push.timeout_seconds`` bounds every SIASN request and :data:`SIASN_RETRY` is SIASN's one inner
retry policy, whoever sends the request.
"""

from __future__ import annotations

from connectors.errors import ConnectorError
from connectors.http import (
    ApiKeyAuth,
    Auth,
    ClientCredentials,
    HttpClient,
    HttpSettings,
    OAuth2ClientCredentialsAuth,
    Paginator,
    SiasnCredentials,
    SiasnTokenAuth,
    make_paginator,
)
from connectors.retry import RetryPolicy
from connectors.sftp import SftpReader, SftpSettings
from connectors.siasn import SiasnClient, SiasnConfig
from sbt_sync.errors import ConfigError
from sbt_sync.settings import Settings
from sbt_sync.settings_sources import ApiKeyAuth as ApiKeyAuthSettings
from sbt_sync.settings_sources import HttpSource, SftpSource, SiasnTokenRefs
from sbt_sync.settings_sources import OAuth2ClientCredentialsAuth as OAuth2Settings


def _auth(settings: Settings, name: str, source: HttpSource) -> Auth:
    auth = source.auth
    if isinstance(auth, ApiKeyAuthSettings):
        try:
            return ApiKeyAuth(settings.secret(auth.key_env), header=auth.header)
        except ConnectorError as exc:  # a key no request can carry: never its value in the message
            setting = f"{settings.config_path}: sources.{name}.auth.key_env"
            raise ConfigError(f"{setting}: the value of {auth.key_env}: {exc}") from None
    if isinstance(auth, OAuth2Settings):
        return OAuth2ClientCredentialsAuth(
            ClientCredentials(
                auth.token_url,
                settings.secret(auth.client_id_env),
                settings.secret(auth.client_secret_env),
                auth.scope,
            )
        )
    return SiasnTokenAuth(_siasn_credentials(settings, auth))


def _siasn_credentials(settings: Settings, refs: SiasnTokenRefs) -> SiasnCredentials:
    """SIASN's two-token credentials, as an idis source or the siasn section names them."""
    return SiasnCredentials(
        refs.gateway_token_url,
        refs.sso_token_url,
        settings.secret(refs.consumer_key_env),
        settings.secret(refs.consumer_secret_env),
        settings.secret(refs.username_env),
        settings.secret(refs.password_env),
        refs.sso_client_id,
    )


def http_source(settings: Settings, name: str) -> tuple[HttpClient, Paginator]:
    """The retrying client and the paginator of HTTP source ``name``; close the client when done."""
    source = settings.sources.get(name)
    if not isinstance(source, HttpSource):
        raise ConfigError(f"{settings.config_path}: sources.{name}: not an HTTP source")
    client = HttpClient(
        HttpSettings(
            connect_timeout=source.connect_timeout_seconds,
            read_timeout=source.read_timeout_seconds,
            total_timeout=source.total_timeout_seconds,
            ca_bundle=settings.resolve_path(source.ca_bundle) if source.ca_bundle else None,
            max_body_bytes=source.max_body_bytes,
        ),
        retry=RetryPolicy(max_attempts=source.max_attempts),
    )
    url = source.base_url.rstrip("/") + "/" + source.path.lstrip("/")
    paginator = make_paginator(
        source.paging.style,
        client,
        url,
        auth=_auth(settings, name, source),
        page_size=source.paging.page_size,
    )
    return client, paginator


def sftp_reader(settings: Settings, name: str) -> SftpReader:
    source = settings.sources.get(name)
    if not isinstance(source, SftpSource):
        raise ConfigError(f"{settings.config_path}: sources.{name}: not an SFTP source")
    return SftpReader(
        SftpSettings(
            host=source.host,
            username=source.username,
            private_key_path=settings.resolve_path(settings.secret(source.private_key_path_env)),
            known_hosts_path=settings.resolve_path(source.known_hosts),
            port=source.port,
            connect_timeout=source.connect_timeout_seconds,
            list_timeout=source.list_timeout_seconds,
            min_transfer_rate=source.min_transfer_rate,
            in_progress_suffixes=tuple(source.in_progress_suffixes),
            retry=RetryPolicy(max_attempts=source.max_attempts),
        )
    )


SIASN_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.5, max_backoff=5.0)
"""SIASN's inner retries, on every path. Short on purpose: the pusher retries each row itself
(``push.max_attempts``, with its own backoff and SIASN's ``Retry-After``), and the client's retries only
absorb blips; a registry page that still fails is fetched again by the next refresh."""


def siasn_http_settings(settings: Settings) -> HttpSettings:
    """Transport settings of every SIASN request: ``push.timeout_seconds`` is the longest SIASN may stay
    silent (read timeout), and no attempt may last longer than that or the default total deadline."""
    siasn = settings.siasn
    if siasn is None:
        raise ConfigError(f"{settings.config_path}: siasn: the section is missing")
    timeout = settings.push.timeout_seconds
    return HttpSettings(
        read_timeout=timeout,
        total_timeout=max(HttpSettings().total_timeout, timeout),
        ca_bundle=settings.resolve_path(siasn.ca_bundle) if siasn.ca_bundle else None,
    )


def siasn_client(settings: Settings, *, retry: RetryPolicy | None = None) -> SiasnClient:
    """The SIASN client of every path (push, readback, registry, doctor), reading its secrets now (run
    time); ``retry`` overrides :data:`SIASN_RETRY` (``doctor`` and tests). Close it when done.

    Raises ``ConfigError`` without a ``siasn`` section.
    """
    http_settings = siasn_http_settings(settings)
    siasn = settings.siasn
    assert siasn is not None  # siasn_http_settings raised otherwise
    credentials = _siasn_credentials(settings, siasn)
    http = HttpClient(http_settings, retry=retry or SIASN_RETRY)
    return SiasnClient(SiasnConfig(siasn.base_url, credentials, siasn.registry_page_size), http=http)
