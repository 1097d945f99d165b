"""The virtual file tree the sandbox SFTP server shows at one sandbox-clock instant.

``sftp/deliveries.jsonl`` (see ``DATA_FORMAT.md``) lists every file an agency will ever deliver, with
the instant it lands. At ``now`` each agency directory shows, per file name, the latest delivery that
has landed. Sources in :data:`TEMP_NAME_SOURCES` upload under ``<name>.part`` first, holding part of
the bytes, and rename to the final name once the upload window has passed (DESIGN.md: kemendagri's
"temporary name, renamed when complete"); while a corrected re-delivery uploads, the earlier version
stays visible under the final name, as a rename-over-the-old-file upload would leave it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

logger = logging.getLogger(__name__)

SFTP_SOURCES: tuple[str, ...] = ("kasn", "kemendagri", "kemenpanrb")
TEMP_NAME_SOURCES: frozenset[str] = frozenset({"kemendagri"})
TEMP_SUFFIX = ".part"
DEFAULT_TEMP_NAME_WINDOW = timedelta(minutes=5)

Tree = Mapping[str, Mapping[str, "VisibleFile"]]
"""Agency directory name -> file name -> file."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One line of ``deliveries.jsonl``, with its content file resolved and measured."""

    source: str
    name: str
    available_at: datetime
    content: Path
    size: int
    line: int


@dataclass(frozen=True, slots=True)
class VisibleFile:
    """A file as a client sees it: ``size`` bytes (a prefix of ``content`` while uploading)."""

    content: Path
    size: int
    mtime: int


def visible_tree(deliveries: Iterable[Delivery], now: datetime, *, temp_window: timedelta) -> Tree:
    """Each agency's files at ``now``; the three SFTP agencies' directories exist even while empty."""
    finals: dict[tuple[str, str], Delivery] = {}
    uploading: dict[tuple[str, str], Delivery] = {}
    # Oldest first, so a later delivery of the same name overwrites an earlier one.
    for delivery in sorted(deliveries, key=lambda d: (d.available_at, d.line)):
        if delivery.available_at > now:
            continue
        key = (delivery.source, delivery.name)
        in_upload = delivery.source in TEMP_NAME_SOURCES and now < delivery.available_at + temp_window
        (uploading if in_upload else finals)[key] = delivery
    tree: dict[str, dict[str, VisibleFile]] = {source: {} for source in SFTP_SOURCES}
    for (source, name), delivery in finals.items():
        tree.setdefault(source, {})[name] = _as_file(delivery, delivery.size)
    for (source, name), delivery in uploading.items():
        # Half the bytes: enough that a client reading the .part gets a plausible, truncated file.
        tree.setdefault(source, {})[name + TEMP_SUFFIX] = _as_file(delivery, delivery.size // 2)
    return tree


def _as_file(delivery: Delivery, size: int) -> VisibleFile:
    return VisibleFile(content=delivery.content, size=size, mtime=int(delivery.available_at.timestamp()))


class DeliveryLog:
    """``data_dir/sftp/deliveries.jsonl``, parsed once and re-read whenever the file changes."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir.resolve()
        self._path = self._data_dir / "sftp" / "deliveries.jsonl"
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._deliveries: tuple[Delivery, ...] = ()

    def deliveries(self) -> tuple[Delivery, ...]:
        """All well-formed deliveries; empty while the file is missing. Bad lines are logged, skipped."""
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return ()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                deliveries, complete = self._parse()
                # A content file missing mid-write of the data directory: parse again next time.
                self._stamp = stamp if complete else None
                self._deliveries = deliveries
            return self._deliveries

    def _parse(self) -> tuple[tuple[Delivery, ...], bool]:
        deliveries: list[Delivery] = []
        complete = True
        with self._path.open(encoding="utf-8") as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    deliveries.append(self._delivery(json.loads(text), number))
                except FileNotFoundError as exc:
                    complete = False
                    logger.warning("deliveries.jsonl line %d: content file missing: %s", number, exc)
                except (ValueError, KeyError, TypeError, OSError) as exc:
                    logger.warning("deliveries.jsonl line %d skipped: %r", number, exc)
        logger.info("loaded %d SFTP deliveries from %s", len(deliveries), self._path)
        return tuple(deliveries), complete

    def _delivery(self, row: dict[str, object], number: int) -> Delivery:
        """Raises ``KeyError``/``TypeError``/``ValueError`` for a malformed row, ``OSError`` for content."""
        source, name, available_at = str(row["source"]), str(row["name"]), str(row["available_at"])
        if not source or "/" in source or not name or "/" in name or name in (".", ".."):
            raise ValueError(f"bad source or name: {source!r}, {name!r}")
        instant = datetime.fromisoformat(available_at)
        if instant.tzinfo is None:
            raise ValueError(f"available_at without offset: {available_at!r}")
        content = (self._data_dir / str(row["content"])).resolve()
        if not content.is_relative_to(self._data_dir):
            raise ValueError(f"content outside the data directory: {row['content']!r}")
        size = content.stat().st_size
        return Delivery(source, name, instant, content, size, number)
