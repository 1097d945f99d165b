"""Freshness policies: how old a source's last pull and the SIASN push may grow before Dagster says so.

Dagster's freshness daemon (part of ``dagster-daemon``, on by default) evaluates each policy every
30 s against the asset's last materialization and records a state change (PASS, WARN, FAIL) in the
event log, shown on the asset's page. This replaces the hand-made ``build_last_update_freshness_checks``
and their sensor (superseded in Dagster 1.12), which took a run of their own to evaluate.

- ``raw/<source>``: WARN after two full cycles without a pull (one missed cycle is tolerated: an
  agency's outage is not ours to fix, but someone should look), FAIL after four.
- ``sync/siasn_flags``: FAIL after two cycles: blocks that do not reach SIASN are the product failing.
"""

from collections.abc import Iterable
from datetime import timedelta

import dagster as dg

from assets.keys import SIASN_FLAGS
from sbt_sync.settings import Settings


def freshness_bound(settings: Settings) -> timedelta:
    """How old a source's or the push's last run may be: two cycles, so one missed cycle is tolerated."""
    return timedelta(minutes=2 * settings.schedule.full_cycle_minutes)


def source_policy(settings: Settings) -> dg.FreshnessPolicy:
    """A source's pull: WARN past :func:`freshness_bound`, FAIL past twice that."""
    bound = freshness_bound(settings)
    return dg.FreshnessPolicy.time_window(fail_window=2 * bound, warn_window=bound)


def push_policy(settings: Settings) -> dg.FreshnessPolicy:
    """The SIASN push: FAIL past :func:`freshness_bound`."""
    return dg.FreshnessPolicy.time_window(fail_window=freshness_bound(settings))


def with_freshness(assets: Iterable[dg.AssetsDefinition], settings: Settings) -> list[dg.AssetsDefinition]:
    """``assets`` with the policy of every ``raw/<source>`` and of ``sync/siasn_flags`` attached."""
    sources, push = source_policy(settings), push_policy(settings)

    def attach(spec: dg.AssetSpec) -> dg.AssetSpec:
        policy = sources if spec.key.path[0] == "raw" else push if spec.key == SIASN_FLAGS else None
        return spec if policy is None else spec.replace_attributes(freshness_policy=policy)

    return [a.map_asset_specs(attach) for a in assets]
