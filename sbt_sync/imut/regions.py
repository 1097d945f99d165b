"""A region a regional head governs, by name: the registry's name of the government the head heads.

I-MUT names a region by its Kemendagri code (``32.73``) and the deciding official's instansi (the
regional government, ``Pemerintah Kota Bandung``); no reference list of region names ships with the
product, so the name is the registry's name of that government without its ``Pemerintah`` prefix
(``Kota Bandung``). None when the registry mirror does not know that instansi.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.reconcile.identity.store import chunks

GOVERNMENT_PREFIX = "pemerintah "
"""How the registry names a regional government ("Pemerintah Kabupaten Sampang")."""


def region_name(government: str | None) -> str | None:
    """The region a government's registry name names: the name without ``Pemerintah``."""
    if not government or not government.strip():
        return None
    name = government.strip()
    if name.lower().startswith(GOVERNMENT_PREFIX):
        return name[len(GOVERNMENT_PREFIX) :].strip() or name
    return name


def region_names(session: Session, governments: Mapping[str, str]) -> dict[str, str]:
    """Per region code, its name (:func:`region_name`) from ``governments`` (region code: the instansi
    id of the government that governs it); a region whose instansi the registry lacks is left out."""
    ids = sorted(set(governments.values()))
    known: dict[str, str] = {}
    for chunk in chunks(ids):
        query = (
            select(AsnRegistryEntry.instansi_id, func.min(AsnRegistryEntry.instansi_name))
            .where(AsnRegistryEntry.instansi_id.in_(list(chunk)))
            .group_by(AsnRegistryEntry.instansi_id)
        )
        known.update((i, n) for i, n in session.execute(query).tuples() if n)
    named = {code: region_name(known.get(instansi)) for code, instansi in governments.items()}
    return {code: name for code, name in named.items() if name}
