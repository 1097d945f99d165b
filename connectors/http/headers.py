"""Parsing the ``Link`` response header the paginators follow (``Retry-After``: :mod:`connectors.retry`),
and telling whether a configured value can travel in a request header."""

from __future__ import annotations

import re

# One link-value of RFC 8288: <uri> followed by ;-separated parameters, possibly quoted. The URI holds
# no "<" (RFC 3986): a target may not start inside another, which also keeps the scan linear (a header
# of 60,000 unclosed "<" was read from each of them to its end: half a minute of CPU per page).
_LINK = re.compile(r"<([^<>]*)>((?:\s*;\s*[^;,\s=]+(?:\s*=\s*(?:\"[^\"]*\"|[^;,\s]*))?)*)")
_PARAM = re.compile(r";\s*([^;,\s=]+)(?:\s*=\s*(?:\"([^\"]*)\"|([^;,\s]*)))?")
_SENDABLE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
"""Visible ASCII, inner spaces allowed: what any server reads back as sent."""


def header_value_problem(value: str) -> str | None:
    """Why ``value`` cannot be sent as a header value, worded without quoting it (it is usually a
    secret), or None. ``requests`` would raise ``InvalidHeader`` with the value in its message for a
    line break or an edge space, and a non-ASCII character is not sent as written."""
    if _SENDABLE.fullmatch(value):
        return None
    return (
        f"holds a line break, a control or non-ASCII character, or starts or ends with whitespace "
        f"({len(value)} characters)"
    )


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
