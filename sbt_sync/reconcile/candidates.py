"""Registry candidate search for identity resolution: many queries, few round trips.

Blocking keys, each an indexed lookup of ``asn_registry`` batched over all queries: the NIP, the exact
normalised name, the birth date (from a valid NIP or recovered from a partial one). A query those keys
leave without a plausible candidate falls back to fuzzy neighbours: on PostgreSQL with pg_trgm and a
trigram index on ``name_normalised`` (``ensure_trigram_index``), the nearest names nationally; elsewhere
the names of its instansi that share its first or last token. SQL is built with bound parameters only.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, and_, or_, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute, Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry as Asn
from sbt_sync.reconcile.identity import (
    IdentityQuery,
    IdentityThresholds,
    RegistryCandidate,
    name_similarity,
    normalise_instansi,
)
from schemas.names import normalise_name

log = logging.getLogger(__name__)

CHUNK = 2_000
"""Values per IN list or fallback batch: far below SQLite's 32,766 bound parameters."""
FUZZY_LIMIT = 20
TRIGRAM_THRESHOLD = 0.5
_COLUMNS = (Asn.nip, Asn.name_normalised, Asn.birth_date, Asn.gender, Asn.instansi_id, Asn.instansi_name)
_TRIGRAM_INDEX = "ix_asn_registry_name_normalised_trgm"
_TRIGRAM_SEARCH = text(
    "SELECT q.i, r.nip, r.name_normalised, r.birth_date, r.gender, r.instansi_id, r.instansi_name "
    "FROM unnest(CAST(:idx AS integer[]), CAST(:names AS text[])) AS q(i, name) "
    "CROSS JOIN LATERAL (SELECT a.* FROM asn_registry a WHERE a.name_normalised % q.name "
    "ORDER BY similarity(a.name_normalised, q.name) DESC, a.nip LIMIT :k) AS r"
)


def ensure_trigram_index(database: Database) -> bool:
    """Create pg_trgm and the trigram index when allowed; True when fuzzy search can use them.

    Always False on SQLite. Without superuser rights ``CREATE EXTENSION`` fails: that is logged and
    the search falls back to instansi blocking (a migration run by an owner should create both).
    """
    if database.dialect != "postgresql":
        return False
    try:
        with database.session() as session:
            session.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            session.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS {_TRIGRAM_INDEX} ON asn_registry "
                    "USING gin (name_normalised gin_trgm_ops)"
                )
            )
    except DBAPIError as exc:
        log.warning("pg_trgm unavailable, fuzzy identity search uses instansi blocking: %s", exc.orig)
        return False
    return True


