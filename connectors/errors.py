"""The exceptions connectors raise: one base, then what the caller may do about each.

``retryable`` tells a caller (the pusher, an asset) whether trying again later can help; within a
call, transient failures have already been retried up to the configured number of attempts.
"""

from __future__ import annotations

from typing import Any


class ConnectorError(Exception):
    """Base of every connector failure; the message names the system, URL or file at fault."""

    retryable: bool = False


class HttpError(ConnectorError):
    """An HTTP call failed. ``url`` is redacted (no query secrets, NIPs masked); ``body`` is the
    parsed JSON of the error answer when there was one (SIASN's message lives there)."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status: int | None = None,
        body: Any = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        self.attempts = attempts


class HttpStatusError(HttpError):
    """A 4xx (or unexpected 3xx) answer: retrying the same request cannot help."""


class AuthenticationError(HttpStatusError):
    """Credentials were refused (401/403 even after fresh tokens, or the token endpoint said no)."""


class ResponseFormatError(HttpError):
    """A 2xx answer whose JSON is valid but not shaped as the contract says (schema drift)."""


class ResponseTooLargeError(HttpError):
    """An answer whose body (decompressed) exceeds the client's ceiling: a decompression bomb, or a
    body that never ends. The same request would get the same answer, so it is not retried."""


class TransientHttpError(HttpError):
    """5xx, 429, a dropped connection, a timeout or a truncated body; raised once retries ran out."""

    retryable = True

    def __init__(
        self, message: str, *, reason: str = "transient", retry_after: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason
        """What went wrong, as counted in :class:`~connectors.retry.RetryStats`: ``server_error``,
        ``throttled``, ``connection``, ``timeout`` or ``invalid_body``."""
        self.retry_after = retry_after
        """Seconds the server asked us to wait (``Retry-After``), if it said."""
        self.exhausted = False
        """Set once the request's own retries are spent, so an enclosing retry loop (a token fetch
        inside an API call) does not multiply the attempts."""


class ThrottledError(TransientHttpError):
    """429 (on SIASN's WSO2 gateway, code 900803): slow down, then try again."""


class SftpError(ConnectorError):
    """An SFTP operation failed; the message names host, port and remote path."""


class SftpTransferError(SftpError):
    """The connection dropped or timed out on every attempt; a later run may succeed."""

    retryable = True


class HostKeyError(SftpError):
    """The server's host key is not the pinned one (unknown or changed): never connect."""


class IntegrityError(SftpError):
    """A downloaded file's size or SHA-256 does not match what the server or the caller said."""

    retryable = True


class TruncatedGzipError(SftpError):
    """A delivered ``.gz`` file ends before its end-of-stream marker (the agency sent half a file)."""


class LocalStorageError(ConnectorError):
    """A download could not be written to the local disk (no space left, a quota, a read-only or
    vanished folder): not the server's fault, and not retried as a dropped connection. Nothing of the
    file is kept; the operator frees space (or fixes the folder) and the next run takes it."""
