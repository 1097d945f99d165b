"""The synthetic data generator: determinism, NIP consistency, funnel targets, ground-truth consistency."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.generate.config import EVENTS, SANCTIONED_BUCKETS

Sandbox = tuple[Path, dict[str, Any]]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _registry(root: Path) -> list[dict[str, str]]:
    with gzip.open(root / "registry.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _decode(data: bytes) -> str:
    """How a careful reader decodes an agency CSV: UTF-8 (BOM or not), else latin-1."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _sftp_rows(root: Path, content: str) -> list[Any]:
    data = (root / content).read_bytes()
    if content.endswith(".gz"):
        return [json.loads(line) for line in gzip.decompress(data).decode("utf-8").splitlines()]
    text = _decode(data)
    delimiter = ";" if "/kasn/" in content else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))[1:]


def test_same_seed_and_scale_give_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    first = generate_sandbox(seed=3, scale="small", out=tmp_path / "a")
    stages: list[str] = []
    second = generate_sandbox(seed=3, scale="small", out=tmp_path / "b", progress=stages.append)
    assert stages[0].startswith("  registry and cases (5,000 ASN, ")
    assert stages[-1].startswith("  ground truth")
    other = generate_sandbox(seed=4, scale="small", out=tmp_path / "c")
    assert _tree_hashes(tmp_path / "a") == _tree_hashes(tmp_path / "b")
    assert first == second
    assert other["files"]["registry.csv.gz"] != first["files"]["registry.csv.gz"]
    assert other["files"]["truth/cases.jsonl"] != first["files"]["truth/cases.jsonl"]


def test_manifest_lists_every_written_file_with_its_sha256(small_sandbox: Sandbox) -> None:
    root, manifest = small_sandbox
    on_disk = _tree_hashes(root)
    on_disk.pop("manifest.json")
    assert manifest["files"] == on_disk
    assert manifest["clock"]["start"] < manifest["clock"]["as_of"] < manifest["clock"]["end"]


def test_registry_nips_encode_birth_date_appointment_and_gender(small_sandbox: Sandbox) -> None:
    rows = _registry(small_sandbox[0])
    assert len({r["nipBaru"] for r in rows}) == len(rows) == small_sandbox[1]["counts"]["asn"]
    for r in rows:
        nip = r["nipBaru"]
        day, month, year = (int(x) for x in r["tglLahir"].split("-"))
        assert len(nip) == 18 and nip.isdigit()
        assert nip[:8] == f"{year:04d}{month:02d}{day:02d}"
        date(year, month, day)  # a real calendar date
        assert nip[14] == ("2" if r["jenisKelamin"] == "F" else "1")
        assert 1 <= int(nip[15:]) <= 999
        if r["jenisPegawai"] == "PPPK":
            assert int(nip[12:14]) > 12 and nip[12] == "2" and nip[13] != "0"
        else:
            assert 1 <= int(nip[12:14]) <= 12
            assert int(nip[8:12]) >= year + 18  # appointed as an adult


def test_registry_names_carry_no_titles_and_gelar_columns_do(small_sandbox: Sandbox) -> None:
    rows = _registry(small_sandbox[0])
    assert not any("." in r["nama"] or "," in r["nama"] for r in rows)
    assert any(r["gelarDepan"] in ("H.", "Hj.", "Dr.") for r in rows)
    assert any("S.Pd." in r["gelarBelakang"] for r in rows)


def test_every_quarantined_row_exists_in_its_source_file(small_sandbox: Sandbox) -> None:
    root, _ = small_sandbox
    quarantine = _read_jsonl(root / "truth/quarantine.jsonl")
    assert {q["source"] for q in quarantine} == {
        "bawaslu",
        "bkn_wasdal",
        "idis",
        "imut",
        "kasn",
        "kemendagri",
        "kemenpanrb",
    }
    feeds = {s: _read_jsonl(root / f"http/{s}.jsonl") for s in ("bawaslu", "bkn_wasdal", "idis", "imut")}
    for q in quarantine:
        if q["content"] is None:
            lines = [line for line in feeds[q["source"]] if line["key"] == q["key"]]
            assert lines, q
            if q["row"] is not None:
                assert len(lines[0]["record"]["terlapor"]) >= q["row"]
        else:
            rows = _sftp_rows(root, q["content"])
            assert len(rows) >= q["row"], q


def test_every_case_source_record_exists_in_the_sources(small_sandbox: Sandbox) -> None:
    root, _ = small_sandbox
    keys = {
        (s, line["key"])
        for s in ("bawaslu", "bkn_wasdal", "idis")
        for line in _read_jsonl(root / f"http/{s}.jsonl")
    }
    keys |= {(d["source"], d["name"]) for d in _read_jsonl(root / "sftp/deliveries.jsonl")}
    cases = _read_jsonl(root / "truth/cases.jsonl")
    for case in cases:
        assert case["source_records"], case["case_id"]
        for ref in case["source_records"]:
            assert (ref["source"], ref["key"]) in keys, ref


def test_missing_nips_go_to_identity_resolution_not_quarantine(small_sandbox: Sandbox) -> None:
    root, _ = small_sandbox
    rows = _read_jsonl(root / "truth/source_nips.jsonl")
    quarantined = {(q["source"], q["key"], q["row"]) for q in _read_jsonl(root / "truth/quarantine.jsonl")}
    missing = [r for r in rows if r["nip_as_written"] is None and r["true_nip"] is not None]
    assert missing
    assert not any((r["source"], r["key"], r["row"]) in quarantined for r in missing)


