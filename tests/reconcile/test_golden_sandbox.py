"""The golden reconciliation against a generated sandbox, identity taken from the truth.

Every source row available at the manifest's ``as_of`` (HTTP: each key's latest version; SFTP: each
file name's latest delivery) is validated through its feed contract and staged; its NIP is the true
one from truth/source_nips.jsonl, so this measures linking, survivorship and conflicts in isolation
from identity resolution. Manual election-scale run:
``python -c "from tests.reconcile.test_golden_sandbox import main; main('/tmp/gl-election')"``.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from sbt_sync.ingest.files import read_csv, read_jsonl_gz
from sbt_sync.ingest.validate import RecordInput, validate
from sbt_sync.reconcile.golden.model import GoldenResult, SourceRecord
from sbt_sync.reconcile.golden.reconcile import reconcile
from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.settings import SurvivorshipSettings
from schemas.feeds import FEEDS
from schemas.reference import kedudukan
from tests.conftest import REPO_ROOT

RowId = tuple[str, str, int | None]
"""``(source, key, row)`` as truth/cases.jsonl names a source row."""
TRUTH_FIELD = {"hasil": "verification_result", "rekomendasi_sanksi": "recommended_sanction"}
TRUTH_FIELD["jenis_hukuman"] = "sanction_code"
WAITING = "menunggu_tindak_lanjut_ppk"
STAGE_STATUS = {"menunggu_tindak_lanjut": WAITING, "peringatan": WAITING, "teguran": WAITING}
STAGE_STATUS |= {"diblokir": WAITING, "meninggalkan_dinas": "asn_berhenti"}
"""enforcement.json's stages as status words; ``ditahan`` (held) says nothing of the status."""
Input = tuple[RowId, str, dict[str, Any], datetime]
"""A row to stage: its truth id, record key, payload and when it became available."""


@dataclass
class Loaded:
    records: list[SourceRecord] = field(default_factory=list)
    row_of: dict[int, RowId] = field(default_factory=dict)
    case_of: dict[RowId, str | None] = field(default_factory=dict)


@dataclass
class Score:
    truth_cases: int = 0
    exact: int = 0
    extra_cases: int = 0
    extra_kinds: Counter[str] = field(default_factory=Counter)
    conflicts_expected: int = 0
    conflicts_missed: list[dict[str, Any]] = field(default_factory=list)
    conflicts_extra: int = 0
    statuses: int = 0
    status_wrong: list[tuple[str, str, str]] = field(default_factory=list)
    """(case id, truth stage, our status)."""
    held_wrong: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.exact / self.truth_cases if self.truth_cases else 1.0


def _stage(loaded: Loaded, source: str, inputs: Sequence[Input]) -> None:
    """Validate ``inputs`` (row id, record key, payload, available at) and append their records."""
    outcome = validate(FEEDS[source], [RecordInput(i, key, p) for i, (_, key, p, _) in enumerate(inputs)])
    for ref, staged in outcome.staged:
        row_id, key, _, at = inputs[ref]
        if source == "bawaslu":
            row_id = (source, row_id[1], staged.item_no + 1)
        staged_id = len(loaded.records) + 1
        loaded.row_of[staged_id] = row_id
        loaded.records.append(
            SourceRecord(
                staged_id=staged_id,
                source=source,
                record_key=key,
                item_no=staged.item_no,
                record_type=staged.record_type,
                nip=None,
                event_code=staged.event_code,
                register_no=staged.register_no,
                recommendation_no=staged.recommendation_no,
                source_updated_at=staged.source_updated_at or at,
                fields=staged.fields,
            )
        )


