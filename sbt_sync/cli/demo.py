"""``sbt-sync demo``: run the main job end to end on the embedded defaults, against the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import redact_url


def demo(
    ctx: typer.Context,
    scale: Annotated[
        str, typer.Option(help="Sandbox scale: small, election or national.", case_sensitive=False)
    ] = "election",
    seed: Annotated[int, typer.Option(help="Seed of the generated scenario.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Generate a scenario, serve the sandbox, and run full cycles through Dagster across its timeline.

    Ingestion and validation run today; reconciliation, enforcement, the SIASN push and the recap join
    this demo as they are built.
    """
    from sbt_sync.definitions import run_full_cycle
    from sbt_sync.demo import run_demo

    if scale not in ("small", "election", "national"):
        raise typer.BadParameter("choose small, election or national", param_hint="--scale")
    chosen: Literal["small", "election", "national"] = scale  # type: ignore[assignment]
    settings = state(ctx).settings()

    def cycle(config_path: Path) -> tuple[str, bool, int]:
        result = run_full_cycle(config_path=config_path, project_dir=settings.project_dir)
        return result.run_id, result.success, len(result.get_asset_materialization_events())

    def progress(message: str) -> None:
        typer.echo(message, err=True)

    typer.echo(f"sandbox scenario: scale={chosen} seed={seed} (generated once under var/sandbox)", err=True)
    report = run_demo(settings, seed=seed, scale=chosen, run_cycle=cycle, progress=progress)
    if as_json:
        emit_json(
            {
                "database": redact_url(report.database),
                "sandbox_data": str(report.data_dir),
                "config": str(report.config_path),
                "cycles": [vars(c) for c in report.cycles],
                "sources": report.per_source,
                "registry_rows": report.registry,
                "quarantine_expected_by_ground_truth": report.truth_quarantine,
                "stages_pending": ["reconciliation", "enforcement", "push", "recap"],
            }
        )
        return
    typer.echo("")
    typer.echo("sbt-sync demo")
    for c in report.cycles:
        outcome = "succeeded" if c.success else "FAILED"
        typer.echo(f"  cycle at {c.clock}: run {c.run_id} {outcome} ({c.materialized} assets)")
    typer.echo(f"  SIASN registry: {report.registry:,} ASN")
    typer.echo(f"  {'source':<12} {'raw':>8} {'staged':>8} {'quarantined':>12}")
    for source, counts in sorted(report.per_source.items()):
        raw, staged, bad = (counts.get(k, 0) for k in ("raw", "staged", "quarantined"))
        typer.echo(f"  {source:<12} {raw:>8,} {staged:>8,} {bad:>12,}")
    total_q = sum(c.get("quarantined", 0) for c in report.per_source.values())
    typer.echo(f"  quarantined {total_q} rows; the scenario's ground truth expects {report.truth_quarantine}")
    typer.echo("")
    typer.echo("Not built yet: reconciliation, enforcement, the SIASN push and the national recap.")
    typer.echo("Look next: `sbt-sync db status`, or the Dagster UI with `make dagster-dev`.")
    typer.echo(f"The demo's configuration (pointing at the sandbox): {report.config_path}")
