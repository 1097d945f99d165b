"""Survivorship: each golden field's value, chosen by source rank per field group, recency breaking
ties, with its provenance (value, winning source and staged record, rule).

The ranking comes from ``sbt.yaml`` (:class:`~sbt_sync.settings.SurvivorshipSettings`): incident facts
(bawaslu, then kemenpanrb), recommendation (bkn_wasdal, then kasn), sanction imposed (idis, then
kemendagri). A source a group does not rank (kasn's violation form, say) ranks after every ranked one,
and the unranked sources share that one rank: recency breaks the tie among them as among records of one
source (DESIGN.md, "Survivorship"); the source's name decides only between values dated at the same
instant, so the staging order never does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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


def _rank(ranking: Sequence[str], source: str) -> int:
    """The source's place in ``ranking``; every source it does not name shares the place after them."""
    return ranking.index(source) if source in ranking else len(ranking)


def precedence(r: SourceRecord, name: str, ranking: Sequence[str]) -> tuple[Any, ...]:
    """Smaller wins: the source's rank, then recency (:func:`_staleness`), then, between sources of one
    rank dated at the same instant, the source's name (not the order the rows were staged in)."""
    at, tie, staged = _staleness(r, name)
    return (_rank(ranking, r.source), at, tie, r.source, staged)


LATER_IN_LIFE = {"verification_result": ("dibatalkan",)}
"""Values that can only follow the others of their field: an annulment follows the recommendation it
annuls, so a source stating both at one instant states the annulment last."""


def tie_key(name: str, value: Any) -> tuple[int, str]:
    """Orders the values one source states at one instant (smaller first): a value later in the
    case's life first, then by content, so the order the rows arrived in never chooses."""
    later = LATER_IN_LIFE.get(name, ())
    text = json.dumps(value, sort_keys=True, default=str)
    return (0 if value in later else 1, text)


def _instant(r: SourceRecord) -> float | None:
    """The source's own update instant (None when it gave none: then staging order is its only clock)."""
    return r.recency()[0] if r.source_updated_at is not None else None


def _staleness(r: SourceRecord, name: str) -> tuple[float, tuple[int, str], int]:
    """Smaller is fresher: the source's own instant, newest first; at one instant, the value
    :func:`tie_key` puts first; then the staging order, newest first (it alone decides only between
    records stating one value, or records their source did not date)."""
    at = _instant(r)
    if at is None:
        return (float("inf"), (0, ""), -r.staged_id)
    return (-at, tie_key(name, r.value(name)), -r.staged_id)


def latest_by_source(records: Sequence[SourceRecord], name: str) -> dict[str, SourceRecord]:
    """For each source, its most recent record with a value for ``name``.

    At one instant of a source's own clock, the value :func:`tie_key` puts first wins, whatever order
    the records were staged in (a file stating a recommendation and its annulment has no other order
    than its rows'); :func:`same_instant_rivals` finds those ties that must go to a steward.
    """
    latest: dict[str, SourceRecord] = {}
    for r in records:
        if r.value(name) is None:
            continue
        seen = latest.get(r.source)
        if seen is None or _staleness(r, name) < _staleness(seen, name):
            latest[r.source] = r
    return latest


def same_instant_rivals(
    records: Sequence[SourceRecord],
    name: str,
    latest: Mapping[str, SourceRecord],
    comparable: Callable[[Any], Any] = lambda value: value,
) -> list[SourceRecord]:
    """Records dated at the same instant as their source's latest one that state another value
    (compared through ``comparable``): the source disagrees with itself, and only the order its rows
    happened to be staged in could choose. For a critical field that is a conflict for a steward."""
    rivals: list[SourceRecord] = []
    for r in records:
        value = r.value(name)
        top = latest.get(r.source)
        if value is None or top is None or r is top:
            continue
        at = _instant(r)
        if at is not None and at == _instant(top) and comparable(value) != comparable(top.value(name)):
            rivals.append(r)
    return sorted(rivals, key=SourceRecord.sort_key)


def choose(records: Sequence[SourceRecord], name: str, ranking: Sequence[str]) -> FieldValue | None:
    """The surviving value of ``name`` among ``records``, or None when no record has one.

    The rule says why it won: ``only_source`` (one record had a value), ``source_rank`` (its source
    outranks every other source with a value) or ``recency`` (an equally ranked record was older).
    """
    having = [r for r in records if r.value(name) is not None]
    if not having:
        return None
    latest = latest_by_source(having, name)
    winner = min(latest.values(), key=lambda r: precedence(r, name, ranking))
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
