"""Parsing the ``Link`` response header the paginators follow (``Retry-After``: :mod:`connectors.retry`)."""

from __future__ import annotations

import re

# One link-value of RFC 8288: <uri> followed by ;-separated parameters, possibly quoted.
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,\s=]+(?:\s*=\s*(?:\"[^\"]*\"|[^;,\s]*))?)*)")
_PARAM = re.compile(r";\s*([^;,\s=]+)(?:\s*=\s*(?:\"([^\"]*)\"|([^;,\s]*)))?")


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
