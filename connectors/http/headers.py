"""Parsing the response headers the HTTP layer acts on: ``Retry-After`` and ``Link``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# One link-value of RFC 8288: <uri> followed by ;-separated parameters, possibly quoted.
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,\s=]+(?:\s*=\s*(?:\"[^\"]*\"|[^;,\s]*))?)*)")
_PARAM = re.compile(r";\s*([^;,\s=]+)(?:\s*=\s*(?:\"([^\"]*)\"|([^;,\s]*)))?")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header (RFC 9110 10.2.3), or None.

    Accepts delay-seconds (``"120"``) or an HTTP date (``"Wed, 21 Oct 2015 07:28:00 GMT"``); a date
    in the past means 0. Anything else (empty, negative, garbage) is None: the caller falls back
    to its own backoff rather than trusting a header it cannot read.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a zone-less one is read as such
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def parse_link_header(value: str | None) -> dict[str, str]:
    """The targets of a ``Link`` header by relation, e.g. ``{"next": "https://..."}``.

    A link with several relations (``rel="next last"``) is listed under each; the first link of a
    relation wins. Malformed parts are skipped, never raised on: a missing ``next`` ends paging.
    """
    links: dict[str, str] = {}
    if not value:
        return links
    for match in _LINK.finditer(value):
        target, params = match.group(1).strip(), match.group(2)
        for param in _PARAM.finditer(params):
            if param.group(1).lower() != "rel":
                continue
            rels = param.group(2) if param.group(2) is not None else (param.group(3) or "")
            for rel in rels.lower().split():
                links.setdefault(rel, target)
    return links