def trigram_available(session: Session) -> bool:
    """Whether pg_trgm is installed and ``name_normalised`` has a trigram index (PostgreSQL only)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    found = session.execute(
        text(
            "SELECT 1 FROM pg_extension e, pg_indexes i WHERE e.extname = 'pg_trgm' "
            "AND i.tablename = 'asn_registry' AND i.indexdef LIKE '%gin_trgm_ops%'"
        )
    ).first()
    return found is not None


class CandidateSearch:
    """Registry candidates for batches of identity queries; one instance per reconciliation run."""

    def __init__(self, database: Database, thresholds: IdentityThresholds, *, chunk: int = CHUNK) -> None:
        self._database = database
        self._thresholds = thresholds
        self._chunk = chunk
        self._instansi: dict[str, set[str]] | None = None

    def search(self, queries: Sequence[IdentityQuery]) -> list[list[RegistryCandidate]]:
        """For each query, in order, the registry rows ``resolve`` should score (possibly none).

        A query whose NIP is registered under a matching name gets only that holder; every other query
        gets all rows sharing its blocking keys, plus fuzzy neighbours when those hold nothing plausible.
        """
        found: list[dict[str, RegistryCandidate]] = [{} for _ in queries]
        with self._database.session() as session:
            by_nip = self._lookup(session, Asn.nip, {q.nip for q in queries if q.nip})
            open_ = []
            for i, query in enumerate(queries):
                holder = by_nip.get(query.nip or "", [])
                found[i].update((c.nip, c) for c in holder)
                if not holder or not self._similar(query, holder, self._thresholds.name_mismatch):
                    open_.append(i)
            names = {i: normalise_name(queries[i].name) for i in open_}
            by_name = self._lookup(session, Asn.name_normalised, {n for n in names.values() if n})
            by_birth = self._lookup(session, Asn.birth_date, {queries[i].birth_date for i in open_} - {None})
            fuzzy = []
            for i in open_:
                birth = queries[i].birth_date
                found[i].update((c.nip, c) for c in by_name.get(names[i], []))
                found[i].update((c.nip, c) for c in by_birth.get(birth, []) if birth is not None)
                if names[i] and not self._similar(
                    queries[i], found[i].values(), self._thresholds.min_candidate
                ):
                    fuzzy.append(i)
            for i, candidate in self._fuzzy(session, [(i, queries[i], names[i]) for i in fuzzy]):
                found[i].setdefault(candidate.nip, candidate)
        return [sorted(f.values(), key=lambda c: c.nip) for f in found]

    def _similar(self, query: IdentityQuery, rows: Iterable[RegistryCandidate], floor: float) -> bool:
        return any(name_similarity(query.name, c.name_normalised) >= floor for c in rows)

    def _lookup(
        self, session: Session, column: InstrumentedAttribute[Any], keys: set[Any]
    ) -> dict[Any, list[RegistryCandidate]]:
        result: dict[Any, list[RegistryCandidate]] = defaultdict(list)
        ordered = sorted(keys)
        for start in range(0, len(ordered), self._chunk):
            chunk = ordered[start : start + self._chunk]
            for row in session.execute(select(*_COLUMNS).where(column.in_(chunk))):
                candidate = _candidate(row)
                result[getattr(candidate, column.key)].append(candidate)
        return result

    def _fuzzy(
        self, session: Session, pending: list[tuple[int, IdentityQuery, str]]
    ) -> Iterable[tuple[int, RegistryCandidate]]:
        if not pending:
            return
        if trigram_available(session):
            session.execute(
                text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
                {"t": str(TRIGRAM_THRESHOLD)},
            )
            for start in range(0, len(pending), self._chunk):
                chunk = pending[start : start + self._chunk]
                params = {"idx": [p[0] for p in chunk], "names": [p[2] for p in chunk], "k": FUZZY_LIMIT}
                for row in session.execute(_TRIGRAM_SEARCH, params):
                    yield row[0], _candidate(row[1:])
            return
        for start in range(0, len(pending), self._chunk // 10):
            yield from self._instansi_tokens(session, pending[start : start + self._chunk // 10])

    def _instansi_tokens(
        self, session: Session, pending: list[tuple[int, IdentityQuery, str]]
    ) -> Iterable[tuple[int, RegistryCandidate]]:
        """Names of the query's instansi starting with its first token or ending with its last."""
        wanted: list[tuple[int, set[str], str, str]] = []
        for i, query, name in pending:
            ids = self._instansi_ids(session, query.instansi)
            tokens = name.split()
            if ids and tokens:
                wanted.append((i, ids, f"{tokens[0]} %", f"% {tokens[-1]}"))
        if not wanted:
            return
        clauses = [
            and_(
                Asn.instansi_id.in_(sorted(ids)),
                or_(Asn.name_normalised.like(a), Asn.name_normalised.like(b)),
            )
            for _, ids, a, b in wanted
        ]
        rows = [_candidate(row) for row in session.execute(select(*_COLUMNS).where(or_(*clauses)))]
        for i, ids, first, last in wanted:
            for c in rows:
                if c.instansi_id in ids and (
                    c.name_normalised.startswith(first[:-1]) or c.name_normalised.endswith(last[1:])
                ):
                    yield i, c

    def _instansi_ids(self, session: Session, written: str | None) -> set[str]:
        """The registry's instansi ids a written instansi (id or name) denotes; loaded once per search."""
        if self._instansi is None:
            self._instansi = defaultdict(set)
            for ident, name in session.execute(
                select(Asn.instansi_id, Asn.instansi_name).distinct()
            ).tuples():
                self._instansi[normalise_instansi(ident)].add(ident)
                self._instansi[normalise_instansi(name)].add(ident)
        return self._instansi.get(normalise_instansi(written), set())


def _candidate(row: Row[Any] | Sequence[Any]) -> RegistryCandidate:
    nip, name, birth, gender, instansi_id, instansi_name = tuple(row)
    return RegistryCandidate(nip, name, birth, gender, instansi_id, instansi_name)
