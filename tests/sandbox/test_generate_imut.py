"""The I-MUT generator: every category planted with its truth, the truth agreeing with the rules, the
wire format of the contract, later versions, determinism."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.model import (
    ActionKind,
    BlockInterval,
    DecidingOfficial,
    MendagriApproval,
    NeutralityCaseRef,
    OfficialRole,
    PersonnelAction,
    Post,
    PostClass,
)
from sbt_sync.imut.rules import evaluate
from sbt_sync.imut.workdays import load_working_days
from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.generate.imut_categories import COUNTS
from sbt_sync.sandbox.generate.truth_imut import expected_imut_findings, imut_actions

Sandbox = tuple[Path, dict[str, Any]]
WIRE_FIELDS = {
    "id", "nipBaru", "nama", "jenisTindakan", "jabatanLama", "kelasJabatanLama", "unitKerjaLama",
    "jabatanBaru", "kelasJabatanBaru", "unitKerjaBaru", "instansiId", "pejabatPenetapNama",
    "pejabatPenetapPeran", "pejabatPenetapWilayah", "pejabatPenetapInstansiId", "nomorSk", "tanggalSk",
    "tmt", "alasan", "persetujuanMendagriNomor", "persetujuanMendagriTanggal", "tanggalLaporKemendagri",
    "updatedAt",
}  # fmt: skip
DMY = re.compile(r"^\d{2}-\d{2}-\d{4}$")
FINDING_CATEGORIES = {
    "pasal_71_2_no_approval": {"pasal_71_2"},
    "pasal_71_2_approval_after": {"pasal_71_2"},
    "pasal_71_2_approval_same_day": {"pasal_71_2"},
    "pasal_71_2_late_approval_version": {"pasal_71_2"},
    "pasal_71_2_last_day": {"pasal_71_2"},
    "pasal_71_2_effective_in_window": {"pasal_71_2"},
    "pasal_162_3_no_approval": {"pasal_162_3"},
    "report_8th_working_day": {"reporting_7_working_days"},
    "report_never": {"reporting_7_working_days"},
    "report_late_version": {"reporting_7_working_days"},
    "block_breach": {"block_breach"},
    "retaliation": {"possible_retaliation"},
}


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _day(text: str | None) -> date | None:
    return None if text is None else date(int(text[6:]), int(text[3:5]), int(text[:2]))


def _post(record: dict[str, Any], suffix: str) -> Post | None:
    klass = record[f"kelasJabatan{suffix}"]
    if klass is None:
        return None
    return Post(PostClass(klass), record[f"jabatan{suffix}"], record[f"unitKerja{suffix}"])


def _action(record: dict[str, Any]) -> PersonnelAction:
    """The wire record as the rules read it (written here, apart from the product's own mapping)."""
    approval_day = _day(record["persetujuanMendagriTanggal"])
    decided, tmt = _day(record["tanggalSk"]), _day(record["tmt"])
    assert decided is not None and tmt is not None
    return PersonnelAction(
        action_id=record["id"],
        nip=record["nipBaru"],
        kind=ActionKind(record["jenisTindakan"]),
        instansi_id=record["instansiId"],
        decided_by=DecidingOfficial(
            OfficialRole(record["pejabatPenetapPeran"]),
            record["pejabatPenetapNama"],
            record["pejabatPenetapWilayah"],
            record["pejabatPenetapInstansiId"],
        ),
        decision_no=record["nomorSk"],
        decision_date=decided,
        effective_date=tmt,
        post_before=_post(record, "Lama"),
        post_after=_post(record, "Baru"),
        approval=MendagriApproval(record["persetujuanMendagriNomor"], approval_day) if approval_day else None,
        reported_on=_day(record["tanggalLaporKemendagri"]),
    )


def _served(root: Path, instant: datetime) -> list[dict[str, Any]]:
    """The latest version of each action available at ``instant``, as the simulator serves it."""
    latest: dict[str, dict[str, Any]] = {}
    for line in _jsonl(root / "http/imut.jsonl"):
        if datetime.fromisoformat(line["available_at"]) <= instant:
            latest[line["key"]] = line["record"]
    return list(latest.values())


def _rules_findings(root: Path, instant: datetime, quarantined: set[str]) -> set[tuple[str, str]]:
    """What sbt_sync.imut.rules concludes from the served records, with blocks acknowledged at the
    truth's as_of (the product's first cycle there) and cases known from their register date."""
    as_of = datetime.fromisoformat(json.loads((root / "manifest.json").read_text())["clock"]["as_of"])
    enforcement = json.loads((root / "truth/enforcement.json").read_text())
    blocks = {n["nip"]: [BlockInterval(as_of.date())] for n in enforcement["nips"] if n["blocked"]}
    cases: dict[str, list[NeutralityCaseRef]] = defaultdict(list)
    for case in _jsonl(root / "truth/cases.jsonl"):
        known = datetime.fromisoformat(case["tanggal_register"]).date()
        cases[case["nip"]].append(NeutralityCaseRef(case["case_id"], known, "register"))
    elections, workdays = load_election_calendar(), load_working_days()
    found: set[tuple[str, str]] = set()
    for record in _served(root, instant):
        if record["id"] in quarantined:
            continue
        for finding in evaluate(
            _action(record), elections=elections, workdays=workdays, blocks=blocks, cases=cases,
            as_of=instant.date(),
        ):  # fmt: skip
            found.add((finding.action_id, finding.rule.value))
    return found


def test_every_category_is_planted_at_small_scale_with_the_findings_it_names(small_sandbox: Sandbox) -> None:
    root, manifest = small_sandbox
    actions = imut_actions(root / "truth")
    categories = Counter(a["category"] for a in actions)
    assert set(COUNTS) | {"ordinary", "bad_nip"} == set(categories)
    assert all(categories[name] >= 2 for name in COUNTS), categories
    assert manifest["counts"]["imut_actions"] == len(actions) == len({a["action_id"] for a in actions})
    findings = _jsonl(root / "truth/imut_findings.jsonl")
    by_category: dict[str, set[str]] = defaultdict(set)
    for row in findings:
        by_category[row["category"]].add(row["rule"])
        assert row["disposition"] == ("investigate" if row["rule"] == "possible_retaliation" else "breach")
    assert dict(by_category) == FINDING_CATEGORIES
    per_action = Counter(row["action_id"] for row in findings)
    assert set(per_action.values()) == {1}  # one finding per planted action, never a stray second rule


@pytest.mark.parametrize("when", ["as_of", "end"])
def test_truth_equals_what_the_rules_conclude_from_the_served_records(
    small_sandbox: Sandbox, when: str
) -> None:
    root, manifest = small_sandbox
    instant = datetime.fromisoformat(manifest["clock"][when])
    quarantined = {q["key"] for q in _jsonl(root / "truth/quarantine.jsonl") if q["source"] == "imut"}
    expected = expected_imut_findings(root / "truth", instant)
    assert expected  # the comparison means something
    assert _rules_findings(root, instant, quarantined) == expected


def test_records_follow_the_contract_wire_format(small_sandbox: Sandbox) -> None:
    root, _ = small_sandbox
    lines = _jsonl(root / "http/imut.jsonl")
    for line in lines:
        record = line["record"]
        assert set(record) == WIRE_FIELDS
        assert re.fullmatch(r"[0-9A-F]{32}", record["id"]) and line["key"] == record["id"]
        assert record["updatedAt"] == line["available_at"] and record["updatedAt"].endswith("+07:00")
        for name in ("tanggalSk", "tmt", "persetujuanMendagriTanggal", "tanggalLaporKemendagri"):
            assert record[name] is None or DMY.match(record[name]), (name, record[name])
        region = record["pejabatPenetapWilayah"]
        assert region is None or re.fullmatch(r"\d{2}(\.\d{2})?", region)
        if record["jenisTindakan"] == "pengangkatan":
            assert record["kelasJabatanLama"] is None
        if record["jenisTindakan"] == "pemberhentian_dari_jabatan":
            assert record["kelasJabatanBaru"] is None


def test_later_versions_are_served_with_a_newer_updated_at_and_keep_their_finding(
    small_sandbox: Sandbox,
) -> None:
    root, _ = small_sandbox
    versions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in _jsonl(root / "http/imut.jsonl"):
        versions[line["key"]].append(line["record"])
    assert sum(len(v) > 1 for v in versions.values()) >= 5
    for records in versions.values():
        stamps = [datetime.fromisoformat(r["updatedAt"]) for r in records]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    late = [a for a in imut_actions(root / "truth") if a["category"] == "pasal_71_2_late_approval_version"]
    findings = {f["action_id"]: f for f in _jsonl(root / "truth/imut_findings.jsonl")}
    for action in late:
        first, last = versions[action["action_id"]][0], versions[action["action_id"]][-1]
        assert first["persetujuanMendagriTanggal"] is None
        approval, decided = _day(last["persetujuanMendagriTanggal"]), _day(last["tanggalSk"])
        assert approval is not None and decided is not None and approval > decided
        assert findings[action["action_id"]]["available_at"] == first["updatedAt"]


def test_imut_output_is_deterministic_per_seed(tmp_path: Path) -> None:
    names = ("http/imut.jsonl", "truth/imut_actions.jsonl", "truth/imut_findings.jsonl")
    first = generate_sandbox(seed=11, scale="small", out=tmp_path / "a")["files"]
    again = generate_sandbox(seed=11, scale="small", out=tmp_path / "b")["files"]
    other = generate_sandbox(seed=12, scale="small", out=tmp_path / "c")["files"]
    assert [first[n] for n in names] == [again[n] for n in names]
    assert all(first[n] != other[n] for n in names)


def test_truth_equals_the_rules_at_election_scale_on_every_cycle_day(tmp_path: Path) -> None:
    """More draws than small: the truth holds at as_of, at the clock's end and at the demo's midway."""
    manifest = generate_sandbox(seed=5, scale="election", out=tmp_path)
    quarantined = {q["key"] for q in _jsonl(tmp_path / "truth/quarantine.jsonl") if q["source"] == "imut"}
    start, as_of = (datetime.fromisoformat(manifest["clock"][k]) for k in ("start", "as_of"))
    for instant in (start + (as_of - start) / 2, as_of, datetime.fromisoformat(manifest["clock"]["end"])):
        expected = expected_imut_findings(tmp_path / "truth", instant)
        assert _rules_findings(tmp_path, instant, quarantined) == expected, instant
    assert len(expected) > 50