def test_blocked_cases_are_recommended_unsanctioned_and_past_the_block_date(small_sandbox: Sandbox) -> None:
    root, manifest = small_sandbox
    enforcement = json.loads((root / "truth/enforcement.json").read_text())
    cases = {c["case_id"]: c for c in _read_jsonl(root / "truth/cases.jsonl")}
    as_of = date.fromisoformat(manifest["clock"]["as_of"][:10])
    blocked = [c for c in enforcement["cases"] if c["blocked"]]
    assert blocked
    for state in blocked:
        case = cases[state["case_id"]]
        assert case["hasil"] == "terbukti" and not state["held"]
        assert date.fromisoformat(case["tanggal_rekomendasi"]) + timedelta(days=24) <= as_of
        assert case["tanggal_sk"] is None or date.fromisoformat(case["tanggal_sk"]) > as_of
        assert [a["action"] for a in state["actions"]] == ["peringatan", "teguran", "pemblokiran"]


def test_nip_stays_blocked_while_any_of_its_cases_requires_it(small_sandbox: Sandbox) -> None:
    enforcement = json.loads((small_sandbox[0] / "truth/enforcement.json").read_text())
    state = {c["case_id"]: c for c in enforcement["cases"]}
    for entry in enforcement["nips"]:
        assert entry["blocked"] == any(state[c]["blocked"] for c in entry["cases"])
    assert any(len(e["cases"]) > 1 for e in enforcement["nips"])


def test_held_cases_have_an_open_critical_conflict_or_identity_dispute_and_no_actions(tmp_path: Path) -> None:
    generate_sandbox(seed=11, scale="small", out=tmp_path)
    enforcement = json.loads((tmp_path / "truth/enforcement.json").read_text())
    conflicts = _read_jsonl(tmp_path / "truth/conflicts.jsonl")
    critical = {c["case_id"] for c in conflicts if c["kind"] in ("critical_field", "lifecycle")}
    reasons: dict[str, list[str]] = {}
    for c in conflicts:
        if c["kind"] == "identity" and c["case_id"] is not None:
            reasons.setdefault(c["case_id"], []).append(c["reason"])
        if c["kind"] == "named_other":  # a record naming another ASN, joined by number: a dispute too
            reasons.setdefault(c["case_id"], []).append("named_other")
    kinds = {c["kind"] for c in conflicts}
    assert kinds == {"identity", "critical_field", "lifecycle", "named_other"}
    held_by_identity = 0
    for state in enforcement["cases"]:
        # every dispute the truth says holds a case is an identity (or named_other) conflict on that case
        assert set(state["identity_disputes"]) <= set(reasons.get(state["case_id"], []))
        if state["held"]:
            assert state["case_id"] in critical or state["identity_disputes"]
            assert not state["blocked"] and state["actions"] == []
            held_by_identity += bool(state["identity_disputes"])
    assert held_by_identity  # the planted disputes on proven, open cases
    assert set(enforcement["held"]) == {c["case_id"] for c in enforcement["cases"] if c["held"]}


def test_agency_files_carry_the_documented_artefacts(small_sandbox: Sandbox) -> None:
    root, _ = small_sandbox
    deliveries = _read_jsonl(root / "sftp/deliveries.jsonl")
    kasn = [(root / d["content"]).read_bytes() for d in deliveries if d["source"] == "kasn"]
    assert any(b.startswith(b"\xef\xbb\xbf") for b in kasn) and any(b"\r\n" in b for b in kasn)
    assert any(b"'" in b for b in kasn) and any(b'="' in b for b in kasn)
    gz = [(root / d["content"]).read_bytes() for d in deliveries if d["source"] == "kemenpanrb"]
    assert gz and all(b[4:8] == b"\x00\x00\x00\x00" for b in gz)  # gzip mtime 0
    assert any(d["replaces"] for d in deliveries if d["source"] == "kemendagri")
    bawaslu = (root / "http/bawaslu.jsonl").read_text()
    assert "+07:00" in bawaslu and "e+17" in bawaslu.lower()


def test_truth_readme_documents_every_truth_file(small_sandbox: Sandbox) -> None:
    root, _ = small_sandbox
    readme = (root / "truth/README.md").read_text()
    for path in sorted((root / "truth").iterdir()):
        if path.name != "README.md":
            assert f"## {path.name}" in readme


def test_election_funnel_matches_documented_targets(tmp_path: Path) -> None:
    recap = generate_sandbox(seed=1, scale="election", out=tmp_path)["counts"]["recap_total"]
    events = json.loads((tmp_path / "truth/recap.json").read_text())["events"]
    for spec in EVENTS:
        got = events[spec.code]
        assert got["reported"] == spec.reported
        assert got["recommended"] / got["reported"] == pytest.approx(spec.outcomes["terbukti"], rel=0.1)
        sanctioned = sum(v for k, v in spec.follow_up.items() if k in SANCTIONED_BUCKETS)
        assert got["sanctioned"] / got["recommended"] == pytest.approx(sanctioned, rel=0.1)
        assert got["in_process"] / got["reported"] == pytest.approx(
            spec.outcomes.get("in_process", 0), abs=0.02
        )
        assert 5 <= got["blocked"] <= 40
    assert 10 <= recap["blocked"] <= 99  # "blocks in the tens"
    assert recap["unblocked"] > 0 and recap["held"] > 0