def load(data_dir: Path, as_of: datetime) -> Loaded:
    """Every accepted source row available at ``as_of`` as a record carrying its true NIP."""
    loaded = Loaded()
    for source in ("bawaslu", "bkn_wasdal", "idis"):
        latest: dict[str, tuple[dict[str, Any], datetime]] = {}
        for line in (data_dir / "http" / f"{source}.jsonl").read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            at = datetime.fromisoformat(entry["available_at"])
            if at <= as_of:
                latest[entry["key"]] = (entry["record"], at)
        inputs: list[Input] = [((source, k, None), k, rec, at) for k, (rec, at) in sorted(latest.items())]
        _stage(loaded, source, inputs)
    config = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))["sources"]
    deliveries: dict[tuple[str, str], dict[str, Any]] = {}
    for line in (data_dir / "sftp" / "deliveries.jsonl").read_text(encoding="utf-8").splitlines():
        delivery = json.loads(line)
        if datetime.fromisoformat(delivery["available_at"]) <= as_of:
            deliveries[(delivery["source"], delivery["name"])] = delivery
    for (source, name), delivery in sorted(deliveries.items()):
        data = (data_dir / delivery["content"]).read_bytes()
        if config[source]["format"] == "csv":
            options = config[source]["csv"]
            parsed = read_csv(name, data, delimiter=options["delimiter"], encodings=options["encodings"])
        else:
            parsed = read_jsonl_gz(name, data)
        at = datetime.fromisoformat(delivery["available_at"])
        rows: list[Input] = [((source, name, r.row), f"{name}#{r.row}", r.payload, at) for r in parsed.rows]
        _stage(loaded, source, rows)
    truth: dict[RowId, tuple[datetime, str | None, str | None]] = {}
    for line in (data_dir / "truth" / "source_nips.jsonl").open(encoding="utf-8"):
        t = json.loads(line)
        at = datetime.fromisoformat(t["available_at"])
        row_id = (t["source"], t["key"], t["row"])
        if at <= as_of and (row_id not in truth or truth[row_id][0] <= at):
            truth[row_id] = (at, t["true_nip"], t["case_id"])
    loaded.case_of = {row_id: case_id for row_id, (_, _, case_id) in truth.items()}
    # A row the truth says raises an identity conflict is disputed: identity resolution gives it no
    # NIP, and its open conflict holds whatever case it joins (DESIGN.md, "Identity disputes hold").
    disputed: dict[RowId, str] = {}
    for line in (data_dir / "truth" / "conflicts.jsonl").open(encoding="utf-8"):
        conflict = json.loads(line)
        if conflict["kind"] == "identity":
            disputed[(conflict["source"], conflict["key"], conflict["row"])] = conflict["conflict_kind"]
    records: list[SourceRecord] = []
    for r in loaded.records:
        row_id = loaded.row_of[r.staged_id]
        nip = truth.get(row_id, (as_of, None, None))[1]
        if row_id in disputed:
            records.append(replace(r, nip=None, names_person=True, identity_dispute=disputed[row_id]))
        else:
            records.append(replace(r, nip=nip, names_person=nip is not None))
    loaded.records = records
    return loaded


def left_service(data_dir: Path) -> dict[str, date]:
    """NIP -> the date its holder left service, from the sandbox registry's kedudukan."""
    leaving = {row.id for row in kedudukan() if row.meninggalkan_dinas}
    with gzip.open(data_dir / "registry.csv.gz", "rt", encoding="utf-8") as handle:
        return {
            row["nipBaru"]: date.fromisoformat(row["updatedAt"][:10])
            for row in csv.DictReader(handle)
            if row["kedudukanPnsId"] in leaving
        }


