"""Keeping personal data and secrets out of logs and error messages (UU 27/2022 PDP).

NIPs are reduced to their last 4 digits; URLs lose their user info and the values of query parameters
that look like secrets.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SEP = r"[ \t.\-_/\u00a0\u2007\u202f]?"
_NIP = re.compile(rf"(?<!\d)\d{{8}}{_SEP}\d{{6}}{_SEP}(\d){_SEP}(\d{{3}})(?!\d)")
"""A NIP: 18 digits, whole or printed in its groups (birth date, TMT, gender, serial: ``19800101
200501 1 001``) with a space, dot, dash, underscore or slash between them."""
_SECRET_PARAM = re.compile(r"key|token|secret|password|passwd|signature|sig|auth|code|credential", re.I)
MASK = "***"


def mask_nip(nip: str) -> str:
    """``nip`` with every character but the last 4 replaced by ``*`` (short values become ``***``)."""
    if len(nip) <= 4:
        return MASK
    return "*" * (len(nip) - 4) + nip[-4:]


def mask_nips(text: str) -> str:
    """``text`` with every NIP (an 18-digit number, whole or printed in its groups) masked to its last
    4 digits."""
    return _NIP.sub(lambda m: "*" * 14 + m.group(1) + m.group(2), text)


def safe_url(url: str) -> str:
    """``url`` fit for a log line: no user info, secret-looking query values masked, NIPs masked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    query = [
        (name, MASK if _SECRET_PARAM.search(name) else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    cleaned = urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*:+,"), ""))
    return mask_nips(cleaned)


class MaskNipsFilter(logging.Filter):
    """Masks every NIP in a log record's message (a third-party logger's, e.g. urllib3's DEBUG line
    naming a URL with a NIP in its path, which our code cannot word itself)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_nips(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_nips_in_logger(name: str) -> None:
    """Install :class:`MaskNipsFilter` on the logger ``name``, once."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, MaskNipsFilter) for f in logger.filters):
        logger.addFilter(MaskNipsFilter())
