"""The SIASN client the pusher uses: the one built by :mod:`sbt_sync.ingest.connections` (kept under
this name for callers that import it from here), and the inner retries of a cycle's push and readback."""

from __future__ import annotations

from dataclasses import replace

from connectors.retry import RetryPolicy
from connectors.siasn import SiasnClient
from sbt_sync.ingest import connections
from sbt_sync.settings import Settings

CYCLE_RETRY = replace(connections.SIASN_RETRY, max_retry_after=1.0)
"""SIASN's inner retries within a cycle's push and readback, whose time is budgeted
(``push.cycle_budget_seconds``): a ``Retry-After`` longer than a blip ends them at once. The pusher's
and the readback's own loops then honour the wait, within the budget; a NIP the readback could not read
is not checked (never drift), stays due and is read next cycle."""


def siasn_push_client(settings: Settings, *, retry: RetryPolicy | None = None) -> SiasnClient:
    """Same as :func:`sbt_sync.ingest.connections.siasn_client` (one client, one set of settings)."""
    return connections.siasn_client(settings, retry=retry)
