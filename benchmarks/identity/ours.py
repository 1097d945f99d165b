"""Our path: ``make_query`` for each row, one ``CandidateSearch.search`` over all of them, ``resolve`` each,
against the benchmark database's ``asn_registry`` (4.3 million rows, indexes and pg_trgm in place)."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path
from time import perf_counter

from sqlalchemy import text

from benchmarks.identity.rows import read_rows
from benchmarks.identity.spec import Outcome, RunSpec
from benchmarks.ingest.spec import rss_mb
from sbt_sync.db.engine import Database
from sbt_sync.reconcile.candidates import CandidateSearch, trigram_available
from sbt_sync.reconcile.identity import IdentityThresholds, make_query, resolve
from sbt_sync.settings import IdentitySettings


def _backend_peak_mb(database: Database) -> float | None:
    """Peak resident set of the PostgreSQL backends serving this database (same machine only).

    It counts the shared buffers a backend touched as well as its own memory: an upper bound.
    """
    with database.session() as session:
        pids = session.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        peaks = []
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
            except OSError:
                return None
            peaks += [
                int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")
            ]
    return max(peaks, default=None)


def run(spec: RunSpec) -> Outcome:
    assert spec.database_url is not None
    rows = read_rows(Path(spec.rows_path))
    thresholds = IdentityThresholds.from_settings(IdentitySettings(**spec.thresholds))
    database = Database(spec.database_url)
    with database.session() as session:
        trigram = trigram_available(session)  # also opens the pooled connection outside the clock
    before = rss_mb()

    started = perf_counter()
    queries = [make_query(nip_raw=r.nip_raw, name=r.name, instansi=r.instansi) for r in rows]
    found = CandidateSearch(database, thresholds).search(queries)
    searched = perf_counter()
    decisions = [resolve(q, c, thresholds) for q, c in zip(queries, found, strict=True)]
    finished = perf_counter()

    offered = sum(
        1
        for row, d in zip(rows, decisions, strict=True)
        if d.outcome == "conflict" and row.true_nip in {c.nip for c in d.candidates}
    )
    sizes = [len(c) for c in found]
    checks = {
        "ranked_search": trigram,
        "outcomes": dict(Counter(d.outcome for d in decisions)),
        "rules": dict(Counter(d.rule for d in decisions)),
        "conflicts_offering_true_person": offered,
        "candidates_per_row_mean": round(statistics.fmean(sizes), 1),
        "candidates_per_row_max": max(sizes),
        "server_backend_peak_mb": _backend_peak_mb(database),
    }
    database.dispose()
    return Outcome(
        rows=len(rows),
        seconds=finished - started,
        rss_before_mb=before,
        phases={"search": searched - started, "resolve": finished - searched},
        links={
            str(row.id): [d.nip, d.score] if d.outcome == "linked" else [None, d.score]
            for row, d in zip(rows, decisions, strict=True)
        },
        checks=checks,
    )
