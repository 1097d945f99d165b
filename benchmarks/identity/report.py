"""Summaries of the runs, the printed table and the results files."""

from __future__ import annotations

import json
import statistics
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.identity.spec import Outcome

RESOLVER_FILES = (
    "sbt_sync/reconcile/identity/resolve.py",
    "sbt_sync/reconcile/identity/candidates.py",
    "schemas/names.py",
)
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
    """The packages' versions, and the commit of the resolver measured (marked when its files, which
    others may be editing in the same checkout, differ from it)."""
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    git = ["git", "-C", str(Path(__file__).resolve().parents[2])]
    try:
        head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--", *RESOLVER_FILES], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        found["sbt-sync"] = None
    else:
        found["sbt-sync"] = head.stdout.strip() + (" + local changes" if changed.stdout.strip() else "")
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
    lines += _subset_lines(results)
    lines.append(
        f"target: ours within {results['target_seconds']} s and precision and recall no worse than "
        f"Splink's: {'met' if results['meets_target'] else 'NOT met'} "
        f"(time {results['checks']['within_time']}, quality {results['checks']['quality_no_worse']})"
    )
    return "\n".join(lines)


def _subset_lines(results: dict[str, Any]) -> list[str]:
    """The decidable rows and the rows left to stewards, ours and Splink, against their targets."""
    lines = []
    chosen = results.get("decidable")
    if chosen and "precision" in chosen:
        lines.append(
            f"decidable rows {chosen['rows']:,} ({chosen['not_decidable']['rows']:,} left out: "
            + ", ".join(f"{k} {v:,}" for k, v in chosen["not_decidable"]["by_reason"].items())
            + f"): ours precision {chosen['precision']:.4f}, recall {chosen['recall']:.4f} "
            f"(targets {chosen['targets']['precision']}, {chosen['targets']['recall']}: "
            f"{'met' if chosen['meets_targets'] else 'NOT met'}); {chosen['recall_misses']['rows']:,} misses"
        )
        for cause, count in chosen["recall_misses"]["by_cause"].items():
            lines.append(f"    {count:>5,}  {cause}")
        equal = chosen.get("splink", {}).get("at_ours_precision")
        best = chosen.get("splink", {}).get("at_best_f1")
        if best:
            lines.append(
                f"  splink there at its best-F1 threshold: precision {best['precision']:.4f}, recall "
                f"{best['recall']:.4f}; as precise as ours: "
                + (f"precision {equal['precision']:.4f}, recall {equal['recall']:.4f}" if equal else "never")
            )
    steward = results.get("steward_rows")
    if steward:
        outcomes = ", ".join(f"{k} {v:,}" for k, v in steward["by_outcome"].items())
        lines.append(
            f"rows left to stewards {steward['rows']:,} ({outcomes}): "
            f"true person offered {steward['true_person_offered']:.4f} (target {steward['target']}: "
            f"{'met' if steward['meets_target'] else 'NOT met'}); with a true person "
            f"{steward['with_true_person']['share']:.4f} of {steward['with_true_person']['rows']:,}"
        )
        for cause, count in steward["misses"]["by_cause"].items():
            lines.append(f"    {count:>5,}  {cause}")
        splink = steward.get("splink")
        if splink:
            lines.append(
                f"  splink on the same rows: true person among its five best pairs "
                f"{splink['true_person_in_five_best_pairs']:.4f}"
            )
    return lines


def write_results(results: dict[str, Any], directory: Path, *, now: datetime) -> list[Path]:
    """``identity-<date>.json`` and ``identity-latest.json`` in ``directory``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2) + "\n"
    paths = [directory / f"identity-{now.astimezone(UTC):%Y-%m-%d}.json", directory / "identity-latest.json"]
    for path in paths:
        path.write_text(text, encoding="utf-8")
    return paths
