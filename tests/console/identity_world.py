"""Identity conflicts a steward meets, on a small registry of Kabupaten Sampang (both backends).

- ``unresolved``: a BKN Wasdal recommendation naming "Tri Wijyaa" (misspelt, no NIP, the instansi by
  its id, as BKN Wasdal writes it) that joined case
  CASE-U by its recommendation number; the reconciliation found nobody, so it offers no candidate.
- ``tie``: a KASN row naming "Ahmad Fauzi", Camat Sreseh; two namesakes of one instansi score 1.00 and
  0.99 (the Camat and a Sekretaris Dinas).
- ``disagrees``: a KASN row naming "Budi Santoso", Camat; the one candidate is a Kepala Seksi.
- ``clean``: a KASN row naming "Rina Marlina, S.Pd." whose partial NIP shows her birth date; the one
  candidate agrees on everything the row says.
- ``seed_namesake_crowd``: a name alone held by many ASN nationally, every one offered (a long list).
- ``field``: a critical-field conflict whose candidates name their rows by ``staged_record_id``, as
  the reconciliation writes them, and whose golden value was chosen by ``source_rank``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    Case,
    CaseLink,
    Conflict,
    FieldProvenance,
    RawRecord,
    StagedRecord,
)
from sbt_sync.ingest.registry import registry_row
from tests.support.registry import registry_item

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TRI = "198504122010012003"
TRI_NAMESAKE = "198811032014022001"
FAUZI_CAMAT = "197702142003121004"
FAUZI_SEKDIS = "198006202005011002"
BUDI = "198207072009011005"
RINA = "199003152015032001"
AGAM_TRI = "198504122011012004"


def _person(nip: str, name: str, position: str, instansi: str = "Sampang", **extra: str) -> dict[str, Any]:
    return {**registry_item(nip, name, instansi), "jabatanNama": position, **extra}


REGISTRY = [
    _person(TRI, "Tri Wijaya", "Analis Kepegawaian", gelarBelakang="S.Sos."),
    _person(TRI_NAMESAKE, "Tri Wijayanti", "Pranata Komputer"),
    _person(AGAM_TRI, "Tri Wijaya", "Guru Ahli Muda", "Agam"),
    _person(FAUZI_CAMAT, "Ahmad Fauzi", "Camat Sreseh"),
    _person(FAUZI_SEKDIS, "Ahmad Fauzi", "Sekretaris Dinas Pendidikan", gelarDepan="Drs."),
    _person(BUDI, "Budi Santoso", "Kepala Seksi Pemerintahan"),
    _person(RINA, "Rina Marlina", "Guru Ahli Pertama", gelarBelakang="S.Pd."),
]
SAMPANG = "Pemerintah Kabupaten Sampang"


def _row(
    database: Database,
    source: str,
    key: str,
    name: str,
    *,
    nip_raw: str | None = None,
    instansi: str = SAMPANG,
    **fields: Any,
) -> int:
    with database.session() as session:
        raw = RawRecord(source=source, record_key=key, content_hash="h" + key, payload="{}")
        session.add(raw)
        session.flush()
        staged = StagedRecord(
            source=source, record_key=key, raw_record_id=raw.id, raw_version=1, content_hash="s" + key,
            nip_raw=nip_raw, name=name, instansi=instansi, fields=fields,
            identity_rule="no_candidate" if source == "bkn_wasdal" else "ambiguous_match",
        )  # fmt: skip
        session.add(staged)
        session.flush()
        return staged.id


def _identity(
    database: Database, kind: str, staged_id: int, source: str, key: str, candidates: list[dict[str, Any]]
) -> int:
    with database.session() as session:
        conflict = Conflict(
            conflict_key=f"identity|{source}|{key}|0", kind=kind, staged_record_id=staged_id, field="nip",
            basis_hash="b" + key, agency=source, opened_at=T0, priority=1, candidates=candidates,
        )  # fmt: skip
        session.add(conflict)
        session.flush()
        return conflict.id


def seed_identity_world(database: Database) -> dict[str, int]:
    """The registry and the conflicts of the module docstring; returns their ids by name."""
    with database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(item) for item in REGISTRY])
    ids: dict[str, int] = {}
    ids["row_unresolved"] = _row(
        database, "bkn_wasdal", "WAS-1", "Tri Wijyaa", instansi="ID-Sampang", recommendation_no="R-1"
    )  # BKN Wasdal writes the instansi's id
    with database.session() as session:
        case = Case(
            case_key="PILKADA-2024|rec:R-1", event_code="PILKADA2024", status="menunggu_tindak_lanjut_ppk",
            kanreg_id="II", content_hash="cu", golden={"verification_result": "terbukti"}, held=True,
        )  # fmt: skip
        session.add(case)
        session.flush()
        session.add(
            CaseLink(
                case_id=case.id, staged_record_id=ids["row_unresolved"], source="bkn_wasdal",
                record_key="WAS-1", rule="recommendation_no",
            )
        )  # fmt: skip
        ids["case_unresolved"] = case.id
    ids["unresolved"] = _identity(database, "unresolved", ids["row_unresolved"], "bkn_wasdal", "WAS-1", [])
    ids["row_tie"] = _row(database, "kasn", "KASN-1", "Ahmad Fauzi", position="Camat Sreseh")
    ids["tie"] = _identity(
        database, "identity", ids["row_tie"], "kasn", "KASN-1",
        [{"nip": FAUZI_CAMAT, "score": 1.0, "source": "siasn"},
         {"nip": FAUZI_SEKDIS, "score": 0.99, "source": "siasn"}],
    )  # fmt: skip
    ids["row_disagrees"] = _row(database, "kasn", "KASN-2", "Budi Santoso", position="Camat")
    ids["disagrees"] = _identity(
        database, "identity", ids["row_disagrees"], "kasn", "KASN-2",
        [{"nip": BUDI, "score": 0.88, "source": "siasn"}],
    )  # fmt: skip
    ids["row_clean"] = _row(
        database, "kasn", "KASN-3", "Rina Marlina, S.Pd.", nip_raw="19900315201503", position="Guru"
    )
    ids["clean"] = _identity(
        database, "identity", ids["row_clean"], "kasn", "KASN-3",
        [{"nip": RINA, "score": 0.9, "source": "siasn"}],
    )  # fmt: skip
    ids.update(_field_conflict(database))
    return ids


def _field_conflict(database: Database) -> dict[str, int]:
    idis = _row(database, "idis", "SK-1", "Budi Santoso", sanction_code="21")
    kmd = _row(database, "kemendagri", "kmd.csv:4", "Budi Santoso", sanction_code="22")
    with database.session() as session:
        case = Case(
            case_key="PILKADA-2024|reg:9", nip=BUDI, event_code="PILKADA2024", status="dijatuhi_hukuman",
            kanreg_id="II", content_hash="cf", golden={"sanction_imposed": "21"}, held=True,
        )  # fmt: skip
        session.add(case)
        session.flush()
        session.add(
            FieldProvenance(
                case_id=case.id, field="sanction_imposed", value="21", source="idis", staged_record_id=idis,
                rule="source_rank",
            )
        )  # fmt: skip
        conflict = Conflict(
            conflict_key="critical|PILKADA-2024|reg:9|sanction_imposed", kind="critical_field",
            case_id=case.id, field="sanction_imposed", basis_hash="bf", opened_at=T0,
            candidates=[{"source": "idis", "value": "21", "staged_record_id": idis},
                        {"source": "kemendagri", "value": "22", "staged_record_id": kmd}],
        )  # fmt: skip
        session.add(conflict)
        session.flush()
        return {"field": conflict.id, "row_idis": idis, "row_kemendagri": kmd}


def seed_namesake_crowd(database: Database, count: int, tied_total: int = 0) -> tuple[int, list[str]]:
    """An identity conflict on a KASN row naming "Eka Rahman" alone, offering ``count`` namesakes (born
    in 1970-1989, one per instansi, half in Kanreg II and half in Kanreg IV) tied at 0.90, by NIP as the
    reconciliation stores them; with ``tied_total`` the reconciliation's cap cut a tie of that many.
    Returns the conflict's id and the namesakes' NIPs."""
    people = [
        {
            **registry_item(f"19{70 + n % 20}0101201001{1 + n % 2}{n + 1:03d}", "Eka Rahman", f"Kab{n:02d}"),
            "kanregId": "II" if n % 2 == 0 else "IV",
        }
        for n in range(count)
    ]
    with database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(item) for item in people])
    nips = sorted(p["nipBaru"] for p in people)
    staged = _row(database, "kasn", "KASN-9", "Eka Rahman", instansi="")
    extra = {"tied_total": tied_total} if tied_total else {}
    candidates = [{"nip": nip, "score": 0.9, "source": "siasn", **extra} for nip in nips]
    return _identity(database, "identity", staged, "kasn", "KASN-9", candidates), nips
