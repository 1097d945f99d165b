"""The sandbox's mail server: where letters to PPKs go, on loopback, with a mailbox that keeps them.

aiosmtpd on the sandbox host, requiring STARTTLS with the sandbox's own certificate (clients verify it
with the sandbox CA bundle) and a login with the sandbox's SMTP credentials before any mail. Every
message it accepts is kept in a :class:`Mailbox` (Message-ID, envelope, subject, bytes), so the demo and
tests count deliveries at the receiving end; the control server shows it at ``GET /_sandbox/mail``.
Without TLS (``tls=False`` sandboxes) it offers no STARTTLS and accepts the login in clear.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import ssl
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

log = logging.getLogger(__name__)

_READY_SECONDS = 30.0  # a loaded machine can be slow to start the server's event loop


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    """One message as the server accepted it."""

    message_id: str
    mail_from: str
    recipients: tuple[str, ...]
    subject: str
    content: bytes
    received_at: datetime

    def summary(self) -> dict[str, Any]:
        """JSON-ready, without the content (its size and sha256 instead)."""
        return {
            "message_id": self.message_id,
            "mail_from": self.mail_from,
            "recipients": list(self.recipients),
            "subject": self.subject,
            "size": len(self.content),
            "sha256": hashlib.sha256(self.content).hexdigest(),
            "received_at": self.received_at.isoformat(),
        }


class Mailbox:
    """Every message the sandbox's mail server accepted, in order; safe to read from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[ReceivedMail] = []

    def add(self, mail: ReceivedMail) -> int:
        """Keep ``mail``; returns how many messages the box holds now."""
        with self._lock:
            self._messages.append(mail)
            return len(self._messages)

    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._messages)

    def counts(self) -> Counter[str]:
        """Deliveries per Message-ID (more than 1: the same message arrived again)."""
        return Counter(mail.message_id for mail in self.messages())

    def snapshot(self) -> dict[str, Any]:
        """What ``GET /_sandbox/mail`` answers: counts and every message's summary."""
        messages = self.messages()
        counts = Counter(mail.message_id for mail in messages)
        return {
            "messages": len(messages),
            "message_ids": len(counts),
            "duplicates": {mid: n for mid, n in counts.items() if n > 1},
            "recipients": len({r for mail in messages for r in mail.recipients}),
            "received": [mail.summary() for mail in messages],
        }


class _Keeper:
    """The aiosmtpd handler: every accepted message goes to the mailbox."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        headers = message_from_bytes(content, policy=policy.default)
        mail = ReceivedMail(
            message_id=str(headers.get("Message-ID", "")).strip(),
            mail_from=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            subject=str(headers.get("Subject", "")),
            content=content,
            received_at=datetime.now(UTC),
        )
        held = self.mailbox.add(mail)
        return f"250 2.0.0 Ok: queued as SBX{held:06d}"


class _Controller(Controller):
    """aiosmtpd's threaded controller, able to bind an ephemeral port (0) and report it."""

    def _trigger_server(self) -> None:
        if isinstance(self.server, asyncio.Server) and self.server.sockets:
            self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]  # aiosmtpd's own, untyped


class SandboxSmtpServer:
    """aiosmtpd on ``host``: STARTTLS (when given a context) and a login required before mail."""

    def __init__(
        self,
        *,
        username: str,
        password: str,
        tls_context: ssl.SSLContext | None,
        mailbox: Mailbox | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.username = username
        self._password = password
        self.mailbox = mailbox or Mailbox()
        self.host = host
        self.starttls = tls_context is not None
        # Without TLS the login goes in clear: acceptable on loopback only, and only when asked for.
        tls: dict[str, Any] = {"auth_require_tls": False}
        if tls_context is not None:
            tls = {"tls_context": tls_context, "require_starttls": True, "auth_require_tls": True}
        self._controller = _Controller(
            _Keeper(self.mailbox),
            hostname=host,
            port=port,
            ready_timeout=_READY_SECONDS,
            authenticator=self._authenticate,
            auth_required=True,
            **tls,
        )
        self._running = False

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and hmac.compare_digest(data.login, self.username.encode())
            and hmac.compare_digest(data.password, self._password.encode())
        )
        # handled=False: aiosmtpd answers a refusal with 535 itself
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        """Bind and serve from a daemon thread; ``OSError`` or ``TimeoutError`` if it cannot."""
        try:
            self._controller.start()
        except BaseException:
            with contextlib.suppress(Exception):  # a half-started loop thread must not linger
                self._controller.stop()
            raise
        self._running = True
        log.info("sandbox SMTP on %s:%d (STARTTLS %s)", self.host, self.port, self.starttls)

    def stop(self) -> None:
        """Stop serving (idempotent); the mailbox keeps what it received."""
        if self._running:
            self._running = False
            self._controller.stop()
