"""How the CLI (and the console it serves) writes its log: text lines, or JSON lines for collectors.

Either way every record passes :class:`connectors.redact.MaskNipsFilter` at the handler, so a NIP in
any logger's message (ours or a library's) leaves the process masked. ``--log-format json`` (or
``SBT_LOG_FORMAT=json``) writes one JSON object per line: ``time`` (UTC, ISO 8601), ``level``,
``logger``, ``message`` and, for an exception, ``exception`` (masked too).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum

from connectors.redact import MaskNipsFilter, mask_nips

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class MaskedTextFormatter(logging.Formatter):
    """The usual text line, NIPs masked in the whole of it (a traceback's text included)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_nips(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record; NIPs masked in the message and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_nips(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = mask_nips(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(*, debug: bool, log_format: LogFormat = LogFormat.TEXT) -> None:
    """The root logger writes to stderr in ``log_format`` (once per process, like ``basicConfig``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskNipsFilter())
    json_lines = log_format == LogFormat.JSON
    handler.setFormatter(JsonFormatter() if json_lines else MaskedTextFormatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, handlers=[handler])
