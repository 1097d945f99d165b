"""``python -m benchmarks.ingest``: ingest of one sandbox HTTP source, ours against dlt and the raw limit.

Each contender runs ``--runs`` times, interleaved (ours, dlt, raw, ours, ...) so drift in the machine
hits all alike, each run in its own process and its own empty database. Prints the table and writes
``benchmarks/results/ingest-<date>.json`` and ``ingest-latest.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.ingest.harness import REPO_ROOT, postgres_version, run_once, running_sandbox
from benchmarks.ingest.report import (
    cpu_ratio,
    cpu_ratio_pairs,
    machine,
    summarise,
    table,
    versions,
    write_results,
)
from benchmarks.ingest.spec import CONTENDERS, SOURCE, Contender, Outcome

log = logging.getLogger("benchmarks.ingest")

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
MAX_PAGE_SIZE = 1000  # the bkn_wasdal simulator's cap


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="bkn_wasdal records to serve (100000)")
    parser.add_argument(
        "--runs", type=int, default=3, help="timed runs per contender; the median is quoted (3)"
    )
    parser.add_argument(
        "--page-size", type=int, default=MAX_PAGE_SIZE, help="records per page, all alike (1000)"
    )
    parser.add_argument(
        "--contenders", default=",".join(CONTENDERS), help="comma-separated subset of ours,dlt,raw"
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("SBT_BENCH_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server to create throwaway databases on ($SBT_BENCH_DATABASE_URL)",
    )
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results alone")
    parser.add_argument(
        "--profile", type=Path, help="also run each contender once under cProfile, stats into this folder"
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.contenders.split(",") if name.strip()]
    unknown = set(chosen) - set(CONTENDERS)
    if unknown or not chosen:
        parser.error(f"--contenders: unknown {', '.join(sorted(unknown)) or '(none given)'}")
    if not 1 <= args.page_size <= MAX_PAGE_SIZE:
        parser.error(f"--page-size must be 1..{MAX_PAGE_SIZE}")
    if args.rows < 1 or args.runs < 1:
        parser.error("--rows and --runs must be positive")
    args.contenders = [name for name in CONTENDERS if name in chosen]
    return args


def _load_average() -> list[float]:
    """1, 5 and 15 minute load averages: CPU-seconds stay honest on a busy machine, seconds do not."""
    return [round(value, 2) for value in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("sbt_sync").setLevel(logging.WARNING)
    args = _arguments(argv)
    contenders: list[Contender] = args.contenders
    started = datetime.now(UTC)
    load_before = _load_average()
    code_versions = versions(REPO_ROOT)  # before the runs: the code they run
    outcomes: dict[Contender, list[Outcome]] = {name: [] for name in contenders}
    with tempfile.TemporaryDirectory(prefix="sbt-bench-") as tmp:
        workdir = Path(tmp)
        log.info("serving %d %s records from the sandbox ...", args.rows, SOURCE)
        with running_sandbox(workdir, rows=args.rows, page_size=args.page_size) as target:
            for round_no in range(1, args.runs + 1):
                for name in contenders:
                    outcome = run_once(
                        name, target, server_url=args.server, page_size=args.page_size, workdir=workdir
                    )
                    outcomes[name].append(outcome)
                    log.info(
                        "run %d/%d %-4s %7d rows %7.2f s %9.0f rows/s peak %5.0f MB",
                        round_no,
                        args.runs,
                        name,
                        outcome.rows,
                        outcome.seconds,
                        outcome.rows / outcome.seconds,
                        outcome.peak_rss_mb,
                    )
            if args.profile:
                args.profile.mkdir(parents=True, exist_ok=True)
                for name in contenders:
                    path = args.profile / f"ingest-{name}.pstats"
                    run_once(
                        name,
                        target,
                        server_url=args.server,
                        page_size=args.page_size,
                        workdir=workdir,
                        profile_path=path,
                    )
                    log.info("profile of %s: %s", name, path)

    delivered = {name: {run.rows for run in runs} for name, runs in outcomes.items()}
    if any(rows != {args.rows} for rows in delivered.values()):
        log.error("contenders did not all load %d rows: %s", args.rows, delivered)
        return 1
    summaries = {name: summarise(name, runs) for name, runs in outcomes.items()}
    ratio = (
        summaries["ours"]["rows_per_second"] / summaries["dlt"]["rows_per_second"]
        if "ours" in summaries and "dlt" in summaries
        else None
    )
    cpu = cpu_ratio(summaries)
    pairs = cpu_ratio_pairs(summaries)
    results: dict[str, Any] = {
        "benchmark": "ingest",
        "started_at": started.isoformat(timespec="seconds"),
        "cpu_ratio_vs_dlt": round(cpu, 3) if cpu is not None else None,
        "target_cpu_ratio_vs_dlt": 1.0,
        "cpu_ratio_pairs": [round(p, 3) for p in pairs],
        "cpu_ratio_pairs_median": round(statistics.median(pairs), 3) if pairs else None,
        "cpu_seconds_per_100k_rows": {
            name: round(summary["cpu_seconds_per_100k_rows"], 3) for name, summary in summaries.items()
        },
        "ratio_vs_dlt": round(ratio, 3) if ratio is not None else None,
        "target_ratio_vs_dlt": 2.0,
        "load_average": {"before": load_before, "after": _load_average()},
        "source": SOURCE,
        "rows": args.rows,
        "runs": args.runs,
        "page_size": args.page_size,
        "contenders": summaries,
        "machine": {**machine(), "postgresql": postgres_version(args.server)},
        "versions": code_versions,
    }
    print(table(summaries, ratio, cpu, pairs))
    if not args.no_write:
        for path in write_results(results, args.results, now=started):
            log.info("wrote %s", path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
