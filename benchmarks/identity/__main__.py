"""``python -m benchmarks.identity``: resolving rows without a usable NIP against the national registry,
ours (``CandidateSearch`` + ``resolve`` on PostgreSQL) against Splink 4 on DuckDB.

Once per machine: the national sandbox and the prepared registry are cached under ``--cache``. Once per
invocation: a scratch database on ``--server`` gets the registry by COPY (dropped at the end), and
Splink's model is trained. Then each contender resolves the same rows ``--runs`` times, interleaved,
each run in a fresh process; the median time is quoted. Prints the table and writes
``benchmarks/results/identity-<date>.json`` and ``identity-latest.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.identity.harness import REPO_ROOT, identity_thresholds, run_child
from benchmarks.identity.registry import (
    load_registry,
    namesakes_in_instansi,
    prepare_registry,
    registry_count,
)
from benchmarks.identity.report import table, timing, versions, write_results
from benchmarks.identity.rows import DEGRADATION, Row, benchmark_rows, training_rows, write_rows
from benchmarks.identity.sandbox import cached_sandbox, registry_size
from benchmarks.identity.score import (
    at_precision,
    at_recall,
    best_threshold,
    by_origin,
    operating_points,
    score,
    split_by_steward_rows,
    steward_rows,
)
from benchmarks.identity.spec import CONTENDERS, Contender, Outcome, RunSpec
from benchmarks.ingest.harness import postgres_version, throwaway_database
from benchmarks.ingest.report import machine
from sbt_sync.db.engine import Database

log = logging.getLogger("benchmarks.identity")

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_SECONDS = 60
LABELS = {
    "ours": "sbt-sync (CandidateSearch + resolve, PostgreSQL)",
    "splink": "Splink 4, DuckDB (best pair >= threshold)",
}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.identity", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=10_000, help="rows to resolve (10000)")
    parser.add_argument(
        "--runs", type=int, default=3, help="timed runs per contender; the median is quoted (3)"
    )
    parser.add_argument("--seed", type=int, default=7, help="sandbox and degradation seed (7)")
    parser.add_argument("--scale", default="national", choices=("national", "election"), help="sandbox scale")
    parser.add_argument("--training-rows", type=int, default=2_000, help="Splink's EM training rows (2000)")
    parser.add_argument(
        "--contenders", default=",".join(CONTENDERS), help="comma-separated subset of ours,splink"
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("SBT_BENCH_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server to create the scratch database on ($SBT_BENCH_DATABASE_URL)",
    )
    parser.add_argument("--cache", type=Path, default=REPO_ROOT / "var" / "bench" / "identity")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results alone")
    parser.add_argument(
        "--profile", type=Path, help="also run ours once under cProfile, stats into this folder"
    )
    args = parser.parse_args(argv)
    chosen = {name.strip() for name in args.contenders.split(",") if name.strip()}
    if not chosen or chosen - set(CONTENDERS):
        parser.error(f"--contenders: choose from {', '.join(CONTENDERS)}")
    if args.rows < 1 or args.runs < 1 or args.training_rows < 1:
        parser.error("--rows, --runs and --training-rows must be positive")
    args.contenders = [name for name in CONTENDERS if name in chosen]
    return args


def _log_run(name: str, run_no: int, runs: int, outcome: Outcome) -> None:
    log.info(
        "run %d/%d %-6s %6d rows %7.2f s peak %5.0f MB  %s",
        run_no,
        runs,
        name,
        outcome.rows,
        outcome.seconds,
        outcome.peak_rss_mb,
        ", ".join(f"{k} {v:.2f}s" for k, v in outcome.phases.items()),
    )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = _arguments(argv)
    contenders: list[Contender] = args.contenders
    started = datetime.now(UTC)
    sandbox = cached_sandbox(args.cache, args.seed, args.scale)
    size = registry_size(sandbox)
    prepared = prepare_registry(sandbox, args.cache, seed=args.seed, size=size)
    rows, from_sources = benchmark_rows(sandbox, prepared, args.rows, seed=args.seed)
    thresholds = identity_thresholds()
    outcomes: dict[Contender, list[Outcome]] = {name: [] for name in contenders}
    training: Outcome | None = None
    with tempfile.TemporaryDirectory(prefix="sbt-bench-identity-") as tmp:
        workdir = Path(tmp)
        rows_path = workdir / "rows.jsonl"
        write_rows(rows_path, rows)
        with throwaway_database(args.server, "identity") as url:
            database_url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
            load_phases: dict[str, float] = {}
            namesakes: dict[str, int] | None = None
            if "ours" in contenders:
                log.info("loading %d registry rows into PostgreSQL (COPY, then indexes) ...", size)
                mark = time.monotonic()
                database = Database(database_url)
                load_phases = load_registry(database, prepared)
                loaded = registry_count(database)
                namesakes = namesakes_in_instansi(database, sorted({r.true_nip for r in rows if r.true_nip}))
                database.dispose()
                if loaded != size:
                    raise RuntimeError(f"loaded {loaded} registry rows, expected {size}")
                log.info("registry loaded in %.0f s: %s", time.monotonic() - mark, load_phases)

            def spec(name: Contender, task: str, path: Path, label: str) -> RunSpec:
                return RunSpec(
                    contender=name,
                    task=task,  # type: ignore[arg-type]
                    rows_path=str(path),
                    result_path=str(workdir / f"{label}.json"),
                    database_url=database_url,
                    registry_csv=str(prepared.splink_csv),
                    instansi_csv=str(sandbox / "instansi.csv"),
                    registry_size=size,
                    model_path=str(workdir / "splink-model.json"),
                    thresholds=thresholds,
                    seed=args.seed,
                )

            if "splink" in contenders:
                train_path = workdir / "training.jsonl"
                skip = args.rows - from_sources  # people the measured rows already describe
                write_rows(
                    train_path, training_rows(prepared, args.training_rows, seed=args.seed, skip_people=skip)
                )
                log.info("training Splink once on %d rows ...", args.training_rows)
                training = run_child(spec("splink", "train", train_path, "splink-train"))
                _log_run("train", 1, 1, training)
            for run_no in range(1, args.runs + 1):
                for name in contenders:
                    outcome = run_child(spec(name, "resolve", rows_path, f"{name}-{run_no}"))
                    outcomes[name].append(outcome)
                    _log_run(name, run_no, args.runs, outcome)
            if args.profile and "ours" in contenders:
                args.profile.mkdir(parents=True, exist_ok=True)
                path = args.profile / "identity-ours.pstats"
                run_child(replace(spec("ours", "resolve", rows_path, "ours-profile"), profile_path=str(path)))
                log.info("profile of ours: %s", path)
            server = postgres_version(args.server)

    results = _results(args, rows, from_sources, size, outcomes, training, load_phases, thresholds)
    if namesakes is not None:
        results["steward_rows"] = _steward_rows(rows, namesakes, results, outcomes)
    results["started_at"] = started.isoformat(timespec="seconds")
    results["machine"] = {**machine(), "postgresql": server}
    results["versions"] = versions()
    print(table(results))
    if not args.no_write:
        for path in write_results(results, args.results, now=started):
            log.info("wrote %s", path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path)
    return 0


def _results(
    args: argparse.Namespace,
    rows: list[Row],
    from_sources: int,
    size: int,
    outcomes: dict[Contender, list[Outcome]],
    training: Outcome | None,
    load_phases: dict[str, float],
    thresholds: dict[str, float],
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "identity",
        "rows": len(rows),
        "registry_size": size,
        "target_seconds": TARGET_SECONDS,
        "meets_target": None,
        "runs": args.runs,
        "seed": args.seed,
        "scale": args.scale,
        "row_mix": {
            "from_sources": from_sources,
            "degraded_registry_people": len(rows) - from_sources,
            "with_true_person_in_registry": sum(r.true_nip is not None for r in rows),
            "degradation": DEGRADATION,
        },
        "timed": {
            "ours": "make_query per row, CandidateSearch.search over all rows, resolve per row; registry "
            "already loaded and indexed in PostgreSQL",
            "splink": "standardising the rows, registering them in DuckDB, Linker from the saved model, "
            "predict, best pair per row; registry already loaded into DuckDB (setup_seconds), model "
            "trained once beforehand (training)",
        },
    }
    if "ours" in outcomes:
        runs = outcomes["ours"]
        links = runs[0].links
        quality = score(rows, links)
        results["ours"] = {
            "label": LABELS["ours"],
            **timing(runs),
            **quality.as_dict(),
            "thresholds": thresholds,
            "by_origin": by_origin(rows, links),
            "checks": runs[0].checks,
            "same_links_every_run": all(run.links == links for run in runs),
            "registry_load_seconds": {k: round(v, 1) for k, v in load_phases.items()},
        }
    if "splink" in outcomes:
        runs = outcomes["splink"]
        links = runs[0].links
        threshold, quality = best_threshold(rows, links)
        assert training is not None
        results["splink"] = {
            "label": LABELS["splink"],
            **timing(runs),
            **quality.as_dict(),
            "threshold": threshold,
            "threshold_rule": "the match probability that maximises Splink's F1 on these rows (oracle-tuned, "
            "in Splink's favour); each row links to its best pair if that pair reaches it",
            "by_origin": by_origin(rows, links, threshold),
            "checks": runs[0].checks,
            "same_links_every_run": all(run.links == links for run in runs),
            "training": {
                "rows": training.rows,
                "seconds": round(training.seconds, 2),
                "phases_seconds": {k: round(v, 2) for k, v in training.phases.items()},
                "peak_mb": round(training.peak_rss_mb, 1),
            },
        }
    if "ours" in results:
        ours = results["ours"]
        within = ours["seconds"] <= TARGET_SECONDS
        splink = results.get("splink")
        no_worse = (
            None
            if splink is None
            else ours["precision"] >= splink["precision"] and ours["recall"] >= splink["recall"]
        )
        results["checks"] = {"within_time": within, "quality_no_worse": no_worse}
        results["meets_target"] = within and bool(no_worse)
        if splink is not None:
            # The same comparison at ours' operating point: Splink's threshold moved until it is as
            # precise as ours (its best recall there), or recalls as much (its best precision there).
            points = operating_points(rows, outcomes["splink"][0].links)
            same_precision = at_precision(points, ours["precision"])
            same_recall = at_recall(points, ours["recall"])
            splink["at_ours_precision"], splink["at_ours_recall"] = same_precision, same_recall
            results["checks"]["recall_above_splink_at_ours_precision"] = (
                same_precision is None or ours["recall"] > same_precision["recall"]
            )
            results["checks"]["precision_above_splink_at_ours_recall"] = (
                same_recall is None or ours["precision"] > same_recall["precision"]
            )
    return results


def _steward_rows(
    rows: list[Row],
    namesakes: dict[str, int],
    results: dict[str, Any],
    outcomes: dict[Contender, list[Outcome]],
) -> dict[str, Any]:
    """The rows the product must leave to a steward (``score.steward_rows``), and each contender there
    and elsewhere: not part of the target, which counts every row, but what its recall is made of."""
    steward = steward_rows(rows, namesakes)
    out: dict[str, Any] = {
        "rows": len(steward),
        "rule": "no NIP written, and the true person's normalised name is held by another ASN of their "
        "instansi: the ground truth's ambiguous_match conflict, which the product must raise, not link",
    }
    for name, runs in outcomes.items():
        threshold = results[name].get("threshold") if name == "splink" else None
        out[name] = split_by_steward_rows(rows, runs[0].links, steward, threshold)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
