"""A case of the kind the election demo makes, for the pages that must show words instead of codes
(both backends): a registered ASN of an instansi SIASN writes as a hex id, a proven recommendation with
every golden field, an imposed sanction two sources disagree on (jenisHukuman 21 vs 22, a critical-field
conflict reopened after the sources changed), BKN's control steps, a quarantined NIP and a guard
approval recorded before the guard named its rule."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    Case,
    CaseLink,
    Conflict,
    ControlAction,
    FieldProvenance,
    PushApproval,
    QuarantinedRow,
    RawRecord,
    StagedRecord,
)
from sbt_sync.ingest.registry import registry_row
from tests.console.conftest import T0
from tests.support.registry import registry_item

HEX_INSTANSI = "A5EB03E2E8F0E2ABE040640A040252AD"
"""An instansi id as SIASN writes it: the registry mirror knows its name."""
NIP_REGISTERED = "198504122010012003"
GOLDEN = {
    "event_code": "PILKADA2024",
    "register_no": "0070/Reg/LP/PB/Kab/16.05/XI/2024",
    "register_type": "temuan",
    "register_status": "diteruskan",
    "violation_form": "MEDSOS",
    "incident_at": "2024-10-01T09:00:00+07:00",
    "forwarded_at": "2024-10-03T10:00:00+07:00",
    "province": "Jawa Timur",
    "regency": "Kabupaten Sampang",
    "position": "Analis Kepegawaian",
    "position_category": "fungsional",
    "recommendation_no": "R-77/2024",
    "recommending_body": "BKN",
    "verification_result": "terbukti",
    "verified_at": "2024-10-20",
    "recommended_sanction": "2",
    "recommendation_date": "2024-10-21",
    "follow_up_deadline": "2024-11-04",
    "instansi_id": HEX_INSTANSI,
    "sanction_code": "21",
    "sanction_sk_no": "800/12/2024",
    "sanction_date": "2024-11-10",
    "sanction_effective": "2024-11-11",
    "follow_up_status": "sudah_dijatuhi_hukuman",
}
CONTROL_STEPS = (
    ("peringatan", date(2024, 11, 4), "PPK follow-up deadline 2024-11-04 of R-77/2024 passed"),
    ("teguran", date(2024, 11, 11), "no sanction recorded 7 days after the peringatan"),
)
"""BKN's steps as the enforcement policy words their reasons (in English, as the CLI prints them)."""
"""A proven, sanctioned case: every golden field the reconciliation writes, codes where feeds send codes."""


def seed_words(database: Database, approval_id: int) -> dict[str, int]:
    """The records of the module docstring (``approval_id``: a waiting guard approval to reword);
    returns the case's and the conflict's ids."""
    ids: dict[str, int] = {}
    item = {**registry_item(NIP_REGISTERED, "Tri Wijaya", "Sampang"), "instansiIndukId": HEX_INSTANSI}
    with database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(item)])
        rows = []
        for source, key, code in (("idis", "SK-21", "21"), ("kemendagri", "kmd-9.csv:2", "22")):
            raw = RawRecord(source=source, record_key=key, content_hash="h" + key, payload="{}")
            session.add(raw)
            session.flush()
            staged = StagedRecord(
                source=source, record_key=key, raw_record_id=raw.id, raw_version=1, content_hash="s" + key,
                nip=NIP_REGISTERED, nip_raw=NIP_REGISTERED, name="Tri Wijaya", instansi=HEX_INSTANSI,
                fields={"sanction_code": code, "instansi_id": HEX_INSTANSI}, identity_rule="nip_exact",
            )  # fmt: skip
            session.add(staged)
            session.flush()
            rows.append(staged)
        case = Case(
            case_key="PILKADA2024|reg:0070|" + NIP_REGISTERED, nip=NIP_REGISTERED, event_code="PILKADA2024",
            status="dijatuhi_hukuman", kanreg_id="II", content_hash="cw", golden=GOLDEN, held=True,
            recommendation_date=date(2024, 10, 21), register_no=GOLDEN["register_no"],
            recommendation_no=GOLDEN["recommendation_no"],
        )  # fmt: skip
        session.add(case)
        session.flush()
        for staged in rows:
            session.add(CaseLink(case_id=case.id, staged_record_id=staged.id, source=staged.source,
                                 record_key=staged.record_key, rule="nip_event"))  # fmt: skip
        for name, value in GOLDEN.items():
            rule = "only_source" if name != "sanction_code" else "source_rank"
            source = "idis" if name.startswith("sanction") else "bkn_wasdal"
            session.add(FieldProvenance(case_id=case.id, field=name, value=value, source=source, rule=rule))
        conflict = Conflict(
            conflict_key=f"critical_field|{case.case_key}|sanction_code", kind="critical_field",
            case_id=case.id, field="sanction_code", basis_hash="bw", opened_at=T0, priority=2,
            candidates=[
                {"value": "21", "source": "idis", "staged_record_id": rows[0].id, "rule": "source_rank",
                 "golden": True},
                {"value": "22", "source": "kemendagri", "staged_record_id": rows[1].id},
            ],
            reopened_reason="the sources changed since the decision of 2026-11-19T02:00:00+00:00: now "
            "idis='21', kemendagri='22'",
        )  # fmt: skip
        session.add(conflict)
        for action, day, reason in CONTROL_STEPS:
            session.add(ControlAction(case_id=case.id, action=action, due_on=day, reason=reason, as_of=day))
        session.add(
            QuarantinedRow(
                source="bawaslu", record_key="REG-Q", column="terlapor_nip", check="acceptable_nip",
                value="12345", reason="terlapor_nip: NIP must have 18 digits, found 5 (value '12345')",
            )
        )  # fmt: skip
        approval = session.get(PushApproval, approval_id)
        assert approval is not None
        approval.change_count, approval.blocked_before, approval.percent = 1, 0, 0.0
        approval.summary = {"reason": "1 block-flag changes exceed max_changes 0", "blokir": 1, "buka": 0}
        session.flush()
        ids.update(case_words=case.id, conflict_words=conflict.id)
    return ids
