"""A hostile SFTP server on loopback: it lists whatever names it is given, absolute paths and all.

No real filesystem can hold a file named ``/tmp/x.csv`` or ``a\x00b.csv``, but a server can list one:
the SFTP protocol sends names as strings. This server lists ``files`` (name -> bytes) in one directory
and serves each under ``<directory>/<name>``, exactly as the reader asks for it.
"""

from __future__ import annotations

import contextlib
import socket
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)
from paramiko.message import Message
from paramiko.sftp import CMD_NAME, SFTP_NO_SUCH_FILE, SFTP_OK, SFTP_PERMISSION_DENIED

from tests.connectors.helpers_sftp import write_keypair


@dataclass(frozen=True)
class HostileServer:
    port: int
    client_key: Path
    known_hosts: Path
    directory: str


class _KeyAuth(paramiko.ServerInterface):
    def __init__(self, key: paramiko.PKey) -> None:
        self._blob = key.asbytes()

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        return AUTH_SUCCESSFUL if key.asbytes() == self._blob else AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return OPEN_SUCCEEDED if kind == "session" else OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


Stall = Literal["sftp_init", "read", "trickle", "listing"] | None
"""Where the server goes silent (until the test ends): before answering the SFTP subsystem's version
handshake, or on the first read of a file's content; or how it slows down: ``trickle`` answers each
read with one byte after a pause well within any read timeout, ``listing`` answers each page of a
directory listing after such a pause with more names, never reaching the listing's end."""
TRICKLE_PAUSE = 0.2


class _EndlessListing(paramiko.SFTPServer):
    """An SFTP server whose directory listings never end: every page (``READDIR``) comes after
    :data:`TRICKLE_PAUSE` with 16 names never listed before."""

    _listed = 0

    def _read_folder(self, request_number: int, folder: paramiko.SFTPHandle) -> None:
        time.sleep(TRICKLE_PAUSE)
        msg = Message()
        msg.add_int(request_number)
        msg.add_int(16)
        for _ in range(16):
            self._listed += 1
            attrs = paramiko.SFTPAttributes()
            attrs.filename = f"tl_listed_{self._listed}.csv"
            attrs.st_size, attrs.st_mode, attrs.st_mtime = 10, stat.S_IFREG | 0o444, 3600
            msg.add_string(attrs.filename)
            msg.add_string(attrs.filename)
            attrs._pack(msg)  # type: ignore[attr-defined]  # paramiko's own serializer, untyped
        self._send_packet(CMD_NAME, msg)  # type: ignore[attr-defined]  # as SFTPServer._read_folder


class _SilentSubsystem(paramiko.SubsystemHandler):
    """Accepts the ``sftp`` subsystem and never says a word (no version answer)."""

    def __init__(
        self,
        channel: paramiko.Channel,
        name: str,
        server: paramiko.ServerInterface,
        *,
        stopping: threading.Event,
    ) -> None:
        super().__init__(channel, name, server)
        self._stopping = stopping

    def start_subsystem(self, name: str, transport: paramiko.Transport, channel: paramiko.Channel) -> None:
        self._stopping.wait()


class _Handle(paramiko.SFTPHandle):
    def __init__(
        self,
        data: bytes,
        attrs: paramiko.SFTPAttributes,
        stall: threading.Event | None,
        endless: bool,
        trickle: bool,
    ) -> None:
        super().__init__()
        self._data, self._attrs, self._stall, self._endless = data, attrs, stall, endless
        self._trickle = trickle

    def read(self, offset: int, length: int) -> bytes | int:
        if self._stall is not None:
            self._stall.wait()
        if self._trickle:
            time.sleep(TRICKLE_PAUSE)
            return self._data[offset : offset + 1]
        if self._endless and offset + length > len(self._data):  # never an end of file
            return (
                (self._data + b"x" * length)[offset : offset + length]
                if offset < len(self._data)
                else b"x" * length
            )
        return self._data[offset : offset + length]

    def stat(self) -> paramiko.SFTPAttributes | int:
        return self._attrs


