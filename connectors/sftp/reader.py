"""Reading an agency's SFTP drop: key login, pinned host key, listing, retried atomic downloads.

The connection is opened on first use and reopened after a drop; every operation is retried
(:func:`connectors.retry.retrying`) on connection failures (the sandbox drops sessions mid-transfer on
purpose). Refused host keys, refused logins and missing files are not retried: trying again cannot fix
them.
"""

from __future__ import annotations

import fnmatch
import logging
import random
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar, cast

import paramiko
from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_OPENDIR, CMD_READDIR

from connectors.errors import ConnectorError, HostKeyError, SftpError, SftpTransferError
from connectors.retry import RetryPolicy, RetryStats, retrying
from connectors.sftp.hostkeys import PinnedHostKeyPolicy, changed_key_error, load_known_hosts
from connectors.sftp.naming import local_path, shown, unsafe_name_reason
from connectors.sftp.transfer import (
    Received,
    RemoteFileChanged,
    RemoteFileGone,
    download_atomically,
    storing_locally,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_SFTP_RETRY = RetryPolicy(max_attempts=5)
DEFAULT_MIN_TRANSFER_RATE = 16 * 1024.0
"""Bytes per second a download must average (``min_transfer_rate``)."""
DEFAULT_LIST_TIMEOUT = 300.0
"""Seconds one attempt at listing a directory may take (``list_timeout``)."""


@dataclass(frozen=True, slots=True)
class SftpSettings:
    """One SFTP source (``sbt.yaml``: host, port, username, key, known_hosts, suffixes, timeouts)."""

    host: str
    username: str
    private_key_path: Path
    known_hosts_path: Path
    port: int = 22
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    min_transfer_rate: float = DEFAULT_MIN_TRANSFER_RATE
    """Bytes per second a download must average: an attempt is given up after ``read_timeout`` plus
    the file's size at this rate, so a server answering every read just within ``read_timeout``
    (a byte at a time) cannot hold the run for days."""
    list_timeout: float = DEFAULT_LIST_TIMEOUT
    """The longest one attempt at listing the directory may take, all its pages together: a server
    answering every page just within ``read_timeout``, with more names forever, cannot hold the run."""
    in_progress_suffixes: tuple[str, ...] = (".part", ".tmp", ".filepart")
    retry: RetryPolicy = DEFAULT_SFTP_RETRY


@dataclass(frozen=True, slots=True)
class RemoteFile:
    path: str
    name: str
    size: int
    mtime: datetime
    """Aware, UTC."""


@dataclass(frozen=True, slots=True)
class DownloadedFile:
    """A verified local copy; ``remote`` carries the size and mtime of the bytes actually received."""

    remote: RemoteFile
    local_path: Path
    sha256: str


def is_in_progress(name: str, suffixes: tuple[str, ...]) -> bool:
    """True for names an upload in progress uses: a configured suffix, or a hidden dot-file.

    A name that is not a plain file name (``..\\..\\x.csv`` also starts with a dot) is never "in
    progress": it must be refused with a reason, not skipped without a trace.
    """
    if unsafe_name_reason(name) is not None:
        return False
    return name.startswith(".") or name.lower().endswith(tuple(s.lower() for s in suffixes))


class _SftpRequests(Protocol):
    """The parts of ``paramiko.SFTPClient`` its own ``listdir_attr`` is built from (untyped there)."""

    def _adjust_cwd(self, path: str) -> str: ...

    def _request(self, kind: int, *args: object) -> tuple[int, paramiko.Message]: ...


class _AttributesFromMessage(Protocol):
    def _from_msg(self, msg: paramiko.Message, filename: str, longname: str) -> paramiko.SFTPAttributes: ...


def _listdir_attr(client: paramiko.SFTPClient, path: str) -> list[paramiko.SFTPAttributes]:
    """``sftp.listdir_attr(path)``, except that a name that is not UTF-8 is read with
    ``surrogateescape`` instead of failing the whole listing (paramiko decodes names strictly): the
    caller refuses that one name (:func:`~connectors.sftp.naming.unsafe_name_reason`) and lists the
    rest. The same requests as paramiko's own, through its request machinery."""
    sftp = cast(_SftpRequests, client)
    attributes = cast(_AttributesFromMessage, paramiko.SFTPAttributes)
    kind, msg = sftp._request(CMD_OPENDIR, sftp._adjust_cwd(path))
    if kind != CMD_HANDLE:
        raise paramiko.SFTPError("Expected handle")
    handle = msg.get_binary()
    entries: list[paramiko.SFTPAttributes] = []
    while True:
        try:
            kind, msg = sftp._request(CMD_READDIR, handle)
        except EOFError:  # paramiko's end of the directory
            break
        if kind != CMD_NAME:
            raise paramiko.SFTPError("Expected name response")
        for _ in range(msg.get_int()):
            name = msg.get_string().decode("utf-8", "surrogateescape")
            longname = msg.get_string().decode("utf-8", "replace")
            entry = attributes._from_msg(msg, name, longname)
            if name not in (".", ".."):
                entries.append(entry)
    sftp._request(CMD_CLOSE, handle)
    return entries


class SftpReader:
    """Lists and downloads files of one SFTP server; not thread-safe (one reader per worker)."""

    def __init__(
        self,
        settings: SftpSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.stats = RetryStats()
        self._sleep, self._rand = sleep, rand
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._where = f"sftp://{settings.username}@{settings.host}:{settings.port}"

    def __enter__(self) -> SftpReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session (a later call reconnects)."""
        if self._client is not None:
            self._client.close()
        self._client, self._sftp = None, None

    def list_files(self, directory: str, pattern: str = "*") -> list[RemoteFile]:
        """Regular files in ``directory`` matching ``pattern``, oldest first; in-progress names skipped.

        Names that are not plain file names are listed as the server sent them: the caller refuses
        them with a reason (:func:`~connectors.sftp.naming.unsafe_name_reason`), never downloads them.

        Each attempt is given up after ``list_timeout`` seconds and retried as a dropped connection.
        Raises :class:`HostKeyError`, :class:`SftpError` (login refused, no such directory) or
        :class:`SftpTransferError` when the connection failed (or the listing took too long) on
        every attempt.
        """
        base = directory.rstrip("/") or "/"
        limit = self.settings.list_timeout

        def listing(sftp: paramiko.SFTPClient) -> list[paramiko.SFTPAttributes]:
            with _deadline(self._client, limit) as expired:
                try:
                    entries = _listdir_attr(sftp, base)
                except (OSError, EOFError, paramiko.SSHException) as exc:
                    if expired.is_set():
                        raise TimeoutError(
                            f"the directory listing took longer than {limit:g} s (list_timeout)"
                        ) from exc
                    raise
            if expired.is_set():  # struck as the listing ended: the session is closed under us
                self.close()
            return entries

        entries = self._retrying(f"{self._where}{base}", listing)
        files = [
            RemoteFile(
                path=f"{base.rstrip('/')}/{entry.filename}",
                name=entry.filename,
                size=int(entry.st_size or 0),
                mtime=datetime.fromtimestamp(entry.st_mtime or 0, UTC),
            )
            for entry in entries
            if stat.S_ISREG(entry.st_mode or 0)
            and fnmatch.fnmatchcase(entry.filename, pattern)
            and not is_in_progress(entry.filename, self.settings.in_progress_suffixes)
        ]
        return sorted(files, key=lambda f: (f.mtime, f.name))

    def download(
        self, remote: RemoteFile, dest_dir: Path, *, expected_sha256: str | None = None
    ) -> DownloadedFile:
        """Download ``remote`` to ``dest_dir/<name>`` atomically, retrying dropped transfers from scratch.

        The file is stat'ed again after the transfer: if its size or mtime is not what the listing
        said (or what the transfer read), it is being written and :class:`RemoteFileChanged` is
        raised with nothing kept; so it is when the file is gone by the time it is opened or
        stat'ed. Raises :class:`~connectors.sftp.naming.UnsafeName` for a name that is not a plain
        file name (nothing is written), :class:`~connectors.errors.IntegrityError` (size or SHA-256
        wrong on every attempt), :class:`~connectors.sftp.transfer.RemoteFileUnreadable` (the
        server will not open this file for us), :class:`~connectors.errors.LocalStorageError` (the
        local disk refuses the download: no space left, local permission denied; not retried),
        :class:`SftpError` (login refused) or :class:`SftpTransferError`.
        """
        dest = local_path(dest_dir, remote.name)
        # Deliveries hold personal data (UU 27/2022): the folder is its owner's only.
        with storing_locally(f"{self._where}{shown(remote.path)}", dest):
            dest_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        label = f"{self._where}{shown(remote.path)}"
        budget = self.settings.read_timeout + max(remote.size, 0) / self.settings.min_transfer_rate

        def transfer(sftp: paramiko.SFTPClient) -> Received:
            with _deadline(self._client, budget) as expired:
                try:
                    return download_atomically(
                        sftp,
                        remote.path,
                        dest,
                        label=label,
                        expected_sha256=expected_sha256,
                        listed_size=remote.size,
                    )
                except (OSError, EOFError, paramiko.SSHException) as exc:
                    if expired.is_set():
                        raise TimeoutError(
                            f"the transfer took longer than {budget:.0f} s (read_timeout plus {remote.size} "
                            f"bytes at min_transfer_rate {self.settings.min_transfer_rate:g} bytes/s)"
                        ) from exc
                    raise

        try:
            received = self._retrying(label, transfer)
            after = self._retrying(label, lambda sftp: sftp.stat(remote.path))
        except SftpError as exc:
            if not isinstance(exc.__cause__, FileNotFoundError):
                raise
            # Renamed or removed since the listing (an upload finishing under its final name): the
            # next listing shows what is there now; it is no reason to stop the files after it.
            dest.unlink(missing_ok=True)
            raise RemoteFileGone(f"{label}: gone since the listing; left for a later run") from exc
        listed = (remote.size, int(remote.mtime.timestamp()))
        seen = {(received.size, received.mtime), (int(after.st_size or 0), int(after.st_mtime or 0))}
        if seen != {listed}:
            dest.unlink(missing_ok=True)
            raise RemoteFileChanged(
                f"{label}: changed while being read (listed {listed[0]} bytes, mtime {listed[1]}; "
                f"then saw {sorted(seen)}): still being written, left for a later run"
            )
        actual = RemoteFile(
            remote.path, remote.name, received.size, datetime.fromtimestamp(received.mtime, UTC)
        )
        log.info("downloaded %s (%d bytes, sha256 %s)", label, received.size, received.sha256[:12])
        return DownloadedFile(actual, dest, received.sha256)

    def _retrying(self, label: str, operation: Callable[[paramiko.SFTPClient], T]) -> T:
        loop = retrying(
            self.settings.retry,
            retry_on=_retryable,
            stats=self.stats,
            logger=log,
            reason=_reason,
            sleep=self._sleep,
            rand=self._rand,
        )
        result: T = loop(self._attempt, label, operation)
        return result

    def _attempt(self, label: str, operation: Callable[[paramiko.SFTPClient], T]) -> T:
        try:
            return operation(self._session())
        except ConnectorError:
            self.close()
            raise
        except (FileNotFoundError, PermissionError) as exc:
            raise SftpError(f"{label}: {exc.strerror or exc}") from exc
        except (OSError, EOFError, paramiko.SSHException) as exc:
            self.close()  # the session may be half dead; the next attempt starts a new one
            raise SftpTransferError(f"{label}: connection failed ({type(exc).__name__}: {exc})") from exc

    def _session(self) -> paramiko.SFTPClient:
        if self._sftp is not None:
            return self._sftp
        s = self.settings
        load_known_hosts(s.known_hosts_path)  # fails early and clearly on a missing or empty file
        key = _private_key(s.private_key_path)
        client = paramiko.SSHClient()
        client.load_host_keys(str(s.known_hosts_path))  # explicitly this file; never the system's
        client.set_missing_host_key_policy(PinnedHostKeyPolicy(s.known_hosts_path))
        try:
            client.connect(
                s.host,
                port=s.port,
                username=s.username,
                pkey=key,
                look_for_keys=False,
                allow_agent=False,
                timeout=s.connect_timeout,
                banner_timeout=s.connect_timeout,
                auth_timeout=s.connect_timeout,
            )
            sftp = _open_sftp(client, s.connect_timeout)
        except HostKeyError:
            client.close()
            raise
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise changed_key_error(exc, f"{s.host}:{s.port}", s.known_hosts_path) from exc
        except paramiko.AuthenticationException as exc:
            client.close()
            raise SftpError(f"{self._where}: login refused for key {s.private_key_path}") from exc
        except (OSError, EOFError, paramiko.SSHException):
            client.close()
            raise
        channel = sftp.get_channel()
        if channel is not None:
            channel.settimeout(s.read_timeout)  # a silently dead link raises instead of hanging forever
        self._client, self._sftp = client, sftp
        return sftp


@contextmanager
def _deadline(client: paramiko.SSHClient | None, seconds: float) -> Iterator[threading.Event]:
    """Close ``client`` if the block is still running after ``seconds``: every paramiko wait in it
    then ends with an error. The event yielded tells whether the deadline struck; by the end of the
    block, a deadline striking at that very moment has finished closing."""
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        if client is not None:
            client.close()

    watchdog = threading.Timer(seconds, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield expired
    finally:
        watchdog.cancel()
        watchdog.join()


def _open_sftp(client: paramiko.SSHClient, timeout: float) -> paramiko.SFTPClient:
    """``client.open_sftp()``, given up after ``timeout`` seconds.

    paramiko waits for the answers that open an SFTP session (the channel, the subsystem request, the
    version handshake) without any bound of its own (an hour for the channel, forever for the rest),
    and the channel's read timeout can only be set once the session is open: a server that logs us
    in and then says nothing would hold the run forever. A timer closes the connection at the
    deadline, which ends every one of those waits with an error (retried as a dropped connection).
    """
    with _deadline(client, timeout) as expired:
        try:
            sftp = client.open_sftp()
        except (OSError, EOFError, paramiko.SSHException) as exc:
            if expired.is_set():
                raise paramiko.SSHException(f"no SFTP session within {timeout:g} s of logging in") from exc
            raise
    if expired.is_set():  # the deadline struck as the session opened
        raise paramiko.SSHException(f"no SFTP session within {timeout:g} s of logging in")
    return sftp


def _retryable(exc: BaseException) -> bool:
    """A dropped connection or a transfer that arrived damaged; never a refusal (host key, login,
    missing file): trying again cannot fix those."""
    return isinstance(exc, ConnectorError) and exc.retryable


def _reason(exc: BaseException) -> str:
    return "connection" if isinstance(exc, SftpTransferError) else "integrity"


def _private_key(path: Path) -> paramiko.PKey:
    """The client key at ``path`` (any type paramiko reads, no passphrase); :class:`SftpError` if not."""
    try:
        return paramiko.PKey.from_path(path)
    except FileNotFoundError as exc:
        raise SftpError(f"SFTP private key {path} does not exist") from exc
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise SftpError(f"cannot read SFTP private key {path} ({type(exc).__name__})") from exc
