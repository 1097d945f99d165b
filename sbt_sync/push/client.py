"""The SIASN client the pusher uses, built from ``sbt.yaml`` with the push section's timeout."""

from __future__ import annotations

from connectors.http import HttpClient, HttpSettings, SiasnCredentials
from connectors.retry import RetryPolicy
from connectors.siasn import SiasnClient, SiasnConfig
from sbt_sync.errors import ConfigError
from sbt_sync.settings import Settings


def siasn_push_client(settings: Settings, *, retry: RetryPolicy | None = None) -> SiasnClient:
    """A SIASN client reading secrets now (run time); raises ``ConfigError`` without a siasn section."""
    siasn = settings.siasn
    if siasn is None:
        raise ConfigError(f"{settings.config_path}: siasn: the section is missing")
    credentials = SiasnCredentials(
        siasn.gateway_token_url,
        siasn.sso_token_url,
        settings.secret(siasn.consumer_key_env),
        settings.secret(siasn.consumer_secret_env),
        settings.secret(siasn.username_env),
        settings.secret(siasn.password_env),
        siasn.sso_client_id,
    )
    http = HttpClient(
        HttpSettings(
            read_timeout=settings.push.timeout_seconds,
            ca_bundle=settings.resolve_path(siasn.ca_bundle) if siasn.ca_bundle else None,
        ),
        # The pusher retries rows itself; the client's short inner retries absorb blips.
        retry=retry or RetryPolicy(max_attempts=3, initial_backoff=0.5, max_backoff=5.0),
    )
    return SiasnClient(SiasnConfig(siasn.base_url, credentials, siasn.registry_page_size), http=http)
