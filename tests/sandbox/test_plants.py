"""Planted identity disputes and retirements (issue 14): at every scale, in the sources, in the truth.

The plants: a BKN Wasdal recommendation with its ASN's own NIP but another ASN's name; a finding and a
recommendation with a well-formed NIP nobody holds; tied namesakes named without NIP; an ASN who retires
while blocked. The truth holds a proven, unended case while one of its rows has an identity dispute
(DESIGN.md, "Identity disputes hold"), and unblocks a retired ASN on the day of the departure.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import sbt_sync.sandbox.generate.pipeline as pipeline
from sbt_sync.reconcile.identity.resolve import IdentityThresholds, name_similarity
from sbt_sync.sandbox.generate import names
from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import AS_OF, DEMO_MIDWAY, SCALES, WIB, planted
from sbt_sync.sandbox.generate.plants import DISPUTE_FLAGS
from sbt_sync.sandbox.generate.registry import Registry
from sbt_sync.sandbox.generate.sources.common import Book, Evidence
from sbt_sync.sandbox.generate.truth import case_state
from sbt_sync.sandbox.generate.truth_identity import IdentityTruth
from sbt_sync.sandbox.generate.truth_writer import states_at, write_truth
from schemas.names import normalise_name as product_normalise

NEW_PLANTS = {
    "rec_name_mismatch": "rec_name_mismatch",
    "unregistered": "unregistered_nip",
    "tied_namesake": "tied_namesake",
    "retired_while_blocked": "retired_while_blocked",
    "named_other": "named_other_sanction",
}
"""Case flag -> its name in config.PLANTED."""
BLOCK_DAYS = 24


@dataclass
class Scenario:
    out: Path
    cases: list[Case]
    reg: Registry
    book: Book
    identity: IdentityTruth

    def read(self, name: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.out / "truth" / name).read_text().splitlines()]

    def enforcement(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads((self.out / "truth" / "enforcement.json").read_text())
        return found

    def flagged(self, flag: str) -> list[Case]:
        return [c for c in self.cases if flag in c.flags]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """A generated small sandbox, keeping the generator's cases, registry, book and identity truth."""
    captured: dict[str, Any] = {}

    def capture(
        out: Any, cases: list[Case], reg: Registry, table: Any, book: Book, identity: IdentityTruth
    ) -> Any:
        captured.update(cases=cases, reg=reg, book=book, identity=identity)
        return write_truth(out, cases, reg, table, book, identity)

    out = tmp_path_factory.mktemp("plants")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "write_truth", capture)
        pipeline.generate_sandbox(seed=7, scale="small", out=out)
    return Scenario(out, **captured)


