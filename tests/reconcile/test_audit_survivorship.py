"""Survivorship as an acceptance team reads DESIGN.md ("Survivorship": ``sbt.yaml`` ranks sources per
field group, recency is the tie-break): sources a group does not rank share one rank below the ranked
ones, so among them the most recent value survives (rule ``recency``), never the alphabet; and the
answer does not depend on the order the records are handed over."""

from __future__ import annotations

from itertools import permutations

from sbt_sync.reconcile.golden.reconcile import reconcile
from sbt_sync.reconcile.golden.survive import choose
from sbt_sync.settings import SurvivorshipSettings
from tests.reconcile.test_golden_build import record

RANKS = SurvivorshipSettings()
NUMBER = "B-0001/D.IV/WAS/11/2024"


def test_between_sources_the_group_does_not_rank_the_newer_value_survives_by_recency() -> None:
    # No Bawaslu finding and no complaint: the violation form is stated only by sources the incident
    # group does not rank. BKN Wasdal said it first; the KASN file corrected it a month later.
    older = record(1, "bkn_wasdal", number=NUMBER, at="2024-11-01T10:00:00+07:00", violation_form="MEDSOS")
    newer = record(2, "kasn", number=NUMBER, at="2024-12-01T10:00:00+07:00", violation_form="FOTO_PASLON")
    for records in permutations([older, newer]):
        won = choose(list(records), "violation_form", RANKS.incident)
        assert won is not None
        assert (won.value, won.source, won.rule) == ("FOTO_PASLON", "kasn", "recency")


def test_a_ranked_source_still_outranks_a_newer_unranked_one() -> None:
    ranked = record(
        1, "bawaslu", register="0001/Reg", at="2024-10-01T10:00:00+07:00", violation_form="MEDSOS"
    )
    later = record(2, "kasn", number=NUMBER, at="2024-12-01T10:00:00+07:00", violation_form="FOTO_PASLON")
    won = choose([later, ranked], "violation_form", RANKS.incident)
    assert won is not None and (won.value, won.source, won.rule) == ("MEDSOS", "bawaslu", "source_rank")


def test_unranked_sources_at_one_instant_give_one_answer_whatever_the_staging_order() -> None:
    # Same instant, two unranked sources, two values: the answer may not hang on which row was
    # staged first (staged ids swapped between the two deliveries).
    at = "2024-12-01T10:00:00+07:00"
    answers = set()
    for first, second in ((1, 2), (2, 1)):
        a = record(first, "kemendagri", number=NUMBER, at=at, violation_form="MEDSOS")
        b = record(second, "idis", number=NUMBER, at=at, violation_form="FOTO_PASLON")
        won = choose([a, b], "violation_form", RANKS.incident)
        assert won is not None
        answers.add((won.value, won.source))
    assert len(answers) == 1


def test_the_golden_case_carries_the_recency_winner_through_the_production_function() -> None:
    older = record(1, "bkn_wasdal", number=NUMBER, at="2024-11-01T10:00:00+07:00", violation_form="MEDSOS")
    newer = record(2, "kasn", number=NUMBER, at="2024-12-01T10:00:00+07:00", violation_form="FOTO_PASLON")
    for records in permutations([older, newer]):
        (case,) = reconcile(list(records), RANKS).cases
        assert case.fields["violation_form"].value == "FOTO_PASLON"
        assert case.fields["violation_form"].rule == "recency"
