"""The SMTP seam: one connection (STARTTLS, optional login) that sends one message per call and says
whether a failure is worth retrying.

Replies classify failures as SMTP defines them (RFC 5321 section 4.2.1): 4xx and lost connections are
transient (:class:`TransientMailError`), 5xx permanent (:class:`PermanentMailError`, with the server's
words). A server that refuses our credentials or our TLS settings raises :class:`MailConfigError`:
nothing is parked for a problem of ours. :meth:`SmtpSender.send` calls ``before_end`` just before the
line that ends the message data: from then on the server may have accepted the message even if we
never read its answer (the only ambiguous window of an SMTP transaction).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

_LEADING_DOT = re.compile(rb"(?m)^\.")
_LINE_END = re.compile(rb"\r?\n")


CANNOT_CONNECT = "cannot connect to {server}: {error}"
SESSION_FAILED = "session with {server} failed: {error}"
CONNECTION_LOST = "connection lost: {error}"
LOST_AFTER_DATA = "connection lost after the end of the data (the server may hold the message): {error}"
NOT_ASCII = "cannot be sent: an address is not plain ASCII ({error})"
SOME_DEFERRED = "recipient(s) deferred: {answers}"
ALL_REFUSED = "every recipient refused: {answers}"
"""How this sender words a failure that is not the server's own reply (a row's ``server_answer`` may
keep it; the console says each in words: :func:`sbt_sync.console.labels_problems.mail_answer`)."""


class MailError(Exception):
    """A message was not delivered."""


class TransientMailError(MailError):
    """A 4xx reply or a lost connection: the same message may be tried again later.

    ``ambiguous``: the connection was lost after the end of the data was sent, so the server may
    have accepted the message (a re-send may deliver it twice, with the same Message-ID).
    ``refused``: recipients the server refused permanently (5xx) while deferring the others;
    ``deferred``: the recipients it deferred (4xx at RCPT TO), with its words.
    """

    def __init__(
        self,
        message: str,
        *,
        ambiguous: bool = False,
        refused: dict[str, str] | None = None,
        deferred: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous
        self.refused = refused or {}
        self.deferred = deferred or {}


class PermanentMailError(MailError):
    """A 5xx reply: the server refuses this message; trying again will not help. ``refused``: when
    the server refused every recipient, each one's answer."""

    def __init__(self, answer: str, *, refused: dict[str, str] | None = None) -> None:
        super().__init__(answer)
        self.answer = answer
        self.refused = refused or {}


class MailConfigError(MailError):
    """Our side is wrong (credentials, TLS, a server without STARTTLS): stop, park nothing."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_bundle: Path | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class SentAnswer:
    """The server accepted the message for ``accepted``; ``refused`` recipients got a 5xx,
    ``deferred`` ones a 4xx (they have not received it: send it to them again later)."""

    answer: str
    accepted: tuple[str, ...]
    refused: dict[str, str]
    deferred: dict[str, str] = field(default_factory=dict)


def _text(code: int, message: bytes | str) -> str:
    words = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(words.split())}"


def _failure(code: int, message: bytes | str) -> MailError:
    text = _text(code, message)
    return PermanentMailError(text) if 500 <= code < 600 else TransientMailError(text)


class SmtpSender:
    """Sends messages over one connection, opened on first use and re-opened after a failure."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    def _connect(self) -> smtplib.SMTP:
        cfg = self._config
        try:
            conn = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientMailError(
                CANNOT_CONNECT.format(server=f"{cfg.host}:{cfg.port}", error=exc)
            ) from exc
        try:
            conn.ehlo()
            if cfg.starttls:
                if not conn.has_extn("starttls"):
                    raise MailConfigError(f"{cfg.host}:{cfg.port} does not offer STARTTLS")
                context = ssl.create_default_context(
                    cafile=str(cfg.ca_bundle) if cfg.ca_bundle is not None else None
                )
                conn.starttls(context=context)
                conn.ehlo()
            if cfg.username:
                conn.login(cfg.username, cfg.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            conn.close()
            raise MailConfigError(
                f"the server refused our credentials: {_text(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except ssl.SSLError as exc:
            conn.close()
            raise MailConfigError(f"TLS with {cfg.host}:{cfg.port} failed: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            conn.close()
            failure = _failure(exc.smtp_code, exc.smtp_error)
            if isinstance(failure, PermanentMailError):
                raise MailConfigError(f"the server refused the session: {failure.answer}") from exc
            raise failure from exc
        except (smtplib.SMTPException, OSError) as exc:
            conn.close()
            raise TransientMailError(
                SESSION_FAILED.format(server=f"{cfg.host}:{cfg.port}", error=exc)
            ) from exc
        except MailError:
            conn.close()
            raise
        return conn

    def send(
        self,
        *,
        sender: str,
        recipients: Sequence[str],
        data: bytes,
        before_end: Callable[[], None] = lambda: None,
    ) -> SentAnswer:
        """Send ``data`` (a complete message, headers included) from ``sender`` to ``recipients``.

        Raises :class:`TransientMailError`, :class:`PermanentMailError` (every recipient refused, or
        the message refused) or :class:`MailConfigError`. Recipients refused with a 4xx or a 5xx do not
        hold back the others: the message goes to those the server accepted, and the answer says who
        was deferred (to be sent it alone later) and who refused. Only when no recipient is accepted
        is the whole message transient (some deferred) or permanent (all refused).
        """
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        try:
            return self._transaction(conn, sender, recipients, data, before_end)
        except MailError:
            self._drop()
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise TransientMailError(CONNECTION_LOST.format(error=exc)) from exc
        except ValueError as exc:  # UnicodeEncodeError: an address SMTP without SMTPUTF8 cannot carry
            self._drop()
            raise PermanentMailError(NOT_ASCII.format(error=exc)) from exc

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _transaction(
        self,
        conn: smtplib.SMTP,
        sender: str,
        recipients: Sequence[str],
        data: bytes,
        before_end: Callable[[], None],
    ) -> SentAnswer:
        code, reply = conn.mail(sender)
        if code != 250:
            raise _failure(code, reply)
        refused: dict[str, str] = {}
        deferred: dict[str, str] = {}
        for rcpt in recipients:
            code, reply = conn.rcpt(rcpt)
            if code not in (250, 251):
                (refused if 500 <= code < 600 else deferred)[rcpt] = _text(code, reply)
        accepted = tuple(r for r in recipients if r not in refused and r not in deferred)
        if not accepted:
            conn.rset()
            answers = "; ".join(f"{r}: {a}" for r, a in {**refused, **deferred}.items())
            if deferred:
                raise TransientMailError(
                    SOME_DEFERRED.format(answers=answers), refused=refused, deferred=deferred
                )
            raise PermanentMailError(ALL_REFUSED.format(answers=answers), refused=refused)
        code, reply = conn.docmd("DATA")
        if code != 354:
            raise _failure(code, reply)
        body = _LEADING_DOT.sub(b"..", _LINE_END.sub(b"\r\n", data))
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        conn.send(body)
        before_end()
        try:
            conn.send(b".\r\n")
            code, reply = conn.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientMailError(
                LOST_AFTER_DATA.format(error=exc),
                ambiguous=True,
            ) from exc
        if code != 250:
            raise _failure(code, reply)
        return SentAnswer(_text(code, reply), accepted, refused, deferred)
