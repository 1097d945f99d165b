"""Our path: ``make_query`` for each row, one ``CandidateSearch.search`` over all of them, ``resolve`` each,
against the benchmark database's ``asn_registry`` (4.3 million rows, indexes and pg_trgm in place)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import text

from benchmarks.identity.rows import Row, read_rows
from benchmarks.identity.spec import Outcome, RunSpec
from benchmarks.ingest.spec import rss_mb
from sbt_sync.db.engine import Database
from sbt_sync.reconcile.identity.candidates import CandidateSearch, trigram_available
from sbt_sync.reconcile.identity.resolve import (
    IdentityDecision,
    IdentityQuery,
    IdentityThresholds,
    RegistryCandidate,
    canonical_name,
    instansi_agrees,
    make_query,
    rank,
    resolve,
)
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
    shown = _decisions(database, rows, queries, found, decisions)
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
        decisions=shown,
        checks=checks,
    )


def _decisions(
    database: Database,
    rows: Sequence[Row],
    queries: Sequence[IdentityQuery],
    found: Sequence[list[RegistryCandidate]],
    decisions: Sequence[IdentityDecision],
) -> dict[str, dict[str, Any]]:
    """Per row, the outcome, rule and candidates offered; a diagnosis where the true person was not
    linked. Outside the clock: the truth is read here only to explain the misses."""
    missed = [
        i
        for i, (row, d) in enumerate(zip(rows, decisions, strict=True))
        if (row.true_nip is not None and d.nip != row.true_nip) or (row.true_nip is None and d.nip)
    ]
    absent = {
        rows[i].true_nip
        for i in missed
        if rows[i].true_nip and all(c.nip != rows[i].true_nip for c in found[i])
    }
    registry = _registry_rows(database, sorted(n for n in absent if n))
    out: dict[str, dict[str, Any]] = {
        str(row.id): {
            "outcome": d.outcome,
            "rule": d.rule,
            "candidates": [[c.nip, c.score] for c in d.candidates],
        }
        for row, d in zip(rows, decisions, strict=True)
    }
    for i in missed:
        out[str(rows[i].id)]["diagnosis"] = diagnose(rows[i], queries[i], found[i], decisions[i], registry)
    return out


def diagnose(
    row: Row,
    query: IdentityQuery,
    pool: Sequence[RegistryCandidate],
    decision: IdentityDecision,
    registry: dict[str, RegistryCandidate],
) -> dict[str, Any]:
    """Why ``row`` did not link to its true person: where the true person stood among what the search
    found (its score and rank with no floor), and how the candidate ranked first compares."""
    by_nip = {c.nip: c for c in pool}
    true = by_nip.get(row.true_nip or "") or registry.get(row.true_nip or "")
    ranked = rank(query, pool, 0.0)
    position = next((n for n, s in enumerate(ranked, 1) if s.nip == row.true_nip), None)
    top = by_nip.get(decision.candidates[0].nip) if decision.candidates else None
    true_name = canonical_name(true.name_normalised) if true else None
    return {
        "pool": len(pool),
        "true_found_by_search": row.true_nip in by_nip,
        "true_rank": position,
        "true_score": ranked[position - 1].score if position else None,
        "true_name": true.name_normalised if true else None,
        "row_name_is_true_name": true_name is not None and canonical_name(row.name) == true_name,
        "row_instansi_is_true": None if true is None else instansi_agrees(row.instansi, true),
        "same_name_in_pool": sum(
            1 for c in pool if c.nip != row.true_nip and canonical_name(c.name_normalised) == true_name
        ),
        "top_name": top.name_normalised if top else None,
        "top_score": decision.candidates[0].score if decision.candidates else None,
        "top_same_instansi_as_true": None
        if top is None or true is None
        else top.instansi_id == true.instansi_id,
    }


def _registry_rows(database: Database, nips: list[str]) -> dict[str, RegistryCandidate]:
    """The registry rows of ``nips`` (true people the search did not find), for the diagnosis."""
    if not nips:
        return {}
    with database.session() as session:
        found = session.execute(
            text(
                "SELECT nip, name_normalised, birth_date, gender, instansi_id, instansi_name "
                "FROM asn_registry WHERE nip = ANY(:nips)"
            ),
            {"nips": nips},
        ).tuples()
        return {row[0]: RegistryCandidate(*row) for row in found}
