"""SFTP request handlers: a read-only view of the virtual tree, with latency and disconnect faults.

paramiko calls one :class:`VirtualSftp` per SFTP session, from that session's thread. Every request
re-reads the tree at the sandbox clock's current instant, so moving the clock makes files appear,
change and get renamed under a connected client, as on the agencies' real servers.
"""

from __future__ import annotations

import logging
import os
import posixpath
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO

import paramiko
from paramiko.sftp import SFTP_CONNECTION_LOST, SFTP_FAILURE, SFTP_NO_SUCH_FILE, SFTP_PERMISSION_DENIED

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.sftp.tree import DeliveryLog, Tree, VisibleFile, visible_tree

logger = logging.getLogger(__name__)

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_DIR_MODE = stat.S_IFDIR | 0o555
_FILE_MODE = stat.S_IFREG | 0o444


@dataclass(frozen=True, slots=True)
class SessionContext:
    """What one SSH connection's SFTP sessions share; ``drop`` cuts the whole connection."""

    log: DeliveryLog
    clock: SandboxClock
    faults: FaultSwitches
    temp_window: timedelta
    drop: Callable[[], None]

    def delay(self) -> None:
        """Sleep the sftp endpoint's ``latency_ms``, so each request answers that much later."""
        latency_ms = self.faults.get("sftp").latency_ms
        if latency_ms > 0:
            time.sleep(latency_ms / 1000)


class VirtualSftp(paramiko.SFTPServerInterface):
    """Serves ``/``, ``/<agency>`` and ``/<agency>/<file>``; every change is refused."""

    def __init__(self, server: paramiko.ServerInterface, *args: Any, context: SessionContext) -> None:
        super().__init__(server, *args)
        self._ctx = context

    def canonicalize(self, path: str) -> str:
        """The absolute, normalised form of ``path``; relative paths start at ``/``."""
        normal = posixpath.normpath(posixpath.join("/", path))
        # POSIX keeps a leading "//"; SFTP clients expect a single root.
        return "/" + normal.lstrip("/")

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        self._ctx.delay()
        tree, parts = self._tree(), self._parts(path)
        if not parts:
            return [_dir_attrs(source, files) for source, files in sorted(tree.items())]
        if len(parts) == 1 and parts[0] in tree:
            return [_file_attrs(name, file) for name, file in sorted(tree[parts[0]].items())]
        return SFTP_NO_SUCH_FILE

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        self._ctx.delay()
        found = self._lookup(path)
        if isinstance(found, VisibleFile):
            return _file_attrs(self._parts(path)[-1], found)
        return found

    def lstat(self, path: str) -> paramiko.SFTPAttributes | int:
        # The tree has no symlinks, so lstat and stat agree.
        return self.stat(path)

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> paramiko.SFTPHandle | int:
        """A read handle on a visible file, or an SFTP status (writes: permission denied).

        The disconnect fault is drawn here, once per opened file: a hit serves the first half of the
        bytes and then drops the connection (see :class:`_ReadHandle`).
        """
        self._ctx.delay()
        if flags & _WRITE_FLAGS:
            logger.info("sftp write refused: %s", path)
            return SFTP_PERMISSION_DENIED
        found = self._lookup(path)
        if not isinstance(found, VisibleFile):
            return found if isinstance(found, int) else SFTP_FAILURE
        try:
            reader = found.content.open("rb")
        except OSError as exc:
            logger.error("sftp cannot open content of %s: %s", path, exc)
            return SFTP_FAILURE
        cut_at = None
        if self._ctx.faults.roll(self._ctx.faults.get("sftp").disconnect_rate):
            cut_at = found.size // 2
            logger.info("sftp fault: dropping the connection after %d bytes of %s", cut_at, path)
        return _ReadHandle(reader, _file_attrs(self._parts(path)[-1], found), self._ctx, cut_at)

    def remove(self, path: str) -> int:
        return SFTP_PERMISSION_DENIED

    def rename(self, oldpath: str, newpath: str) -> int:
        return SFTP_PERMISSION_DENIED

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        return SFTP_PERMISSION_DENIED

    def mkdir(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_PERMISSION_DENIED

    def rmdir(self, path: str) -> int:
        return SFTP_PERMISSION_DENIED

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_PERMISSION_DENIED

    def symlink(self, target_path: str, path: str) -> int:
        return SFTP_PERMISSION_DENIED

    def readlink(self, path: str) -> str | int:
        return SFTP_NO_SUCH_FILE

    def _tree(self) -> Tree:
        now = self._ctx.clock.now()
        return visible_tree(self._ctx.log.deliveries(), now, temp_window=self._ctx.temp_window)

    def _parts(self, path: str) -> list[str]:
        return [part for part in self.canonicalize(path).split("/") if part]

    def _lookup(self, path: str) -> VisibleFile | paramiko.SFTPAttributes | int:
        """The file at ``path``, a directory's attributes, or ``SFTP_NO_SUCH_FILE``."""
        tree, parts = self._tree(), self._parts(path)
        if not parts:
            return _dir_attrs("/", {name: f for files in tree.values() for name, f in files.items()})
        if parts[0] not in tree or len(parts) > 2:
            return SFTP_NO_SUCH_FILE
        files = tree[parts[0]]
        if len(parts) == 1:
            return _dir_attrs(parts[0], files)
        return files.get(parts[1], SFTP_NO_SUCH_FILE)


class _ReadHandle(paramiko.SFTPHandle):
    """An open file; with ``cut_at`` set, serves bytes up to it and then drops the connection."""

    def __init__(
        self, reader: BinaryIO, attrs: paramiko.SFTPAttributes, ctx: SessionContext, cut_at: int | None
    ) -> None:
        super().__init__(os.O_RDONLY)
        self._reader, self._attrs, self._ctx, self._cut_at = reader, attrs, ctx, cut_at
        self._size = attrs.st_size or 0

    def read(self, offset: int, length: int) -> bytes | int:
        self._ctx.delay()
        end = min(offset + length, self._size)
        if self._cut_at is not None:
            if offset >= self._cut_at:
                # The client already holds the first part: cut it off mid-transfer, like a dropped link.
                self._ctx.drop()
                return SFTP_CONNECTION_LOST
            end = min(end, self._cut_at)
        if offset >= end:
            return b""
        self._reader.seek(offset)
        return self._reader.read(end - offset)

    def stat(self) -> paramiko.SFTPAttributes | int:
        return self._attrs

    def close(self) -> None:
        self._reader.close()
        super().close()


def _file_attrs(name: str, file: VisibleFile) -> paramiko.SFTPAttributes:
    return _attrs(name, _FILE_MODE, file.size, file.mtime)


def _dir_attrs(name: str, files: Mapping[str, VisibleFile]) -> paramiko.SFTPAttributes:
    # A directory changes when a file lands in it: its mtime is its newest file's.
    mtime = max((file.mtime for file in files.values()), default=0)
    return _attrs(name, _DIR_MODE, 4096, mtime)


def _attrs(name: str, mode: int, size: int, mtime: int) -> paramiko.SFTPAttributes:
    attrs = paramiko.SFTPAttributes()
    attrs.filename = name
    attrs.st_mode, attrs.st_size, attrs.st_uid, attrs.st_gid = mode, size, 0, 0
    attrs.st_atime = attrs.st_mtime = mtime
    return attrs
