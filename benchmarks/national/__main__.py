"""``python -m benchmarks.national``: the production job at national scale, on PostgreSQL.

Generates the sandbox (``--scale``, default ``national``), serves it with its clock frozen at the
scenario's as-of instant, and runs, each as ``dagster job execute`` on a project whose product database
and Dagster storage are scratch PostgreSQL databases: the registry refresh, the first full cycle, an
unchanged cycle, and a cycle after one I'DIS sanction is published. Prints per stage wall seconds,
CPU seconds (the job's process tree, PostgreSQL) and peak RSS, and writes
``benchmarks/results/national-latest.json`` (a national run) or ``national-smoke-<scale>.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.ingest.harness import postgres_version
from benchmarks.ingest.report import machine, versions
from benchmarks.national.report import summarise, table, write_results
from benchmarks.national.stages import REPO_ROOT, project, run_stages
from sbt_sync.sandbox.generate import generate_sandbox

log = logging.getLogger("benchmarks.national")

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.national", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--scale", choices=["small", "election", "national"], default="national", help="sandbox scale"
    )
    parser.add_argument("--seed", type=int, default=1, help="sandbox seed (1)")
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="whole runs (fresh databases and sandbox each); per stage the median is quoted (1)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="sandbox data directory to reuse (generated there if missing; default: a temporary one)",
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("SBT_BENCH_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server for the scratch databases ($SBT_BENCH_DATABASE_URL); trust or password",
    )
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results alone")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be positive")
    return args


def _data(args: argparse.Namespace, tmp: Path) -> tuple[Path, float | None]:
    data_dir = args.data or tmp / "data"
    if (data_dir / "manifest.json").exists():
        log.info("reusing sandbox data in %s", data_dir)
        return data_dir, None
    log.info("generating the %s sandbox (seed %d) in %s ...", args.scale, args.seed, data_dir)
    started = time.monotonic()
    generate_sandbox(seed=args.seed, scale=args.scale, out=data_dir)
    return data_dir, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("sbt_sync", "connectors", "paramiko", "dagster", "alembic", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = _arguments(argv)
    started = datetime.now(UTC)
    code_versions = versions(REPO_ROOT)
    load_before = os.getloadavg()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="sbt-national-") as tmp_name:
        tmp = Path(tmp_name)
        data_dir, generate_seconds = _data(args, tmp)
        for number in range(1, args.runs + 1):
            log.info("run %d/%d", number, args.runs)
            run_started = datetime.now(UTC)
            load = os.getloadavg()
            with project(tmp / f"run-{number}", data_dir, server_url=args.server) as target:
                stages = run_stages(target)
                as_of, day = target.as_of.isoformat(), target.day
            runs.append(
                {
                    "started_at": run_started.isoformat(timespec="seconds"),
                    "load_average_before": [round(v, 2) for v in load],
                    "load_average_after": [round(v, 2) for v in os.getloadavg()],
                    "stages": stages,
                }
            )
    summary = summarise(runs)
    results: dict[str, Any] = {
        "benchmark": "national",
        "scale": args.scale,
        "seed": args.seed,
        "commit": code_versions.get("sbt-sync"),
        "started_at": started.isoformat(timespec="seconds"),
        **summary,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "runs": runs,
        "setup": {
            "sandbox": {"scale": args.scale, "seed": args.seed, "clock": as_of, "clock_frozen": True},
            "generate_seconds": None if generate_seconds is None else round(generate_seconds, 1),
            "enforcement_as_of": day,
            "jobs": "dagster job execute -m sbt_sync.definitions -j <job> (the job's own executor: "
            "both in one process, as the daemon's run worker runs them; validation forks its own "
            "workers)",
            "dagster_storage": "postgresql+psycopg2 (deploy/dagster.postgres.yaml, scratch database)",
            "product_database": "postgresql+psycopg2 (scratch database)",
            "one_change": "an I'DIS sanction published through the sandbox's control server, the clock "
            "moved one minute past the as-of instant (still frozen)",
            "approve_and_push": "after the first full cycle, what the change guard held is approved and "
            "pushed in the harness's process, as a steward would (not timed against a target)",
        },
        "machine": {**machine(), "postgresql": postgres_version(args.server)},
        "versions": code_versions,
    }
    print(table(results))
    if not args.no_write:
        for path in write_results(results, args.results, scale=args.scale, now=started):
            log.info("wrote %s", path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