def score(data_dir: Path, loaded: Loaded, result: GoldenResult) -> Score:
    """Case-set accuracy (a true case counts when one golden case holds exactly its visible rows) and
    the truth's critical_field / lifecycle conflicts raised, with how many more were raised."""
    visible = set(loaded.row_of.values())
    expected: dict[str, frozenset[RowId]] = {}
    for line in (data_dir / "truth" / "cases.jsonl").open(encoding="utf-8"):
        case = json.loads(line)
        rows = frozenset((s["source"], s["key"], s["row"]) for s in case["source_records"]) & visible
        if rows:
            expected[case["case_id"]] = rows
    found = {
        golden.case_key: frozenset(loaded.row_of[r.staged_id] for r in golden.draft.records)
        for golden in result.cases
    }
    matched = set(found.values())
    outcome = Score(truth_cases=len(expected), exact=sum(rows in matched for rows in expected.values()))
    truth_sets = set(expected.values())
    for rows in found.values():
        if rows not in truth_sets:
            outcome.extra_cases += 1
            outcome.extra_kinds[",".join(sorted({r[0] for r in rows}))] += 1
    enforcement = json.loads((data_dir / "truth" / "enforcement.json").read_text(encoding="utf-8"))
    stages = {c["case_id"]: (c["stage"], c["held"]) for c in enforcement["cases"]}
    raised: set[tuple[str | None, str, str]] = set()
    for golden in result.cases:
        votes = Counter(loaded.case_of.get(loaded.row_of[r.staged_id]) for r in golden.draft.records)
        case_id = votes.most_common(1)[0][0]
        if case_id is not None and case_id in stages:
            stage, held = stages[case_id]
            outcome.statuses += 1
            if stage != "ditahan" and STAGE_STATUS.get(stage, stage) != golden.status:
                outcome.status_wrong.append((case_id, stage, golden.status))
            if held != golden.held:
                outcome.held_wrong.append(case_id)
        for conflict in golden.conflicts:
            raised.add((case_id, conflict.kind, conflict.field))
    wanted: set[tuple[str | None, str, str]] = set()
    for line in (data_dir / "truth" / "conflicts.jsonl").open(encoding="utf-8"):
        conflict = json.loads(line)
        if conflict["kind"] in ("critical_field", "lifecycle"):
            want = (conflict["case_id"], conflict["kind"], TRUTH_FIELD[conflict["field"]])
            wanted.add(want)
            if want not in raised:
                outcome.conflicts_missed.append(conflict)
    outcome.conflicts_expected = len(wanted)
    outcome.conflicts_extra = len({k for k in raised if k[1] != "ambiguous_link"} - wanted)
    return outcome


def run(data_dir: Path) -> tuple[Loaded, GoldenResult, Score]:
    """Load ``data_dir`` at its manifest's ``as_of``, reconcile and score."""
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    as_of = datetime.fromisoformat(manifest["clock"]["as_of"])
    loaded = load(data_dir, as_of)
    result = reconcile(
        loaded.records, SurvivorshipSettings(), as_of=as_of.date(), left_service=left_service(data_dir)
    )
    return loaded, result, score(data_dir, loaded, result)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Loaded, GoldenResult, Score]:
    out = tmp_path_factory.mktemp("golden-small")
    generate_sandbox(seed=1, scale="small", out=out)
    return run(out)


@pytest.mark.integration
def test_golden_cases_match_the_true_cases_on_small_sandbox(
    small_run: tuple[Loaded, GoldenResult, Score],
) -> None:
    _, _, measured = small_run
    assert measured.accuracy >= 0.98, measured
    assert not measured.conflicts_missed
    assert not measured.status_wrong
    assert not measured.held_wrong


def main(data_dir: str) -> None:
    """Manual run on ``data_dir`` (an already generated sandbox): print the numbers."""
    _, result, measured = run(Path(data_dir))
    print(
        f"cases {len(result.cases)}; true cases {measured.truth_cases}, exact {measured.exact} "
        f"({measured.accuracy:.4f}); extra {measured.extra_cases} {dict(measured.extra_kinds)}; "
        f"conflicts expected {measured.conflicts_expected}, missed {len(measured.conflicts_missed)}, "
        f"extra {measured.conflicts_extra}; unlinked {len(result.unlinked)}; statuses "
        f"{measured.statuses}, wrong {len(measured.status_wrong)}, held wrong {len(measured.held_wrong)}"
    )
