"""The SIASN client behind an interface: two tokens, identity lookups, registry, block flags."""

from connectors.http.auth import SiasnCredentials
from connectors.siasn.api import (
    BlockStatus,
    ForbiddenPushError,
    PermanentPushError,
    PushError,
    PushResult,
    SiasnApi,
    TransientPushError,
)
from connectors.siasn.client import SiasnClient, SiasnConfig

__all__ = [
    "BlockStatus",
    "ForbiddenPushError",
    "PermanentPushError",
    "PushError",
    "PushResult",
    "SiasnApi",
    "SiasnClient",
    "SiasnConfig",
    "SiasnCredentials",
    "TransientPushError",
]