class _HostileSftp(paramiko.SFTPServerInterface):
    def __init__(
        self,
        server: paramiko.ServerInterface,
        *args: Any,
        files: Mapping[str, bytes],
        directory: str,
        stall_reads: threading.Event | None,
        endless: bool,
        unreadable: frozenset[str],
        trickle: bool,
        open_size_factor: int,
    ) -> None:
        super().__init__(server, *args)
        self._files, self._directory, self._stall_reads = files, directory, stall_reads
        self._endless, self._unreadable, self._trickle = endless, unreadable, trickle
        self._open_size_factor = open_size_factor
        self._mtime = int(time.time()) // 3600 * 3600 - 3600  # the same on every call: a settled file

    def _attrs(self, name: str) -> paramiko.SFTPAttributes:
        attrs = paramiko.SFTPAttributes()
        attrs.filename = name
        attrs.st_size = len(self._files[name])
        attrs.st_mode = stat.S_IFREG | 0o444
        attrs.st_mtime = attrs.st_atime = self._mtime
        return attrs

    def _name(self, path: str) -> str | None:
        for name in self._files:
            if path == f"{self._directory}/{name}":
                return name
        return None

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        return [self._attrs(name) for name in self._files] if path == self._directory else SFTP_NO_SUCH_FILE

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        name = self._name(path)
        return SFTP_NO_SUCH_FILE if name is None else self._attrs(name)

    lstat = stat

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> paramiko.SFTPHandle | int:
        name = self._name(path)
        if name is None:
            return SFTP_NO_SUCH_FILE
        if name in self._unreadable:
            return SFTP_PERMISSION_DENIED
        attrs = self._attrs(name)
        attrs.st_size = (attrs.st_size or 0) * self._open_size_factor
        return _Handle(self._files[name], attrs, self._stall_reads, self._endless, self._trickle)

    def remove(self, path: str) -> int:
        return SFTP_PERMISSION_DENIED

    def canonicalize(self, path: str) -> str:
        return path

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_OK


@contextlib.contextmanager
def hostile_sftp(
    folder: Path,
    files: Mapping[str, bytes],
    *,
    directory: str = "/drop",
    stall: Stall = None,
    endless: bool = False,
    open_size_factor: int = 1,
    unreadable: frozenset[str] = frozenset(),
) -> Iterator[HostileServer]:
    """Serve ``files`` from ``directory`` on a free loopback port until the block ends, going silent
    where ``stall`` says; with ``endless``, a file's content never ends (past its announced size,
    every read answers more bytes), and an opened file announces ``open_size_factor`` times the size
    its listing gave; the files named in ``unreadable`` are listed but opening them is
    refused (permission denied)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_keypair(folder / "host_key")
    host_key = paramiko.Ed25519Key.from_private_key_file(str(folder / "host_key"))
    write_keypair(folder / "client_key")
    client_key = paramiko.Ed25519Key.from_private_key_file(str(folder / "client_key"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n")
    stopping = threading.Event()
    transports: list[paramiko.Transport] = []
    channels: list[paramiko.Channel] = []

    def hold_channels(transport: paramiko.Transport) -> None:
        # paramiko closes a channel when its last reference goes away: keep every accepted one.
        while transport.is_active() and not stopping.is_set():
            channel = transport.accept(timeout=0.2)
            if channel is not None:
                channels.append(channel)

    def serve() -> None:
        while not stopping.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            transport = paramiko.Transport(sock)
            transport.add_server_key(host_key)
            if stall == "sftp_init":
                transport.set_subsystem_handler("sftp", _SilentSubsystem, stopping=stopping)
            else:
                transport.set_subsystem_handler(
                    "sftp",
                    _EndlessListing if stall == "listing" else paramiko.SFTPServer,
                    _HostileSftp,
                    files=files,
                    directory=directory,
                    stall_reads=stopping if stall == "read" else None,
                    endless=endless,
                    open_size_factor=open_size_factor,
                    unreadable=unreadable,
                    trickle=stall == "trickle",
                )
            transport.start_server(server=_KeyAuth(client_key))
            transports.append(transport)
            threading.Thread(target=hold_channels, args=(transport,), daemon=True).start()

    thread = threading.Thread(target=serve, name="hostile-sftp", daemon=True)
    thread.start()
    try:
        yield HostileServer(port, folder / "client_key", folder / "known_hosts", directory)
    finally:
        stopping.set()
        thread.join()
        listener.close()
        for transport in transports:
            transport.close()