def _registry(out: Path) -> dict[str, dict[str, str]]:
    with gzip.open(out / "registry.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        return {row["nipBaru"]: row for row in csv.DictReader(handle)}


def _rows(scenario: Scenario, case: Case) -> dict[str, dict[str, Any]]:
    """The case's source rows by source (one each for these plants), with the record as published."""
    truth = {
        (r["source"], r["key"], r["row"]): r
        for r in scenario.book.source_rows
        if r["case_id"] == case.case_id
    }
    records: dict[str, dict[str, Any]] = {}
    for source in ("bawaslu", "bkn_wasdal"):
        for line in (scenario.out / "http" / f"{source}.jsonl").read_text().splitlines():
            entry = json.loads(line)
            for (src, key, row), sr in truth.items():
                if src == source and key == entry["key"]:
                    record = entry["record"]["terlapor"][row - 1] if row else entry["record"]
                    records[source] = sr | {"record": record}
    return records


def _digits(written: str | None) -> str | None:
    return written.strip().lstrip("'").replace(" ", "").replace(".", "") if written else None


@pytest.mark.parametrize("scale", ["small", "election", pytest.param("national", marks=pytest.mark.slow)])
def test_each_new_plant_is_present_at_every_scale_in_its_planted_number(scale: str) -> None:
    spec = SCALES[scale]
    _, reg, _, cases = pipeline.build_world(5, spec)
    counts = Counter(f for c in cases for f in c.flags)
    for flag, name in NEW_PLANTS.items():
        assert counts[flag] == planted(name, spec.case_factor), (scale, flag)
    threshold = IdentityThresholds().name_mismatch
    for case in cases:
        if "rec_name_mismatch" in case.flags:
            assert case.alias_row is not None
            written, holder = reg.nama(case.alias_row), product_normalise(reg.nama(case.row)) or ""
            assert name_similarity(written, holder) < threshold
        if case.flags & DISPUTE_FLAGS:
            # joinable by register number, recommended by BKN Wasdal, proven
            assert len(case.register.cases) == 1 and case.event != "PILKADA-2020"
            assert case.outcome == "terbukti" and case.left_on is None
        if "unregistered" in case.flags:
            assert case.sk_date is None  # nobody identifiable is sanctioned
        if "retired_while_blocked" in case.flags:
            assert case.rec_date is not None and case.left_on is not None
            assert case.rec_date + timedelta(days=BLOCK_DAYS) < case.left_on < AS_OF.date()
            assert reg.kedudukan[case.row] == 3  # Pensiun, dated by the registry row's updatedAt
            assert str(reg.updated[case.row]) == case.left_on.isoformat()
    assert (
        sum(1 for c in cases if "unregistered" in c.flags and c.unregistered is not None)
        == counts["unregistered"]
    )


@pytest.mark.parametrize("seed", range(1, 9))
def test_small_scale_gets_every_identity_plant_and_retirement_whatever_the_seed(seed: int) -> None:
    cases = pipeline.build_world(seed, SCALES["small"])[3]
    counts = Counter(f for c in cases for f in c.flags)
    for flag in (*NEW_PLANTS, "wrong_nip", "namesake"):
        assert counts[flag] == 1, (seed, flag)
    # at least one dispute lands on a case still open at as-of, so the truth shows a hold
    as_of = AS_OF.date()
    assert any(c.flags & DISPUTE_FLAGS and (c.sk_date is None or c.sk_date > as_of) for c in cases)


def test_the_same_seed_plants_the_same_cases() -> None:
    first = pipeline.build_world(5, SCALES["small"])[3]
    second = pipeline.build_world(5, SCALES["small"])[3]
    assert [(c.case_id, sorted(c.flags), c.alias_row, c.unregistered) for c in first] == [
        (c.case_id, sorted(c.flags), c.alias_row, c.unregistered) for c in second
    ]


def test_recommendation_with_own_nip_and_another_name_is_a_name_mismatch_that_holds_the_case(
    scenario: Scenario,
) -> None:
    (case,) = scenario.flagged("rec_name_mismatch")
    assert case.alias_row is not None
    reg, nip = scenario.reg, scenario.reg.nip_str(case.row)
    rows = _rows(scenario, case)
    rec, finding = rows["bkn_wasdal"]["record"], rows["bawaslu"]["record"]
    # the recommendation: the ASN's valid NIP, someone else's name, joined by the register number
    assert _digits(rec["nip"]) == nip and rec["nomor_register_bawaslu"] == case.register.nomor
    assert names.normalise_name(rec["nama"]) == names.normalise_name(reg.nama(case.alias_row))
    threshold = IdentityThresholds().name_mismatch
    assert name_similarity(rec["nama"], product_normalise(reg.nama(case.row)) or "") < threshold
    # the finding identifies the ASN by a valid NIP
    assert _digits(finding["nip"]) == nip
    conflicts = [c for c in scenario.read("conflicts.jsonl") if c["case_id"] == case.case_id]
    assert [(c["source"], c["reason"], c["conflict_kind"], c["candidates"]) for c in conflicts] == [
        ("bkn_wasdal", "name_mismatch", "name_mismatch", [nip, reg.nip_str(case.alias_row)])
    ]
    enforcement = scenario.enforcement()
    state = next(c for c in enforcement["cases"] if c["case_id"] == case.case_id)
    assert state["held"] and state["stage"] == "ditahan" and state["actions"] == []
    assert state["identity_disputes"] == ["name_mismatch"]
    assert not next(n for n in enforcement["nips"] if n["nip"] == nip)["blocked"]


def test_unknown_nip_on_a_proven_case_is_unresolved_on_both_rows_and_blocks_nobody(
    scenario: Scenario,
) -> None:
    (case,) = scenario.flagged("unregistered")
    assert case.unregistered is not None
    registry = _registry(scenario.out)
    ghost = case.unregistered.nip
    assert ghost not in registry
    rows = _rows(scenario, case)
    for source in ("bawaslu", "bkn_wasdal"):
        row = rows[source]
        assert _digits(row["record"]["nip"]) == ghost
        assert row["true_nip"] is None and row["unregistered"] is True
        assert names.normalise_name(row["record"]["nama"]) == names.normalise_name(case.unregistered.nama)
    # no registry name is close enough to be offered as a candidate: resolution finds no one
    minimum = IdentityThresholds().min_candidate
    written = rows["bkn_wasdal"]["record"]["nama"]
    assert (
        max(name_similarity(written, product_normalise(r["nama"]) or "") for r in registry.values()) < minimum
    )
    conflicts = [c for c in scenario.read("conflicts.jsonl") if c["case_id"] == case.case_id]
    assert sorted((c["source"], c["reason"], c["conflict_kind"], c["candidates"]) for c in conflicts) == [
        ("bawaslu", "unresolved", "unresolved", []),
        ("bkn_wasdal", "unresolved", "unresolved", []),
    ]
    truth_case = next(c for c in scenario.read("cases.jsonl") if c["case_id"] == case.case_id)
    assert (
        truth_case["registered"] is False and truth_case["nip"] == ghost and truth_case["hasil"] == "terbukti"
    )
    enforcement = scenario.enforcement()
    state = next(c for c in enforcement["cases"] if c["case_id"] == case.case_id)
    assert state["held"] and not state["blocked"] and state["actions"] == []
    assert not next(n for n in enforcement["nips"] if n["nip"] == ghost)["blocked"]
    # the registry holder of the row the plant borrowed its instansi from is in no case
    assert reg_nip_in_no_case(scenario, scenario.reg.nip_str(case.row))


def reg_nip_in_no_case(scenario: Scenario, nip: str) -> bool:
    return all(c["nip"] != nip for c in scenario.read("cases.jsonl"))


def test_tied_namesakes_named_without_nip_hold_the_case_and_block_neither(scenario: Scenario) -> None:
    (case,) = scenario.flagged("tied_namesake")
    assert case.alias_row is not None
    reg = scenario.reg
    registry = _registry(scenario.out)
    mine = registry[reg.nip_str(case.row)]
    twins = [
        r
        for r in registry.values()
        if r["instansiIndukId"] == mine["instansiIndukId"] and r["nama"] == mine["nama"]
    ]
    assert {r["nipBaru"] for r in twins} >= {reg.nip_str(case.row), reg.nip_str(case.alias_row)}
    assert {r["jenisKelamin"] for r in twins} == {mine["jenisKelamin"]}  # nothing tells them apart
    rows = _rows(scenario, case)
    for source in ("bawaslu", "bkn_wasdal"):
        record = rows[source]["record"]
        assert record["nip"] is None
        # no title either: one the registry lacks would rank one namesake first
        assert names.normalise_name(record["nama"]) == record["nama"].lower() == mine["nama"].lower()
    conflicts = [c for c in scenario.read("conflicts.jsonl") if c["case_id"] == case.case_id]
    assert {(c["source"], c["reason"], c["conflict_kind"]) for c in conflicts} == {
        ("bawaslu", "ambiguous_match", "identity"),
        ("bkn_wasdal", "ambiguous_match", "identity"),
    }
    assert all(
        {reg.nip_str(case.row), reg.nip_str(case.alias_row)} <= set(c["candidates"]) for c in conflicts
    )
    enforcement = scenario.enforcement()
    state = next(c for c in enforcement["cases"] if c["case_id"] == case.case_id)
    assert state["held"] and not state["blocked"]
    blocked = {n["nip"] for n in enforcement["nips"] if n["blocked"]}
    assert not blocked & {reg.nip_str(case.row), reg.nip_str(case.alias_row)}


def test_asn_retiring_while_blocked_is_blocked_then_unblocked_on_the_departure_day(
    scenario: Scenario,
) -> None:
    (case,) = scenario.flagged("retired_while_blocked")
    assert case.rec_date is not None and case.left_on is not None
    nip = scenario.reg.nip_str(case.row)
    entry = _registry(scenario.out)[nip]
    assert entry["kedudukanPnsId"] == "99" and entry["updatedAt"][:10] == case.left_on.isoformat()
    block_day = case.rec_date + timedelta(days=BLOCK_DAYS)
    # the demo's middle cycle sees the block, its as-of cycle the unblock
    assert block_day < DEMO_MIDWAY.date() < case.left_on < AS_OF.date()
    midway = states_at(scenario.cases, scenario.reg, scenario.book, DEMO_MIDWAY, scenario.identity)
    assert midway[case.case_id].blocked and midway[case.case_id].stage == "diblokir"
    enforcement = scenario.enforcement()
    state = next(c for c in enforcement["cases"] if c["case_id"] == case.case_id)
    assert state["stage"] == "meninggalkan_dinas" and not state["blocked"] and not state["held"]
    assert state["actions"] == [
        {"action": "peringatan", "date": (block_day - timedelta(days=14)).isoformat()},
        {"action": "teguran", "date": (block_day - timedelta(days=7)).isoformat()},
        {"action": "pemblokiran", "date": block_day.isoformat()},
        {"action": "buka_blokir", "date": case.left_on.isoformat()},
    ]
    assert not next(n for n in enforcement["nips"] if n["nip"] == nip)["blocked"]


def test_disputed_cases_are_held_only_once_the_disputed_row_is_published(scenario: Scenario) -> None:
    (case,) = scenario.flagged("rec_name_mismatch")
    disputed = next(
        r for r in scenario.book.source_rows if r["case_id"] == case.case_id and r["source"] == "bkn_wasdal"
    )
    published = datetime.fromisoformat(disputed["available_at"])
    before = states_at(scenario.cases, scenario.reg, scenario.book, published - timedelta(hours=1))
    after = states_at(scenario.cases, scenario.reg, scenario.book, published)
    assert not before[case.case_id].held and not before[case.case_id].disputes
    assert after[case.case_id].held and after[case.case_id].disputes == ["name_mismatch"]


def test_an_identity_dispute_holds_only_a_proven_case_that_has_not_ended() -> None:
    case = Case.__new__(Case)
    case.case_id = "X-1"
    at = datetime(2024, 3, 1, 10, tzinfo=WIB)
    instant = datetime(2024, 6, 1, tzinfo=WIB)

    def rec(hasil: str) -> Evidence:
        values = (("hasil", hasil), ("rec_date", "2024-03-01"), ("sanksi", 22))
        return Evidence("bkn_wasdal", "k", at, "X-1", "rekomendasi", values)

    sanction = Evidence("idis", "s", at, "X-1", "sanksi", (("jenis", 22), ("sk_date", "2024-03-20")))
    held = case_state(case, [rec("terbukti")], None, instant, ["unresolved"])
    assert held.held and held.stage == "ditahan" and held.actions == [] and not held.blocked
    free = case_state(case, [rec("terbukti")], None, instant)
    assert not free.held and free.blocked  # R+24 passed with no sanction: the dispute is what holds it
    assert not case_state(case, [rec("tidak_terbukti")], None, instant, ["unresolved"]).held
    ended = case_state(case, [rec("terbukti"), sanction], None, instant, ["name_mismatch"])
    assert not ended.held and ended.stage == "dijatuhi_hukuman"
    left = case_state(case, [rec("terbukti")], date(2024, 3, 5), instant, ["identity"])
    assert not left.held and left.stage == "meninggalkan_dinas"


def test_a_disputed_row_holds_its_case_only_through_a_number_it_shares_with_another_row(
    scenario: Scenario,
) -> None:
    """A row without a usable identity joins its case by register or recommendation number, or not at
    all: a complaint carries neither; a KASN recommendation carries no register number."""

    def row(source: str, key: str, **extra: Any) -> dict[str, Any]:
        base = {
            "source": source,
            "key": key,
            "row": 1 if source in ("bawaslu", "kasn", "kemenpanrb") else None,
            "nip_as_written": None,
            "true_nip": scenario.reg.nip_str(0),
            "name_nip": None,
            "unregistered": False,
            "case_id": "C-1",
            "available_at": "2024-05-01T06:00:00+07:00",
            "quarantined": False,
        }
        return base | extra

    unknown = {"nip_as_written": "199001012015011001", "true_nip": None, "unregistered": True}
    complaint = row("kemenpanrb", "pengaduan_x.jsonl.gz", **unknown)
    finding = row("bawaslu", "0001/Reg/TM/PILKADA/2024", **unknown)
    wasdal = row("bkn_wasdal", "ABC", nip_as_written=scenario.reg.nip_str(0))
    kasn = row("kasn", "rekomendasi_netralitas_202009.csv", nip_as_written=scenario.reg.nip_str(0))
    identity = scenario.identity
    assert [c["reason"] for c in identity.conflicts([complaint, wasdal], AS_OF)] == ["unresolved"]
    assert identity.disputed_cases([complaint, wasdal], AS_OF) == {}
    assert identity.disputed_cases([finding, kasn], AS_OF) == {}
    assert identity.disputed_cases([finding], AS_OF) == {}
    assert identity.disputed_cases([finding, wasdal], AS_OF) == {"C-1": ["unresolved"]}
    later = dict(wasdal, available_at="2025-03-01T00:00:00+07:00")
    assert identity.disputed_cases([finding, later], AS_OF) == {}  # not published yet: nothing joins


def test_a_sanction_naming_another_asn_under_a_cases_number_holds_the_case_and_ends_nothing(
    scenario: Scenario,
) -> None:
    """I'DIS publishes another ASN's sanction (their NIP and name) under a proven, escalating case's
    recommendation number, dated before as_of: the truth raises ``named_other`` on the case, holds it
    (not blocked, no end event: it is not the case's sanction) and counts no sanction for it."""
    (case,) = scenario.flagged("named_other")
    assert case.alias_row is not None and case.named_other is not None
    assert case.sk_date is None or case.sk_date > AS_OF.date()  # no sanction of its own by as_of
    reg, alias = scenario.reg, scenario.reg.nip_str(case.alias_row)
    published = [
        json.loads(line)["record"] for line in (scenario.out / "http" / "idis.jsonl").read_text().splitlines()
    ]
    [record] = [r for r in published if r["id"] == case.named_other.idis_key]
    assert (record["nipBaru"], record["nomorRekomendasi"]) == (alias, case.nomor_rekomendasi)
    assert names.normalise_name(record["nama"]) == names.normalise_name(reg.nama(case.alias_row))
    assert date.fromisoformat("-".join(reversed(record["tanggalSk"].split("-")))) < AS_OF.date()
    conflicts = [c for c in scenario.read("conflicts.jsonl") if c["case_id"] == case.case_id]
    assert [(c["kind"], c["field"], c["source"], c["values"]) for c in conflicts] == [
        ("named_other", "link", "idis", {"idis": alias})
    ]
    [truth] = [c for c in scenario.enforcement()["cases"] if c["case_id"] == case.case_id]
    assert (truth["held"], truth["blocked"], truth["stage"]) == (True, False, "ditahan")
    assert truth["identity_disputes"] == ["named_other"]
    assert case.case_id in scenario.enforcement()["held"]
