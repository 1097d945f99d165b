"""End to end on the small sandbox at its ``as_of``: the sanctions it plants as reduced on objection (a
second I'DIS decision) become golden cases with both versions, the one in force equal to the truth's,
no conflict and no hold, and the recap counts them as revised."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, Conflict, SanctionVersion
from sbt_sync.definitions import FULL_CYCLE_JOB, build_definitions
from sbt_sync.reports.recap import TOTAL, build_recap
from tests.ingest.conftest import SandboxProject

pytestmark = pytest.mark.integration


def test_the_planted_revisions_are_in_force_as_the_truth_says(
    as_of_project: SandboxProject, migrated_database: Database
) -> None:
    definitions = build_definitions(
        config_path=str(as_of_project.config_path), database_url=migrated_database.url
    )
    assert definitions.resolve_job_def(FULL_CYCLE_JOB).execute_in_process(raise_on_error=False).success
    lines = (as_of_project.data_dir / "truth" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    revised = [c for c in map(json.loads, lines) if len(c["versi_hukuman"]) > 1]
    assert revised, "the sandbox planted no revised sanction"
    with migrated_database.session() as session:
        for truth in revised:
            case = session.scalars(
                select(Case).where(
                    Case.nip == truth["nip"], Case.recommendation_no == truth["nomor_rekomendasi"]
                )
            ).one()
            versions = session.scalars(
                select(SanctionVersion)
                .where(SanctionVersion.case_id == case.id)
                .order_by(SanctionVersion.seq)
            ).all()
            got = [
                (int(v.code or 0), v.letter_no, v.decided_on.isoformat() if v.decided_on else None)
                for v in versions
            ]
            want = [(v["jenis_hukuman"], v["nomor_sk"], v["tanggal_sk"]) for v in truth["versi_hukuman"]]
            assert got == want, truth["case_id"]
            in_force = [v for v in versions if v.in_force]
            berlaku = truth["hukuman_berlaku"]
            assert [(int(v.code or 0), v.letter_no) for v in in_force] == [
                (berlaku["jenis_hukuman"], berlaku["nomor_sk"])
            ]
            assert in_force[0].letter_no and "/B-AK.02.02/SD/F/" in in_force[0].letter_no
            # the sanction in force, followed up on the first decision's day; a revision is no conflict
            assert case.sanction_imposed == str(berlaku["jenis_hukuman"])
            assert case.sanction_date == date.fromisoformat(truth["tanggal_sk"]) and not case.held
            assert not session.scalars(select(Conflict).where(Conflict.case_id == case.id)).all()
    assert build_recap(migrated_database).events[TOTAL].counts["revised"] == len(revised)
