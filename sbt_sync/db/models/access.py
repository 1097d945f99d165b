"""The personal-data access log (UU 27/2022): who read which ASN's personal data, when, how and why.

One ``personal_data_access`` row per read (a page, an API response, a CLI listing or export), and one
``personal_data_access_nips`` row per ASN it showed, holding the NIP's HMAC-SHA256 under the
deployment's key (``pdp.access_key_env``), never the NIP: the log is not itself a copy of the data, yet
a subject's reads are found by hashing their NIP with the same key (:func:`sbt_sync.pdp.access.nip_hash`).

Both tables are append-only: triggers refuse UPDATE and DELETE on both backends (migration 0013). The
one sanctioned deletion is :func:`sbt_sync.pdp.access.purge_access_log` (retention).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sbt_sync.db.base import Base, JsonType, utcnow

CHANNELS = ("console", "api", "cli")
WHO_KINDS = ("user", "token", "os_user")


class PersonalDataAccess(Base):
    """One read of personal data by a person (or an API token acting for one)."""

    __tablename__ = "personal_data_access"
    __table_args__ = (
        CheckConstraint("channel IN ('console', 'api', 'cli')", name="channel"),
        CheckConstraint("who_kind IN ('user', 'token', 'os_user')", name="who_kind"),
        Index("ix_personal_data_access_who_accessed_at", "who", "accessed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    accessed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    """When (UTC)."""
    who: Mapped[str] = mapped_column(String(128))
    """The console account's username (also for an API token: its owner), or the OS user running the CLI."""
    who_kind: Mapped[str] = mapped_column(String(16))
    """``user`` (a console account), ``token`` (an API token, ``who`` its owner), ``os_user`` (CLI)."""
    token_name: Mapped[str | None] = mapped_column(String(128))
    """For the API: the name of the token the request carried (``who`` is the account owning it)."""
    channel: Mapped[str] = mapped_column(String(8), index=True)
    """``console``, ``api`` or ``cli``."""
    kind: Mapped[str] = mapped_column(String(32), index=True)
    """What was read (:data:`sbt_sync.pdp.access.KINDS`): ``case``, ``conflict``, ``source_record``,
    ``search``, ``export``, ``subject_report``, ``access_log``, ..."""
    target: Mapped[str | None] = mapped_column(String(255))
    """Which object or screen (``case 12``, ``/api/v1/cases``), with any NIP in it replaced by a hash."""
    nip_count: Mapped[int] = mapped_column(Integer, default=0)
    """How many distinct ASN the read showed (the rows of ``personal_data_access_nips``)."""
    purpose: Mapped[str | None] = mapped_column(Text)
    """Why, where the screen asks (free text given by the reader)."""
    rows: Mapped[int | None] = mapped_column(Integer)
    """For a bulk export: how many rows it wrote."""
    filter: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    """For a bulk export or a search: the filter it used (NIPs in it replaced by hashes)."""
    client_address: Mapped[str | None] = mapped_column(String(64))
    """The console or API client's address (through a trusted proxy's forwarded header); None for the CLI."""


class PersonalDataAccessNip(Base):
    """One ASN a read showed: the keyed hash of their NIP (hex HMAC-SHA256), never the NIP."""

    __tablename__ = "personal_data_access_nips"

    access_id: Mapped[int] = mapped_column(ForeignKey("personal_data_access.id"), primary_key=True)
    nip_hash: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
