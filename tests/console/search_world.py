"""What the header search is tried on (both backends): a small registry and two cases of two agencies.

- Case T: Tri Wijaya, S.Pd. (Analis Kepegawaian, Sampang). Bawaslu's register names her "Dr. Tri
  Wijaya, S.Pd." with her NIP; BKN Wasdal's recommendation names her "TRI WIJAYA" and IDIS's sanction
  record carries the PPK's SK number (also the case's golden SK). A critical-field conflict is open
  on the case.
- Case K: Budi Santoso, found only in Kemendagri's record (another agency for Bawaslu's viewer), with
  an identity conflict on that record.
- Case N: Tri Wijayanti, a namesake, found only in KASN's record.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case, CaseLink, Conflict, RawRecord, StagedRecord
from sbt_sync.ingest.registry import registry_row
from schemas.names import normalise_name
from tests.support.registry import registry_item

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TRI = "198504122010012003"
TRI_NAMESAKE = "198811032014022001"
BUDI = "198207072009011005"
REGISTER = "0070/Reg/LP/PB/Kab/15.23/X/2024"
RECOMMENDATION = "B-2291/KU.04/XI/2024"
SK = "800/0042/BKPSDM/2024"
BUDI_REGISTER = "0099/Reg/LP/PB/Kab/15.23/X/2024"
TRI_KEY = f"PILKADA-2024|reg:{REGISTER}|{TRI}"
NAMESAKE_KEY = f"PILKADA-2024|kasn:KASN-77|{TRI_NAMESAKE}"
BUDI_KEY = f"PILKADA-2024|kmd:kmd-7.csv:3|{BUDI}"
REGISTRY = [
    {**registry_item(TRI, "Tri Wijaya", back="S.Pd."), "jabatanNama": "Analis Kepegawaian"},
    {**registry_item(TRI_NAMESAKE, "Tri Wijayanti"), "jabatanNama": "Pranata Komputer"},
    {**registry_item(BUDI, "Budi Santoso"), "jabatanNama": "Kepala Seksi Pemerintahan"},
]


def _record(database: Database, source: str, key: str, name: str, **columns: Any) -> int:
    fields = columns.pop("fields", {})
    with database.session() as session:
        raw = RawRecord(source=source, record_key=key, content_hash="h" + key, payload="{}")
        session.add(raw)
        session.flush()
        staged = StagedRecord(
            source=source,
            record_key=key,
            raw_record_id=raw.id,
            raw_version=1,
            content_hash="s" + key,
            name=name,
            name_normalised=normalise_name(name),
            instansi="Pemerintah Kabupaten Sampang",
            fields=fields,
            **columns,
        )
        session.add(staged)
        session.flush()
        return staged.id


def _case(database: Database, key: str, nip: str, records: dict[int, tuple[str, str]], **columns: Any) -> int:
    with database.session() as session:
        case = Case(
            case_key=key,
            nip=nip,
            event_code="PILKADA2024",
            status="menunggu_tindak_lanjut_ppk",
            kanreg_id="II",
            content_hash=hashlib.sha256(key.encode()).hexdigest(),
            recommendation_date=date(2026, 10, 1),
            **columns,
        )
        session.add(case)
        session.flush()
        for record_id, (source, record_key) in records.items():
            session.add(
                CaseLink(
                    case_id=case.id,
                    staged_record_id=record_id,
                    source=source,
                    record_key=record_key,
                    rule="nip_event",
                )
            )
        return case.id


def seed_search_world(database: Database) -> dict[str, int]:
    """The registry, cases, records and conflicts of the module docstring; their ids by name."""
    with database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(item) for item in REGISTRY])
    ids = {
        "bawaslu": _record(
            database,
            "bawaslu",
            "BWS-0070",
            "Dr. Tri Wijaya, S.Pd.",
            nip=TRI,
            nip_raw=TRI,
            register_no=REGISTER,
        ),
        "wasdal": _record(
            database,
            "bkn_wasdal",
            "WAS-2291",
            "TRI WIJAYA",
            nip=TRI,
            nip_raw=TRI,
            recommendation_no=RECOMMENDATION,
        ),
        "idis": _record(database, "idis", "SK-42", "Tri Wijaya", nip=TRI, fields={"sanction_sk_no": SK}),
        "kemendagri": _record(
            database,
            "kemendagri",
            "kmd-7.csv:3",
            "Budi Santoso",
            nip_raw=BUDI[:14],
            register_no=BUDI_REGISTER,
        ),
    }
    ids["case_tri"] = _case(
        database,
        TRI_KEY,
        TRI,
        {
            ids["bawaslu"]: ("bawaslu", "BWS-0070"),
            ids["wasdal"]: ("bkn_wasdal", "WAS-2291"),
            ids["idis"]: ("idis", "SK-42"),
        },
        register_no=REGISTER,
        recommendation_no=RECOMMENDATION,
        golden={"sanction_sk_no": SK},
        held=True,
    )
    ids["kasn"] = _record(database, "kasn", "KASN-77", "Tri Wijayanti", nip=TRI_NAMESAKE)
    ids["case_namesake"] = _case(database, NAMESAKE_KEY, TRI_NAMESAKE, {ids["kasn"]: ("kasn", "KASN-77")})
    ids["case_budi"] = _case(
        database,
        BUDI_KEY,
        BUDI,
        {ids["kemendagri"]: ("kemendagri", "kmd-7.csv:3")},
        register_no=BUDI_REGISTER,
    )
    with database.session() as session:
        field = Conflict(
            conflict_key=f"critical|{TRI_KEY}|sanction_imposed",
            kind="critical_field",
            case_id=ids["case_tri"],
            field="sanction_imposed",
            basis_hash="bt",
            opened_at=T0,
            candidates=[
                {"source": "idis", "value": "21", "staged_record_id": ids["idis"]},
                {"source": "kemendagri", "value": "22"},
            ],
        )
        identity = Conflict(
            conflict_key="identity|kemendagri|kmd-7.csv:3|0",
            kind="identity",
            staged_record_id=ids["kemendagri"],
            field="nip",
            basis_hash="bb",
            agency="kemendagri",
            opened_at=T0,
            priority=1,
            candidates=[{"nip": BUDI, "score": 0.9, "source": "siasn"}],
        )
        session.add_all([field, identity])
        session.flush()
        ids["conflict_tri"], ids["conflict_budi"] = field.id, identity.id
    return ids
