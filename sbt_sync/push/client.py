"""The SIASN client the pusher uses: the one built by :mod:`sbt_sync.ingest.connections` (kept under
this name for callers that import it from here)."""

from __future__ import annotations

from connectors.retry import RetryPolicy
from connectors.siasn import SiasnClient
from sbt_sync.ingest import connections
from sbt_sync.settings import Settings


def siasn_push_client(settings: Settings, *, retry: RetryPolicy | None = None) -> SiasnClient:
    """Same as :func:`sbt_sync.ingest.connections.siasn_client` (one client, one set of settings)."""
    return connections.siasn_client(settings, retry=retry)
