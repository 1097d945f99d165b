"""``sbt-sync demo``: run the main job end to end on the embedded defaults, against the sandbox."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from sbt_sync.cli.common import emit_json, state
from sbt_sync.db.engine import redact_url
from sbt_sync.errors import SbtError
from sbt_sync.reports.render import as_text

if TYPE_CHECKING:
    from sbt_sync.demo import DemoReport


class _BelowWarning(logging.Filter):
    """Drops records below WARNING from the loggers under ``names``."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self.names = names

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith(self.names)


def demo(
    ctx: typer.Context,
    scale: Annotated[
        str, typer.Option(help="Sandbox scale: small, election or national.", case_sensitive=False)
    ] = "election",
    seed: Annotated[int, typer.Option(help="Seed of the generated scenario.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Generate a scenario, serve the sandbox, and run full cycles through Dagster across its timeline:
    ingestion, reconciliation, enforcement, letters to PPKs (delivered to the sandbox's mail server) and
    the SIASN push; the last cycle runs again and must send nothing new. Then print the national recap."""
    from sbt_sync.definitions import run_full_cycle
    from sbt_sync.demo import run_demo

    if scale not in ("small", "election", "national"):
        raise typer.BadParameter("choose small, election or national", param_hint="--scale")
    chosen: Literal["small", "election", "national"] = scale  # type: ignore[assignment]
    settings = state(ctx).settings()
    if not state(ctx).debug:
        # Each push, download and simulator request logs at INFO; the demo prints its own summary
        # instead. Dagster sets its managed loggers' level (dagster.yaml: python_logs) when a run
        # starts, so the quiet is a filter on the handlers that print, not a logger level.
        quiet = _BelowWarning(("connectors", "sbt_sync"))
        for handler in logging.getLogger().handlers:
            handler.addFilter(quiet)
        # aiosmtpd (the sandbox's mail server) logs every SMTP command at INFO, and at each login
        # warns that its own Session.login_data is deprecated.
        logging.getLogger("mail.log").setLevel(logging.ERROR)

    def cycle(config_path: Path, as_of: date) -> tuple[str, bool, int]:
        result = run_full_cycle(
            config_path=config_path, project_dir=settings.project_dir, as_of=as_of, progress=progress
        )
        return result.run_id, result.success, len(result.get_asset_materialization_events())

    def progress(message: str) -> None:
        typer.echo(message, err=True)

    typer.echo(f"sandbox scenario: scale={chosen} seed={seed} (generated once under var/sandbox)", err=True)
    report = run_demo(settings, seed=seed, scale=chosen, run_cycle=cycle, progress=progress)
    quality = report.quality.as_dict() if report.quality else {}
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
                "cases": report.cases,
                "open_conflicts": report.open_conflicts,
                "quality": {k: v for k, v in quality.items() if k != "missed"},
                "approvals": report.approvals,
                "siasn": {**vars(report.siasn), "equals_ground_truth": report.siasn.equal},
                "repeat_cycle": vars(report.repeat) if report.repeat else None,
                "pic_addresses_added": report.pics_added,
                "letters": report.mail.as_dict(),
                "recap": report.recap.as_dict() if report.recap else None,
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
    q = report.quality
    if q is not None:
        typer.echo(
            f"  golden dataset: {report.cases:,} cases; identity precision {q.identity_precision:.3f}, "
            f"recall {q.identity_recall:.3f}; {q.conflicts_raised} conflicts raised of "
            f"{q.conflicts_expected} expected ({q.conflicts_missed} missed); open {report.open_conflicts}"
        )
        if q.imut is not None:
            typer.echo(
                f"  I-MUT: {q.imut.found:,} open findings, the ground truth expects {q.imut.expected:,}; "
                f"precision {q.imut.precision:.3f}, recall {q.imut.recall:.3f} (`sbt-sync imut findings`)"
            )
    for line in report.approvals:
        typer.echo(f"  change guard: {line} (approved by the demo, as `sbt-sync push approve` would)")
    s = report.siasn
    verdict = "equals the ground truth" if s.equal else f"DIFFERS: {s.missing} missing, {s.extra} extra"
    typer.echo(
        f"  SIASN: {s.blocked} NIPs blocked, the ground truth blocks {s.expected}: {verdict}; "
        f"{s.changes_applied} changes applied, {s.keys_replayed} retries replayed (none applied twice)"
    )
    _echo_letters(report)
    if report.recap is not None:
        typer.echo("")
        typer.echo(as_text(report.recap, as_of=report.as_of[:10]))
    typer.echo("Look next:")
    typer.echo("  sbt-sync conflicts list            the stewards' queue")
    typer.echo("  sbt-sync push status               the outbox and what SIASN acknowledged")
    typer.echo(
        "  sbt-sync letters list              the letters to PPKs (sbt-sync notify status: their mail)"
    )
    typer.echo("  sbt-sync report recap --format xlsx -o recap.xlsx")
    typer.echo("  make dagster-dev                   the Dagster UI: runs, asset checks, metadata")
    typer.echo("  .venv/bin/sbt-sync users add siti --role steward && .venv/bin/sbt-sync steward serve")
    typer.echo("                                     the steward console on http://127.0.0.1:8765/")
    typer.echo(f"  database {redact_url(report.database)}; the demo's configuration {report.config_path}")
    if not s.equal:
        raise SbtError("SIASN's final block flags differ from the ground truth")
    if not report.mail.equal:
        raise SbtError("the letters the outbox sent differ from what the sandbox's mail server received")


def _echo_letters(report: DemoReport) -> None:
    m = report.mail
    steps = ", ".join(f"{step.replace('_', ' ')} {n}" for step, n in m.by_step.items()) or "none"
    at_server = ", ".join(f"{step.replace('_', ' ')} {n}" for step, n in m.server_by_step.items()) or "none"
    typer.echo(
        f"  letters: {m.sent} sent to {m.ppks} PPKs by the outbox ({steps}); outbox {m.outbox}; "
        f"PIC addresses added: {report.pics_added}"
    )
    once = (
        "each once"
        if m.duplicates == 0 and m.unmatched == 0
        else (f"{m.duplicates} received more than once, {m.unmatched} not matching the outbox")
    )
    typer.echo(
        f"  mail server: {m.server_messages} messages received ({m.server_message_ids} Message-IDs, {once}) "
        f"for {m.server_ppks} PPKs ({at_server})"
    )
    if report.repeat is not None:
        typer.echo(
            f"  the last cycle again: {report.repeat.mail_sent} messages sent, "
            f"{m.repeat_new_letters} new letters (nothing new: {m.repeat_sent == m.repeat_new_letters == 0})"
        )
