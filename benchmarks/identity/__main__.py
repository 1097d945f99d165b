"""``python -m benchmarks.identity``: resolving rows without a usable NIP against the national registry,
ours (``CandidateSearch`` + ``resolve`` on PostgreSQL) against Splink 4 on DuckDB.

Once per machine: the national sandbox and the prepared registry are cached under ``--cache``. Once per
invocation: a scratch database on ``--server`` gets the registry by COPY (dropped at the end), and
Splink's model is trained. Then each contender resolves the same rows ``--runs`` times, interleaved,
each run in a fresh process; the median time is quoted. The run's record (rows, outcomes, namesake
counts) is kept under ``--cache``/runs; ``--rescore`` scores a kept record again without running.
Prints the table and writes ``benchmarks/results/identity-<date>.json`` and ``identity-latest.json``.
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

from benchmarks.identity.harness import REPO_ROOT, identity_thresholds, run_child
from benchmarks.identity.record import RunRecord
from benchmarks.identity.registry import load_registry, namesakes, prepare_registry, registry_count
from benchmarks.identity.report import table, versions, write_results
from benchmarks.identity.results import build
from benchmarks.identity.rows import benchmark_rows, training_rows, write_rows
from benchmarks.identity.sandbox import cached_sandbox, registry_size
from benchmarks.identity.spec import CONTENDERS, Contender, Outcome, RunSpec
from benchmarks.ingest.harness import postgres_version, throwaway_database
from benchmarks.ingest.report import machine
from sbt_sync.db.engine import Database

log = logging.getLogger("benchmarks.identity")

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


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
    parser.add_argument(
        "--rescore",
        type=Path,
        help="score a kept run record (a folder under --cache/runs) instead of running",
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
    if args.rescore:
        record = RunRecord.load(args.rescore)
    else:
        record = _run(args)
        folder = record.save(args.cache / "runs" / f"{record.started_at.replace(':', '')}")
        log.info("run record kept in %s (--rescore to score it again)", folder)
    results = build(record)
    print(table(results))
    if not args.no_write:
        started = datetime.fromisoformat(record.started_at)
        for path in write_results(results, args.results, now=started):
            log.info("wrote %s", path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path)
    return 0


def _run(args: argparse.Namespace) -> RunRecord:
    """Generate or reuse the sandbox, load the registry, train Splink, run every contender."""
    contenders: list[Contender] = args.contenders
    started = datetime.now(UTC)
    sandbox = cached_sandbox(args.cache, args.seed, args.scale)
    size = registry_size(sandbox)
    prepared = prepare_registry(sandbox, args.cache, seed=args.seed, size=size)
    rows, from_sources = benchmark_rows(sandbox, prepared, args.rows, seed=args.seed)
    thresholds = identity_thresholds()
    record = RunRecord(
        settings={key: getattr(args, key) for key in ("runs", "seed", "scale", "training_rows")},
        sandbox=str(sandbox),
        from_sources=from_sources,
        registry_size=size,
        thresholds=thresholds,
        started_at=started.isoformat(timespec="seconds"),
        server={},
        machine=machine(),
        versions=versions(),
        rows=rows,
        outcomes={name: [] for name in contenders},
        load_average={"start": list(os.getloadavg())},
    )
    with tempfile.TemporaryDirectory(prefix="sbt-bench-identity-") as tmp:
        workdir = Path(tmp)
        rows_path = workdir / "rows.jsonl"
        write_rows(rows_path, rows)
        with throwaway_database(args.server, "identity") as url:
            database_url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
            if "ours" in contenders:
                log.info("loading %d registry rows into PostgreSQL (COPY, then indexes) ...", size)
                mark = time.monotonic()
                database = Database(database_url)
                record.load_phases = load_registry(database, prepared)
                loaded = registry_count(database)
                true_nips = sorted({r.true_nip for r in rows if r.true_nip})
                record.namesakes_in_instansi = namesakes(database, true_nips, in_instansi=True)
                record.namesakes_nationally = namesakes(database, true_nips, in_instansi=False)
                database.dispose()
                if loaded != size:
                    raise RuntimeError(f"loaded {loaded} registry rows, expected {size}")
                log.info("registry loaded in %.0f s: %s", time.monotonic() - mark, record.load_phases)

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
                record.training = run_child(spec("splink", "train", train_path, "splink-train"))
                _log_run("train", 1, 1, record.training)
            for run_no in range(1, args.runs + 1):
                for name in contenders:
                    outcome = run_child(spec(name, "resolve", rows_path, f"{name}-{run_no}"))
                    record.outcomes[name].append(outcome)
                    record.load_average[f"after {name} {run_no}"] = list(os.getloadavg())
                    _log_run(name, run_no, args.runs, outcome)
            if args.profile and "ours" in contenders:
                args.profile.mkdir(parents=True, exist_ok=True)
                path = args.profile / "identity-ours.pstats"
                run_child(replace(spec("ours", "resolve", rows_path, "ours-profile"), profile_path=str(path)))
                log.info("profile of ours: %s", path)
            record.server = postgres_version(args.server)
    return record


if __name__ == "__main__":
    raise SystemExit(main())
