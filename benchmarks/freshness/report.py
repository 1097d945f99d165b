"""Summaries, the printed table and the results files."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.freshness.probes import Probe, Sample

TARGET_SECONDS = 60.0
LABELS: dict[Probe, str] = {
    "sanction_to_unblock": "I'DIS sanction -> SIASN unblock",
    "sftp_file_to_staged": "kemendagri SFTP file -> staged rows",
}


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 2) if known else None


def summarise(probe: Probe, samples: list[Sample]) -> dict[str, Any]:
    seconds = [s.seconds for s in samples]
    median = statistics.median(seconds)
    return {
        "label": LABELS[probe],
        "median_seconds": round(median, 2),
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "samples_seconds": seconds,
        "median_requested_s": _median([s.requested_s for s in samples]),
        "median_request_to_effect_s": _median([s.request_to_effect_s for s in samples]),
        "target_seconds": TARGET_SECONDS,
        "meets_target": median < TARGET_SECONDS,
        "samples": [asdict(s) for s in samples],
    }


def table(summaries: dict[Probe, dict[str, Any]]) -> str:
    header = (
        f"{'probe':<38} {'median s':>9} {'min':>6} {'max':>6}  {'target':>6}  meets  "
        "samples (s)  [median: sensor request at / request to effect]"
    )
    lines = [header]
    for summary in summaries.values():
        samples = ", ".join(f"{v:.1f}" for v in summary["samples_seconds"])
        lines.append(
            f"{summary['label']:<38} {summary['median_seconds']:>9.1f} {summary['min_seconds']:>6.1f} "
            f"{summary['max_seconds']:>6.1f}  {summary['target_seconds']:>6.0f}  "
            f"{'yes' if summary['meets_target'] else 'NO':<5}  {samples}  "
            f"[{summary['median_requested_s']} s / {summary['median_request_to_effect_s']} s]"
        )
    return "\n".join(lines)


def write_results(
    results: dict[str, Any], directory: Path, *, now: datetime, name: str = "freshness"
) -> list[Path]:
    """``<name>-<date>.json`` and ``<name>-latest.json`` in ``directory``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2) + "\n"
    paths = [
        directory / f"{name}-{now.astimezone(UTC):%Y-%m-%d}.json",
        directory / f"{name}-latest.json",
    ]
    for path in paths:
        path.write_text(text, encoding="utf-8")
    return paths
