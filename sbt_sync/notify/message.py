"""The mail a letter travels in: a stable Message-ID and the same bytes on every attempt.

The Message-ID is the outbox row's idempotency key: it is derived from the letter (id and the sha256 of
its PDF) when the letter is queued, stored, and carried by every attempt, so a receiver that sees the
message twice (after a crash in the ambiguous window, see :mod:`sbt_sync.notify.notifier`) can tell.
The body, the MIME boundary and the Date header are derived from stored data only, so an attempt after
a crash sends the very same message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

STEP_TITLES = {
    "peringatan_dini": "Peringatan Dini",
    "peringatan": "Peringatan",
    "teguran": "Teguran",
    "pemberitahuan": "Pemberitahuan",
}
"""How the letters name their step (Bahasa Indonesia)."""


def message_id(letter_id: int, pdf_sha256: str, from_address: str) -> str:
    """``<sbt-letter-<id>-<sha256 prefix>@<sender's domain>>``: unique per letter, stable for it."""
    domain = from_address.rpartition("@")[2] or "sbt-sync.invalid"
    return f"<sbt-letter-{letter_id}-{pdf_sha256[:16]}@{domain}>"


def rekey(old: str, letter_id: int, pdf_sha256: str) -> str:
    """The Message-ID of a letter re-rendered before anyone received it (its PDF changed), at the old
    one's domain: a receiver must never see two different letters under one Message-ID."""
    domain = old.rstrip(">").rpartition("@")[2] or "sbt-sync.invalid"
    return f"<sbt-letter-{letter_id}-{pdf_sha256[:16]}@{domain}>"


SUBJECT_CHARS = 255
"""The longest subject: the width of ``notification_outbox.subject`` (PostgreSQL refuses a longer one
with the whole letter's draft)."""


def subject(step: str, number: str, instansi_name: str) -> str:
    """The mail's subject: the step, the letter's number and the instansi's name, the name shortened
    (ending in "…") when the whole would pass :data:`SUBJECT_CHARS`; the letter itself names it whole."""
    head = f"{STEP_TITLES.get(step, step)} tindak lanjut rekomendasi netralitas ASN - {number} - "
    room = SUBJECT_CHARS - len(head)
    if len(instansi_name) > room:
        instansi_name = instansi_name[: max(room - 1, 0)].rstrip() + "…"
    return (head + instansi_name)[:SUBJECT_CHARS]


def build_message(
    *,
    message_id: str,
    from_name: str,
    from_address: str,
    recipients: Sequence[str],
    subject: str,
    number: str,
    step: str,
    instansi_name: str,
    case_count: int,
    created_at: datetime,
    pdf: bytes,
) -> bytes:
    """The complete message (headers, a short text in Bahasa Indonesia, the letter as a PDF)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(created_at)
    msg["From"] = formataddr((from_name, from_address))
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg.set_content(
        f"Yth. Pejabat Pembina Kepegawaian {instansi_name},\n\n"
        f"Terlampir surat {STEP_TITLES.get(step, step)} nomor {number} mengenai tindak lanjut "
        f"rekomendasi pelanggaran netralitas ASN ({case_count} kasus).\n\n"
        "Surat ini dikirim otomatis oleh SBT (Sistem Berbagi Terintegrasi), Badan Kepegawaian Negara. "
        "Mohon tidak membalas surel ini.\n"
    )
    filename = re.sub(r"[^A-Za-z0-9._-]+", "-", number).strip("-") + ".pdf"
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    msg.set_boundary("sbt-" + hashlib.sha256(message_id.encode()).hexdigest()[:32])
    return msg.as_bytes(policy=policy.SMTP)
