"""Instansi by their registry names (:mod:`sbt_sync.console.labels`), each id looked up once per page."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from sbt_sync.console.labels_reference import _word
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry


class InstansiNames:
    """Instansi names from the registry mirror, each id looked up once per page."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._known: dict[str, str | None] = {}

    def name(self, instansi_id: str) -> str | None:
        if instansi_id not in self._known:
            self.load([instansi_id])
        return self._known.get(instansi_id)

    def load(self, ids: Iterable[str]) -> None:
        wanted = [i for i in dict.fromkeys(ids) if i and i not in self._known]
        if not wanted:
            return
        with self._database.session() as session:
            rows = session.execute(
                select(AsnRegistryEntry.instansi_id, AsnRegistryEntry.instansi_name)
                .where(AsnRegistryEntry.instansi_id.in_(wanted))
                .distinct()
            ).tuples()
            found = dict(rows.all())
        for i in wanted:
            self._known[i] = found.get(i)

    def label(self, instansi_id: object, lang: str = "id") -> str:
        """ "Pemerintah Kabupaten Sampang (A5EB03E2...)": the name, the id beside it, shortened; an
        instansi the registry does not know is said so in words, its id beside it in full (what a
        steward gives to look it up)."""
        if not instansi_id:
            return "-"
        text = str(instansi_id)
        name = self.name(text)
        if name is None:
            return f"{_word('labels.unknown_instansi', lang)} ({text})"
        return f"{name} ({_short_id(text)})"


def _short_id(instansi_id: str) -> str:
    return instansi_id if len(instansi_id) <= 12 else instansi_id[:8] + "…"
