"""Turning an HTTP answer or a transport failure into a result or the right connector exception."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connectors.errors import (
    AuthenticationError,
    HttpError,
    HttpStatusError,
    ResponseFormatError,
    ThrottledError,
    TransientHttpError,
)
from connectors.http import jsonbody
from connectors.redact import mask_nips, safe_url
from connectors.retry import parse_retry_after

_EXCERPT = 300


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A successful (or explicitly accepted) answer; ``json`` is the parsed body or None if empty."""

    status: int
    headers: Mapping[str, str]
    json: Any
    url: str
    repeated_names: bool = False
    """Some object of the body repeated a name; its value is a marker (``jsonbody.repeated_names``)."""


_PATH_SHOWN = 120


def single_answer(response: HttpResponse, method: str) -> Any:
    """The body of an answer that states one thing (a token, a block state, an acknowledgement, one
    registry row); :class:`ResponseFormatError` when an object in it repeats a name, naming where: which
    value the server meant is unknown, so no part of such an answer is acted on."""
    if response.repeated_names:
        for path, reason in jsonbody.unreadable_values(response.json):
            if jsonbody.is_repeated_name(reason):
                url = safe_url(response.url)
                where = path if len(path) <= _PATH_SHOWN else path[:_PATH_SHOWN] + "..."
                raise ResponseFormatError(
                    mask_nips(
                        f"{method} {url}: the answer is refused: at {where}, {reason}, so which value "
                        "the server meant is unknown"
                    ),
                    method=method,
                    url=url,
                    status=response.status,
                )
    return response.json


def classify_response(
    method: str, url: str, response: requests.Response, accept: Collection[int]
) -> HttpResponse:
    """An :class:`HttpResponse` for a 2xx or accepted status; raises the matching ``HttpError`` otherwise.

    A 2xx or accepted answer whose body is not valid JSON (a gateway cut it short) raises
    :class:`TransientHttpError` with reason ``invalid_body``, so it is fetched again. A hostile value
    inside valid JSON (nested thousands deep, a 5,000-digit number, NaN, a lone surrogate) does not
    make the body unreadable: it is replaced by a marker (:mod:`connectors.http.jsonbody`), and so is
    the value of a name an object repeats (``HttpResponse.repeated_names``).
    """
    status = response.status_code
    where = f"{method} {safe_url(url)}"
    if 200 <= status < 300 or status in accept:
        try:
            parsed = jsonbody.parse(response.content) if response.content.strip() else None
        except ValueError:
            raise TransientHttpError(
                f"{where}: HTTP {status} with a body that is not valid JSON (truncated?)",
                reason="invalid_body",
                method=method,
                url=safe_url(url),
                status=status,
            ) from None
        if parsed is None:
            return HttpResponse(status, response.headers, None, response.url)
        return HttpResponse(status, response.headers, parsed.value, response.url, parsed.repeated)
    body = _error_body(response)
    detail = f"{where}: HTTP {status}: {_describe(body)}"
    common: dict[str, Any] = {"method": method, "url": safe_url(url), "status": status, "body": body}
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise ThrottledError(detail, reason="throttled", retry_after=retry_after, **common)
    if status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TransientHttpError(detail, reason="server_error", retry_after=retry_after, **common)
    if status in (401, 403):
        raise AuthenticationError(detail, **common)
    raise HttpStatusError(detail, **common)


def connection_error(method: str, url: str, exc: requests.RequestException) -> HttpError:
    """The connector exception for a transport failure: TLS problems are permanent, the rest not."""
    where = f"{method} {safe_url(url)}"
    if isinstance(exc, requests.exceptions.SSLError):
        return HttpError(f"{where}: TLS verification failed: {exc}", method=method, url=safe_url(url))
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return HttpError(f"{where}: invalid URL", method=method, url=safe_url(url))
    if isinstance(exc, requests.exceptions.InvalidHeader):
        # Its text quotes the header's value, usually a key or a token: the class alone says enough.
        return HttpError(
            f"{where}: a request header value cannot be sent (a line break, a control character or an edge "
            "space; InvalidHeader); nothing was sent",
            method=method,
            url=safe_url(url),
        )
    reason = "timeout" if isinstance(exc, requests.Timeout) else "connection"
    # The exception text can repeat the full URL; only its class goes into our message.
    return TransientHttpError(
        f"{where}: {reason} failed ({type(exc).__name__})", reason=reason, method=method, url=safe_url(url)
    )


def deadline_error(method: str, url: str, seconds: float) -> TransientHttpError:
    """The exception for an exchange cut off at its total deadline (a server dripping its bytes)."""
    where = f"{method} {safe_url(url)}"
    return TransientHttpError(
        f"{where}: no complete answer within the total deadline of {seconds:g} s",
        reason="deadline",
        method=method,
        url=safe_url(url),
    )


def _error_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return mask_nips(response.text[:_EXCERPT]) if response.text else None


def _describe(body: Any) -> str:
    """A short, log-safe description of an error body: SIASN/WSO2/OAuth messages when present."""
    if isinstance(body, dict):
        parts = [
            str(body[key])
            for key in ("code", "error", "message", "error_description", "description", "data")
            if body.get(key) not in (None, "")
        ]
        if parts:
            return mask_nips(" - ".join(parts))[:_EXCERPT]
    return mask_nips(str(body))[:_EXCERPT] if body is not None else "(no body)"
