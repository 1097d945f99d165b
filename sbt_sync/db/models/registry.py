"""The ASN identity reference, a local copy of SIASN's registry (4.3 million rows nationally)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sbt_sync.db.base import Base, utcnow


class AsnRegistryEntry(Base):
    """One ASN as SIASN knows them; the registry wins for name, instansi and Kanreg."""

    __tablename__ = "asn_registry"
    __table_args__ = (
        Index(None, "birth_date", "gender"),
        Index(None, "instansi_id"),
        Index(None, "name_normalised"),
        CheckConstraint("gender IN ('M', 'F')", name="gender"),
        CheckConstraint("kind IN ('PNS', 'PPPK')", name="kind"),
    )

    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    siasn_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_normalised: Mapped[str] = mapped_column(String(255))
    front_title: Mapped[str | None] = mapped_column(String(64))
    back_title: Mapped[str | None] = mapped_column(String(128))
    birth_date: Mapped[date]
    gender: Mapped[str] = mapped_column(String(1))
    kind: Mapped[str] = mapped_column(String(4))
    instansi_id: Mapped[str] = mapped_column(String(64))
    instansi_name: Mapped[str] = mapped_column(String(255))
    kanreg_id: Mapped[str] = mapped_column(String(16))
    status_id: Mapped[str] = mapped_column(String(8))
    """SIASN kedudukanPnsId (active, retired, dismissed, ...)."""
    status_name: Mapped[str] = mapped_column(String(128))
    position: Mapped[str | None] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    source_updated_at: Mapped[datetime | None]
    left_on: Mapped[datetime | None]
    """When the ASN left service: the ``updatedAt`` of the first version that showed a leaving
    kedudukan, kept while the code stays a leaving one (another leaving code included) and cleared
    when the ASN is active again. Not ``source_updated_at``: SIASN editing a retired ASN's row later
    (an address, a name) moves that, and would date the departure after the PPK deadline."""
    siasn_doubt: Mapped[str | None] = mapped_column(String(64))
    """Why SIASN cannot vouch for this row now (None: it can): ``not_found`` (the per-NIP lookup
    answered 404: a NIP correction or a removal) or ``unknown_kedudukan:<code>`` (a version with a
    kedudukan code we do not know was refused; the row keeps the previous one). The reconciliation
    holds the ASN's cases while it is set; any readable version of the row clears it."""
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)
