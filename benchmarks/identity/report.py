"""Summaries of the runs, the printed table and the results files."""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.identity.spec import Outcome

PACKAGES = ("splink", "duckdb", "sqlalchemy", "psycopg2-binary", "rapidfuzz", "pandas", "numpy")


def timing(runs: list[Outcome]) -> dict[str, Any]:
    """Median seconds and phases over ``runs``, the highest peak memory, and every run."""
    phases = sorted({name for run in runs for name in run.phases})
    return {
        "seconds": round(statistics.median(run.seconds for run in runs), 3),
        "phases_seconds": {
            name: round(statistics.median(run.phases.get(name, 0.0) for run in runs), 3) for name in phases
        },
        "peak_mb": round(max(run.peak_rss_mb for run in runs), 1),
        "rss_before_mb": round(statistics.median(run.rss_before_mb for run in runs), 1),
        "setup_seconds": {k: round(v, 2) for k, v in runs[0].setup_seconds.items()},
        "runs": [
            {"seconds": round(run.seconds, 3), "peak_mb": round(run.peak_rss_mb, 1), "phases": run.phases}
            for run in runs
        ],
    }


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def table(results: dict[str, Any]) -> str:
    """One line per contender: median seconds, peak memory, precision, recall, F1; then the target."""
    header = (
        f"{'contender':<44} {'seconds':>8} {'peak MB':>8} {'precision':>9} {'recall':>7} {'F1':>6}  runs (s)"
    )
    lines = [f"{results['rows']:,} rows against a registry of {results['registry_size']:,}", header]
    for name in ("ours", "splink"):
        entry = results.get(name)
        if not entry:
            continue
        runs = ", ".join(f"{run['seconds']:.1f}" for run in entry["runs"])
        lines.append(
            f"{entry['label']:<44} {entry['seconds']:>8.2f} {entry['peak_mb']:>8.0f} "
            f"{entry['precision']:>9.4f} {entry['recall']:>7.4f} {entry['f1']:>6.4f}  {runs}"
        )
    if "splink" in results:
        s = results["splink"]
        lines.append(
            f"  splink training (once, not in seconds): {s['training']['seconds']:.1f} s, "
            f"peak {s['training']['peak_mb']:.0f} MB; threshold {s['threshold']:.4g} (its best F1)"
        )
    for label, key in (("as precise as ours", "at_ours_precision"), ("recalling as much", "at_ours_recall")):
        point = results.get("splink", {}).get(key)
        if point:
            lines.append(
                f"  splink {label} (threshold {point['threshold']:.4g}): precision "
                f"{point['precision']:.4f}, recall {point['recall']:.4f}"
            )
    for name in ("ours", "splink"):
        if name in results:
            phases = ", ".join(f"{k} {v:.2f}s" for k, v in results[name]["phases_seconds"].items())
            lines.append(f"  {name} phases (median): {phases}")
    steward = results.get("steward_rows")
    if steward:
        parts = [
            f"{name} links {steward[name]['links_on_steward_rows']} of them "
            f"({steward[name]['correct_on_steward_rows']} right), recall elsewhere "
            f"{steward[name]['on_other_rows']['recall']:.4f}"
            for name in ("ours", "splink")
            if name in steward
        ]
        lines.append(
            f"  {steward['rows']:,} rows the product must leave to a steward (no NIP, a namesake in the "
            f"person's instansi): " + "; ".join(parts)
        )
    lines.append(
        f"target: ours within {results['target_seconds']} s and precision and recall no worse than "
        f"Splink's: {'met' if results['meets_target'] else 'NOT met'} "
        f"(time {results['checks']['within_time']}, quality {results['checks']['quality_no_worse']})"
    )
    return "\n".join(lines)


def write_results(results: dict[str, Any], directory: Path, *, now: datetime) -> list[Path]:
    """``identity-<date>.json`` and ``identity-latest.json`` in ``directory``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2) + "\n"
    paths = [directory / f"identity-{now.astimezone(UTC):%Y-%m-%d}.json", directory / "identity-latest.json"]
    for path in paths:
        path.write_text(text, encoding="utf-8")
    return paths
