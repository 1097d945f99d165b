"""Survivorship: each golden field's value, chosen by source rank per field group, recency breaking
ties, with its provenance (value, winning source and staged record, rule).

The ranking comes from ``sbt.yaml`` (:class:`~sbt_sync.settings.SurvivorshipSettings`): incident facts
(bawaslu, then kemenpanrb), recommendation (bkn_wasdal, then kasn), sanction imposed (idis, then
kemendagri). A source a group does not rank (kasn's violation form, say) ranks after every ranked one,
unranked sources in name order.
"""

from __future__ import annotations

from collections.abc import Sequence

from sbt_sync.reconcile.golden.model import (
    INCIDENT_FIELDS,
    RECOMMENDATION_FIELDS,
    SANCTION_FIELDS,
    CaseDraft,
    FieldValue,
    SourceRecord,
    SurvivalRule,
)
from sbt_sync.settings import SurvivorshipSettings


def field_groups(survivorship: SurvivorshipSettings) -> dict[str, Sequence[str]]:
    """Each golden field and the ranked sources of its group."""
    ranked: dict[str, Sequence[str]] = {}
    for fields, ranking in (
        (INCIDENT_FIELDS, survivorship.incident),
        (RECOMMENDATION_FIELDS, survivorship.recommendation),
        (SANCTION_FIELDS, survivorship.sanction),
    ):
        ranked.update(dict.fromkeys(fields, ranking))
    return ranked


def _rank(ranking: Sequence[str], source: str) -> tuple[int, str]:
    return (ranking.index(source), "") if source in ranking else (len(ranking), source)


def latest_by_source(records: Sequence[SourceRecord], name: str) -> dict[str, SourceRecord]:
    """For each source, its most recent record with a value for ``name``."""
    latest: dict[str, SourceRecord] = {}
    for r in records:
        if r.value(name) is None:
            continue
        seen = latest.get(r.source)
        if seen is None or r.recency() > seen.recency():
            latest[r.source] = r
    return latest


def choose(records: Sequence[SourceRecord], name: str, ranking: Sequence[str]) -> FieldValue | None:
    """The surviving value of ``name`` among ``records``, or None when no record has one.

    The rule says why it won: ``only_source`` (one record had a value), ``source_rank`` (its source
    outranks every other source with a value) or ``recency`` (an equally ranked record was older).
    """
    having = [r for r in records if r.value(name) is not None]
    if not having:
        return None
    winner = min(having, key=lambda r: (_rank(ranking, r.source), tuple(-x for x in r.recency())))
    rank = _rank(ranking, winner.source)
    rule: SurvivalRule
    if len(having) == 1:
        rule = "only_source"
    elif any(_rank(ranking, r.source) == rank for r in having if r is not winner):
        rule = "recency"
    else:
        rule = "source_rank"
    return FieldValue(winner.value(name), winner.source, winner.staged_id, rule)


def survive(case: CaseDraft, survivorship: SurvivorshipSettings) -> dict[str, FieldValue]:
    """Every golden field some record of ``case`` has a value for, with its provenance."""
    chosen: dict[str, FieldValue] = {}
    for name, ranking in field_groups(survivorship).items():
        value = choose(case.records, name, ranking)
        if value is not None:
            chosen[name] = value
    return chosen
