"""Enforcement layer: ``enforcement/block_state`` from the golden cases, and the blocking check that
stops the SIASN push while a case it would block has an open critical conflict."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field

from assets.keys import BLOCK_STATE, GOLDEN_CASES
from connectors.redact import mask_nip, mask_nips
from sbt_sync.db.statistics import refresh_statistics
from sbt_sync.enforce import conflicted_blocks, run_enforcement
from sbt_sync.resources import DatabaseResource, SbtSettingsResource


class EnforcementConfig(dg.Config):
    as_of: str | None = Field(
        default=None,
        description="The day to decide for (YYYY-MM-DD); default: today in sbt.yaml's schedule timezone. "
        "The demo passes the sandbox clock's day.",
    )


def _as_of(config: EnforcementConfig, timezone: str) -> date:
    if config.as_of:
        return date.fromisoformat(config.as_of)
    return datetime.now(ZoneInfo(timezone)).date()


@dg.asset(
    key=BLOCK_STATE,
    deps=[GOLDEN_CASES],
    group_name="enforcement",
    kinds={"python"},
)
def block_state(
    context: dg.AssetExecutionContext,
    config: EnforcementConfig,
    db: DatabaseResource,
    settings: SbtSettingsResource,
) -> dg.MaterializeResult:
    """Control actions per case and the desired SIASN block flag per NIP, with the outbox rows of
    every change (held back for approval when the change guard trips)."""
    cfg = settings.get()
    as_of = _as_of(config, cfg.schedule.timezone)
    refresh_statistics(db.database)  # the cases and crosswalk reconciliation has just grown
    with db.session() as session:
        report = run_enforcement(session, cfg.enforcement, as_of, run_id=context.run.run_id)
    data = report.as_dict()
    context.log.info(
        "enforcement as of %s: %d cases, new actions %s, %d held, %d NIPs blocked, changes %s",
        as_of,
        report.cases,
        data["new_actions"],
        report.holds,
        report.blocked_nips,
        {k: v for k, v in data["changes"].items() if k != "sample"},
    )
    if report.approval_id is not None and report.guard is not None:
        context.log.warning(
            "change guard: %s; push approval %d waits (sbt-sync push approve %d --reason ...)",
            report.guard.reason,
            report.approval_id,
            report.approval_id,
        )
    return dg.MaterializeResult(
        metadata={
            "as_of": dg.MetadataValue.text(as_of.isoformat()),
            "cases": report.cases,
            "new_actions": dg.MetadataValue.json(data["new_actions"]),
            "holds": report.holds,
            "held_cases": dg.MetadataValue.json(data["held_cases"]),
            "blocked_nips": report.blocked_nips,
            "changes": dg.MetadataValue.json(data["changes"]),
            "outbox_rows": data["outbox_rows"],
            "guard": dg.MetadataValue.json(data["guard"]),
            "approval_id": report.approval_id if report.approval_id is not None else -1,
        }
    )


@dg.asset_check(asset=BLOCK_STATE, blocking=True)
def no_block_on_conflicted_case(db: DatabaseResource) -> dg.AssetCheckResult:
    """No queued block names a case with an open critical conflict (else the push must not run)."""
    with db.session() as session:
        found = conflicted_blocks(session)
    return dg.AssetCheckResult(
        passed=not found,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "conflicted_rows": len(found),
            "sample": dg.MetadataValue.json(
                # A case key holds its ASN's NIP.
                [{"outbox_id": i, "nip": mask_nip(nip), "case": mask_nips(ref)} for i, nip, ref in found[:20]]
            ),
        },
    )
