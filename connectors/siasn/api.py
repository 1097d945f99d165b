"""The SIASN interface the product depends on, its values and its push errors.

The real SIASN has no public blocking endpoint (DOMAIN.md), so everything else codes against
:class:`SiasnApi`; :class:`~connectors.siasn.client.SiasnClient` implements it for the sandbox's
contract (and the real one once BKN publishes it), tests may use any fake with the same methods.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from connectors.errors import ConnectorError
from connectors.http.paging import Page
from connectors.redact import mask_nip

Action = Literal["blokir", "buka"]
BLOCKED = "DIBLOKIR"


@dataclass(frozen=True, slots=True)
class PushResult:
    """SIASN's acknowledgement of a block or unblock."""

    nip: str
    action: Action
    reference: str
    """``mapData.referensi``: SIASN's reference for the change, stored with the outbox row."""
    status: str | None
    changed: bool | None
    """False when SIASN already was in the requested state."""
    replayed: bool
    """True when SIASN answered from its idempotency store (an earlier attempt had gone through)."""
    message: str


@dataclass(frozen=True, slots=True)
class BlockStatus:
    """SIASN's block state of one NIP (``GET /pemblokiran/{nip}``)."""

    nip: str
    blocked: bool
    status: str
    reference: str | None
    reason: str | None
    case_reference: str | None
    date: str | None


class PushError(ConnectorError):
    """A block or unblock was not acknowledged; the message names the masked NIP and the key."""

    def __init__(self, message: str, *, nip: str, action: Action, idempotency_key: str) -> None:
        super().__init__(message)
        self.nip, self.action, self.idempotency_key = nip, action, idempotency_key


class TransientPushError(PushError):
    """SIASN was unreachable, failing or throttling on every attempt: retry later with the SAME key.

    ``retry_after`` is how long SIASN last asked us to wait (seconds), when it said.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PermanentPushError(PushError):
    """SIASN refused the change (4xx other than 401/429, or ``success: false``), or answered with no
    acknowledgement we can store: park it for stewards.

    ``siasn_message`` is SIASN's own explanation, shown to stewards verbatim. ``maybe_applied`` is
    True when the answer was not a refusal (``success: true`` without a reference, an answer we cannot
    read): SIASN may have applied the change, so it is never sent again under another key.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        siasn_message: str,
        maybe_applied: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status, self.siasn_message, self.maybe_applied = status, siasn_message, maybe_applied


class ForbiddenPushError(PushError):
    """SIASN's API answered 403 to this write (our tokens were issued; the token endpoints did not
    refuse): either our account may not write at all, or it may not write this NIP (e.g. another
    instansi's data). Only the caller can tell which: a run that had another write acknowledged knows
    our credentials work, so the refusal is this NIP's. ``siasn_message`` is SIASN's explanation.
    SIASN refuses before it looks at the ``Idempotency-Key``, so the 403 says nothing about an earlier
    try under the same key."""

    def __init__(self, message: str, *, status: int, siasn_message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status, self.siasn_message = status, siasn_message


def describe(nip: str, action: Action, key: str) -> str:
    """A log-safe label of one write: action, masked NIP, idempotency key."""
    return f"SIASN {action} for NIP {mask_nip(nip)} (Idempotency-Key {key})"


class SiasnApi(Protocol):
    """What the product needs from SIASN: identity lookups, the registry, and block flags."""

    def data_utama(self, nip: str) -> dict[str, Any] | None:
        """The registry record of ``nip`` (``{"nipBaru", "nama", ...}``), or None if SIASN has none."""
        ...

    def registry_pages(self, cursor: str | None = None) -> Iterator[Page]:
        """The bulk registry listing from ``cursor`` (an offset); persist each page's cursor."""
        ...

    def blokir(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        """Block ``nip``; raises :class:`TransientPushError` or :class:`PermanentPushError`."""
        ...

    def buka(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        """Unblock ``nip``; raises :class:`TransientPushError` or :class:`PermanentPushError`."""
        ...

    def status(self, nip: str) -> BlockStatus | None:
        """SIASN's current block state of ``nip``, or None if SIASN does not know the NIP."""
        ...
