"""Summaries of the runs: medians, the printed table, machine and version facts, the results JSON."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.ingest.spec import Contender, Outcome

PACKAGES = ("dlt", "sqlalchemy", "psycopg2-binary", "pandas", "pandera", "requests", "dagster")
PER_ROWS = 100_000
"""CPU is quoted per this many rows."""
LABELS = {
    "ours": "sbt-sync (pull_http validating + stage_pending)",
    "dlt": "dlt rest_api, merge",
    "raw": "raw limit (requests + COPY)",
}


def summarise(contender: Contender, runs: list[Outcome]) -> dict[str, Any]:
    """Medians over ``runs`` (rows per second, seconds, each phase), the peak memory and every run."""
    phases = sorted({name for run in runs for name in run.phases})
    return {
        "label": LABELS[contender],
        "rows": runs[0].rows,
        "rows_per_second": statistics.median(run.rows / run.seconds for run in runs),
        "seconds": statistics.median(run.seconds for run in runs),
        "phases_seconds": {
            name: statistics.median(run.phases.get(name, 0.0) for run in runs) for name in phases
        },
        "cpu_seconds": {
            "client": statistics.median(run.client_cpu_seconds for run in runs),
            "sandbox": statistics.median(run.sandbox_cpu_seconds for run in runs),
            "postgres": statistics.median(run.postgres_cpu_seconds for run in runs),
            "postgres_background": statistics.median(run.postgres_background_cpu_seconds for run in runs),
            "total": statistics.median(run.total_cpu_seconds for run in runs),
            "postgres_server_whole_run": statistics.median(run.postgres_server_cpu_seconds for run in runs),
        },
        "cpu_seconds_per_100k_rows": statistics.median(
            run.total_cpu_seconds * PER_ROWS / run.rows for run in runs
        ),
        "peak_rss_mb": max(run.peak_rss_mb for run in runs),
        "rss_before_mb": statistics.median(run.rss_before_mb for run in runs),
        "runs": [
            {
                **asdict(run),
                "rows_per_second": run.rows / run.seconds,
                "total_cpu_seconds": run.total_cpu_seconds,
            }
            for run in runs
        ],
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "python": platform.python_version(),
    }


def versions(repo: Path) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty", "--abbrev=7"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    found["sbt-sync"] = commit.stdout.strip() or None
    return found


def cpu_ratio(contenders: Mapping[Contender, dict[str, Any]]) -> float | None:
    """Our CPU-seconds per 100k rows over dlt's (medians), or None without both."""
    if "ours" not in contenders or "dlt" not in contenders:
        return None
    ours, dlt = (contenders[name]["cpu_seconds_per_100k_rows"] for name in ("ours", "dlt"))
    return float(ours / dlt)


def cpu_ratio_pairs(contenders: Mapping[Contender, dict[str, Any]]) -> list[float]:
    """Ours over dlt's total CPU-seconds run by run: run i of each contender ran back to back (the order
    interleaves them), so each pair saw the same machine. Empty without both."""
    if "ours" not in contenders or "dlt" not in contenders:
        return []
    pairs = zip(contenders["ours"]["runs"], contenders["dlt"]["runs"], strict=False)
    return [float(ours["total_cpu_seconds"] / dlt["total_cpu_seconds"]) for ours, dlt in pairs]


def table(
    contenders: Mapping[Contender, dict[str, Any]],
    ratio: float | None,
    cpu: float | None = None,
    pairs: Sequence[float] = (),
) -> str:
    """The printed summary: one line per contender, medians, then the ratios against dlt."""
    header = f"{'contender':<38} {'rows':>8} {'rows/s (median)':>16} {'seconds':>8} {'peak RSS MB':>12}"
    lines = [f"{header}  runs (rows/s)"]
    for summary in contenders.values():
        runs = ", ".join(f"{run['rows_per_second']:,.0f}" for run in summary["runs"])
        lines.append(
            f"{summary['label']:<38} {summary['rows']:>8,} {summary['rows_per_second']:>16,.0f} "
            f"{summary['seconds']:>8.2f} {summary['peak_rss_mb']:>12.0f}  {runs}"
        )
    for name, summary in contenders.items():
        phases = ", ".join(f"{k} {v:.2f}s" for k, v in summary["phases_seconds"].items())
        lines.append(f"  {name} phases (median): {phases}")
    for name, summary in contenders.items():
        used = summary["cpu_seconds"]
        each = ", ".join(f"{run['total_cpu_seconds']:.2f}" for run in summary["runs"])
        lines.append(
            f"  {name} CPU seconds (median): client {used['client']:.2f}, sandbox {used['sandbox']:.2f}, "
            f"postgres {used['postgres']:.2f} + background {used['postgres_background']:.2f}, "
            f"total {used['total']:.2f}; per 100k rows {summary['cpu_seconds_per_100k_rows']:.2f} "
            f"(runs: {each})"
        )
    if ratio is not None:
        lines.append(f"ratio_vs_dlt (ours rows/s over dlt's): {ratio:.2f} (target >= 2.0)")
    if cpu is not None:
        lines.append(f"cpu_ratio_vs_dlt (ours CPU-s per 100k rows over dlt's): {cpu:.2f} (target <= 1.0)")
    if pairs:
        each = ", ".join(f"{p:.2f}" for p in pairs)
        middle = statistics.median(pairs)
        lines.append(f"  pair by pair (run i of ours over run i of dlt's): {each}; median {middle:.2f}")
    return "\n".join(lines)


def write_results(results: dict[str, Any], directory: Path, *, now: datetime) -> list[Path]:
    """``ingest-<date>.json`` and ``ingest-latest.json`` in ``directory``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, sort_keys=False) + "\n"
    paths = [directory / f"ingest-{now.astimezone(UTC):%Y-%m-%d}.json", directory / "ingest-latest.json"]
    for path in paths:
        path.write_text(text, encoding="utf-8")
    return paths
