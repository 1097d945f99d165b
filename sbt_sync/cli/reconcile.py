"""``sbt-sync reconcile`` and ``sbt-sync quality``: the golden dataset outside Dagster."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from sbt_sync.cli.common import emit_json, stage_lines, state
from sbt_sync.db.engine import Database
from sbt_sync.reconcile.quality import measure
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.source_holds import release

app = typer.Typer(help="Reconcile staged records into the golden dataset.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@app.command("run")
def run_command(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Recompute every case, not just what changed.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Bring the golden dataset up to date (what the golden/cases asset does)."""
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    label = "reconciling every staged record" if full else "reconciling what changed"
    with stage_lines(label, quiet=as_json) as ended:
        stats = reconcile_database(database, settings, full=full, progress=ended)
    database.dispose()
    if as_json:
        emit_json(stats.as_dict())
        return
    g, i = stats.golden, stats.identity
    rules = stats.rules
    if rules.full or rules.registry_renormalised or rules.staged_renormalised:
        typer.echo(
            f"rules changed since the stored values were computed ({', '.join(rules.stale)}): "
            f"{rules.registry_renormalised} registry and {rules.staged_renormalised} staged names "
            f"renormalised{'; every identity resolved again' if rules.full else ''}"
        )
    typer.echo(
        f"{stats.staged_changed} changed records, {stats.decisions_new} new decisions; identities: "
        f"{i.linked} linked, {i.by_steward} by steward, {i.conflicts} in conflict, {i.unresolved} unresolved"
    )
    typer.echo(
        f"cases: {g.cases_recomputed} recomputed, {g.cases_created} created, {g.cases_changed} changed, "
        f"{g.cases_removed} removed; open conflicts {stats.open_conflicts or 0}"
    )


@app.command("release")
def release_command(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(help="The source its blocking quarantine or schema-drift check holds.")
    ],
    reason: Annotated[str, typer.Option(help="Why; kept in the audit log.")],
    by: Annotated[str | None, typer.Option(help="Who releases (default: the OS user).")] = None,
) -> None:
    """Let a held source's waiting rows into the next reconciliation (audited); the next failing
    check holds it again, except for the missing columns this release accepts."""
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    actor = by or getpass.getuser()
    released = release(database, source, actor=actor, reason=reason)
    database.dispose()
    if not released:
        typer.echo(f"{source} is not held", err=True)
        raise typer.Exit(1)
    typer.echo(f"{source} released by {actor}; its waiting rows are reconciled at the next run")


def quality(
    ctx: typer.Context,
    truth: Annotated[Path, typer.Option("--truth", help="A sandbox's truth folder (or a file in it).")],
    as_json: JsonFlag = False,
) -> None:
    """Compare the golden dataset with a sandbox's ground truth (identity, cases, conflicts)."""
    settings = state(ctx).settings()
    database = Database(settings.database_url, echo=settings.database.echo)
    result = measure(database, truth)
    database.dispose()
    if as_json:
        emit_json(result.as_dict())
        return
    typer.echo(f"ground truth at {result.as_of}")
    typer.echo(
        f"identity: precision {result.identity_precision:.4f}, recall {result.identity_recall:.4f} "
        f"({result.links_correct} correct of {result.links_made} links; "
        f"{result.rows_with_person} rows name a person)"
    )
    typer.echo(
        f"cases: accuracy {result.case_accuracy:.4f} ({result.cases_exact} of {result.true_cases} exact)"
    )
    typer.echo(
        f"conflicts: {result.conflicts_expected} expected, {result.conflicts_raised} raised, "
        f"{result.conflicts_missed} missed, {result.conflicts_beyond} beyond the truth "
        f"{result.beyond_by_kind}"
    )
    for reason, counts in result.identity_by_reason.items():
        typer.echo(f"  identity {reason}: {counts.get('raised', 0)} raised of {counts.get('expected', 0)}")
    if result.identity_kind_wrong:
        typer.echo(
            f"  identity conflicts of another kind than the truth's: {len(result.identity_kind_wrong)}"
        )
    typer.echo(
        f"holds: {result.held_matched} of {result.held_expected} held cases held; "
        f"{len(result.held_missed)} missed, {len(result.held_beyond)} held beyond the truth"
    )
    if result.imut is not None:
        m = result.imut
        typer.echo(
            f"I-MUT findings: precision {m.precision:.4f}, recall {m.recall:.4f} ({m.correct} correct of "
            f"{m.found} open, {m.expected} expected; {m.disposition_wrong} with another disposition); "
            f"missed {m.missed_by_category}, beyond {m.beyond_by_rule}"
        )
