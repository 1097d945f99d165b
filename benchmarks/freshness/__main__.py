"""``python -m benchmarks.freshness``: source change to effect, through the running Dagster daemon.

A sandbox (clock past every deadline, so NIPs are blocked), a project on PostgreSQL (product database
and Dagster storage) after one full cycle, then ``dagster-daemon run`` with the sensors as shipped
(``--automation eager``: the eager contender of ``eager.py``). Interleaved, ``--runs`` times each: (a) an
I'DIS sanction for a blocked NIP's case until SIASN shows the unblock; (b) a new kemendagri CSV on the
SFTP server until its rows are staged. Prints the table and writes
``benchmarks/results/freshness-<date>.json`` and ``freshness-latest.json`` (``freshness-eager-*`` for
the contender).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assets.sensors_sources import SOURCE_SENSOR_SECONDS
from assets.sensors_steward import DATABASE_SENSOR_SECONDS
from benchmarks.freshness.eager import EAGER_SENSOR, EAGER_SENSOR_SECONDS
from benchmarks.freshness.probes import (
    Probe,
    Sample,
    blocked_cases,
    sanction_to_unblock,
    sftp_file_to_staged,
    tick_intervals,
    wait_idle,
)
from benchmarks.freshness.project import CODE_LOCATIONS, REPO_ROOT, deployment
from benchmarks.freshness.report import TARGET_SECONDS, summarise, table, write_results
from benchmarks.ingest.harness import postgres_version
from benchmarks.ingest.report import machine, versions

log = logging.getLogger("benchmarks.freshness")

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.freshness", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--runs", type=int, default=5, help="samples per probe; the median is quoted (5)")
    parser.add_argument(
        "--scale", choices=["small", "election"], default="small", help="sandbox scale (small)"
    )
    parser.add_argument("--seed", type=int, default=1, help="sandbox seed (1)")
    parser.add_argument("--file-rows", type=int, default=20, help="rows in each delivered CSV (20)")
    parser.add_argument(
        "--jitter",
        type=float,
        default=float(SOURCE_SENSOR_SECONDS),
        help="wait 0..N seconds (seeded) before each sample, so samples fall at any phase of the "
        f"sensors' interval ({SOURCE_SENSOR_SECONDS})",
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("SBT_BENCH_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server for the scratch databases ($SBT_BENCH_DATABASE_URL)",
    )
    parser.add_argument(
        "--automation",
        choices=sorted(CODE_LOCATIONS),
        default="sensors",
        help="sensors: the product as shipped (a source's sensor runs the source and everything "
        "downstream); eager: the sensor runs the source only and AutomationCondition.eager() the rest "
        "(benchmarks/freshness/eager.py) (sensors)",
    )
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results alone")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.file_rows < 1 or args.jitter < 0:
        parser.error("--runs and --file-rows must be positive, --jitter not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("sbt_sync", "connectors", "paramiko", "dagster", "alembic", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = _arguments(argv)
    started = datetime.now(UTC)
    code_versions = versions(REPO_ROOT)
    rng = random.Random(args.seed)
    samples: dict[Probe, list[Sample]] = {"sanction_to_unblock": [], "sftp_file_to_staged": []}
    load_before = os.getloadavg()
    with (
        tempfile.TemporaryDirectory(prefix="sbt-fresh-") as tmp,
        deployment(
            Path(tmp), server_url=args.server, scale=args.scale, seed=args.seed, automation=args.automation
        ) as deployed,
    ):
        targets = blocked_cases(deployed, args.runs)
        log.info("daemon ready; %d blocked NIPs chosen", len(targets))
        for number in range(1, args.runs + 1):
            for probe in samples:
                wait_idle(deployed)
                time.sleep(rng.uniform(0, args.jitter))
                if probe == "sanction_to_unblock":
                    sample = sanction_to_unblock(deployed, number, targets[number - 1])
                else:
                    sample = sftp_file_to_staged(deployed, number, args.file_rows)
                samples[probe].append(sample)
                log.info(
                    "sample %d/%d %-20s %6.1f s  runs: %s",
                    number,
                    args.runs,
                    probe,
                    sample.seconds,
                    ", ".join(f"{r['job']}@{r['created_s']}s" for r in sample.runs) or "-",
                )
        ticks = tick_intervals(deployed)
        initial_cycle = deployed.initial_cycle_seconds
        approvals = deployed.approvals
        clock = deployed.sandbox.clock.now().isoformat()
    summaries = {probe: summarise(probe, runs) for probe, runs in samples.items()}
    results: dict[str, Any] = {
        "benchmark": "freshness",
        "started_at": started.isoformat(timespec="seconds"),
        "target_seconds": TARGET_SECONDS,
        "meets_target": all(s["meets_target"] for s in summaries.values()),
        "probes": summaries,
        "setup": {
            "sandbox": {"scale": args.scale, "seed": args.seed, "clock_at_end": clock, "clock_running": True},
            "automation": args.automation,
            "daemon": f"dagster-daemon run -m {CODE_LOCATIONS[args.automation]}; no webserver",
            "dagster_storage": "postgresql (deploy/dagster.postgres.yaml, scratch database)",
            "product_database": "postgresql (scratch database)",
            "sensor_minimum_interval_seconds": {
                "idis_changes": SOURCE_SENSOR_SECONDS,
                "kemendagri_new_files": SOURCE_SENSOR_SECONDS,
                "steward_decisions": DATABASE_SENSOR_SECONDS,
                **({EAGER_SENSOR: EAGER_SENSOR_SECONDS} if args.automation == "eager" else {}),
            },
            "sensor_ticks_observed": ticks,
            "enforcement_as_of": "today (the asset's default; the daemon's runs pass no as_of)",
            "file_rows": args.file_rows,
            "jitter_seconds": args.jitter,
            "initial_full_cycle_seconds": round(initial_cycle, 1),
            "initial_approvals": approvals,
            "load_average_before": [round(v, 2) for v in load_before],
            "load_average_after": [round(v, 2) for v in os.getloadavg()],
        },
        "machine": {**machine(), "postgresql": postgres_version(args.server)},
        "versions": code_versions,
    }
    print(table(summaries))
    if not args.no_write:
        name = "freshness" if args.automation == "sensors" else f"freshness-{args.automation}"
        for path in write_results(results, args.results, now=started, name=name):
            log.info("wrote %s", path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
