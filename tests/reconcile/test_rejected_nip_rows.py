"""A row whose only fault is its NIP (float-mangled, impossible birth date) is not lost: the NIP is
rejected (a quarantine entry names the field and the value, for the agency to fix) and the row is
staged without it, found by name through identity resolution, and makes or joins its case (DESIGN.md,
"The golden dataset": Identity; DOMAIN.md: a float-mangled NIP "must be rejected, never fixed")."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import CaseLink, QuarantinedRow, StagedRecord
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from tests.ingest.conftest import SandboxProject
from tests.support.sandbox import clock_at

pytestmark = pytest.mark.integration

SOURCES = ("bawaslu", "bkn_wasdal")
"""HTTP sources: a Bawaslu finding (one ``terlapor`` entry) and a BKN Wasdal recommendation."""


def test_a_finding_or_recommendation_with_a_mangled_nip_joins_its_case_linked_by_name(
    as_of_project: SandboxProject, migrated_database: Database
) -> None:
    data_dir = as_of_project.data_dir
    as_of = clock_at(data_dir, "as_of")
    rejected = [
        entry
        for line in (data_dir / "truth" / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
        if (entry := json.loads(line))["source"] in SOURCES
        and entry["reason"] in ("float_mangled_nip", "impossible_nip_birth_date")
        and datetime.fromisoformat(entry["available_at"]) <= as_of
    ]
    rows = {
        (row["source"], row["key"], row["row"]): row
        for line in (data_dir / "truth" / "source_nips.jsonl").read_text(encoding="utf-8").splitlines()
        if datetime.fromisoformat((row := json.loads(line))["available_at"]) <= as_of
    }
    cases = {
        case["case_id"]: {(r["source"], r["key"], r["row"]) for r in case["source_records"]}
        for line in (data_dir / "truth" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
        if (case := json.loads(line))
    }
    assert {e["source"] for e in rejected if e["reason"] == "float_mangled_nip"} == set(SOURCES)

    definitions = build_definitions(
        config_path=str(as_of_project.config_path), database_url=migrated_database.url
    )
    result = definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(raise_on_error=False)
    assert result.success, [str(e.event_specific_data) for e in result.get_step_failure_events()]

    with migrated_database.session() as session:
        for entry in rejected:
            source, key, row = entry["source"], entry["key"], entry["row"]
            truth = rows[(source, key, row)]
            item_no = row - 1 if source == "bawaslu" else 0  # a terlapor entry is one item
            staged = session.scalars(
                select(StagedRecord).where(
                    StagedRecord.source == source,
                    StagedRecord.record_key == key,
                    StagedRecord.item_no == item_no,
                )
            ).one()
            # Staged without its NIP, as written, and never repaired into one ...
            assert staged.nip is None and staged.birth_date is None, entry
            assert staged.nip_raw == str(entry["value"]), entry
            # ... its person found by name (and the digits the value still shows): the true ASN.
            assert staged.identity_rule == "name_match", entry
            assert staged.resolved_nip == truth["true_nip"], entry
            # The quarantine entry names the field and the value, for the agency to fix.
            quarantined = session.scalars(
                select(QuarantinedRow).where(
                    QuarantinedRow.source == source, QuarantinedRow.record_key == key
                )
            ).all()
            assert [(q.column, q.check, q.value) for q in quarantined] == [
                (entry["field"].replace(".", "_"), "acceptable_nip", str(entry["value"]))
            ], entry
            # It is a row of its true case, together with the case's other rows.
            assert truth["case_id"] is not None and (source, key, row) in cases[truth["case_id"]]
            case_id = session.scalar(
                select(CaseLink.case_id).where(
                    CaseLink.staged_record_id == staged.id, CaseLink.unlinked_at.is_(None)
                )
            )
            assert case_id is not None, entry
            together = session.execute(
                select(StagedRecord.source, StagedRecord.record_key, StagedRecord.item_no)
                .join(CaseLink, CaseLink.staged_record_id == StagedRecord.id)
                .where(CaseLink.case_id == case_id, CaseLink.unlinked_at.is_(None))
            ).all()
            linked = {(s, k, i + 1 if s == "bawaslu" else None) for s, k, i in together}
            published = {r for r in cases[truth["case_id"]] if r in rows and r[0] in SOURCES}
            assert published <= linked, entry
