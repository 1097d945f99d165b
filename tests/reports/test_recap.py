"""The national recap from the database, on both backends: counts (never True/False) for an event with
a single case, proven cases with no identified ASN per event and per Kanreg, complaints no body
forwarded (``aduan``) in a row of their own, and the renderings that carry them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import insert
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, BlockState, Case, OutboxEntry
from sbt_sync.enforce.outbox import idempotency_key, push_payload
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reports.recap import COLUMNS, NO_EVENT, TOTAL, build_recap
from sbt_sync.reports.render import HEADER_ROW, as_csv, as_text, write_xlsx
from sbt_sync.states.outbox import OutboxState, PushAction
from tests.enforce.rows import add_case, nip
from tests.support.registry import registry_item


def _registry(session: Session, instansi: str, kanreg: str, count: int, first: int) -> None:
    rows = []
    for number in range(first, first + count):
        item = {
            **registry_item(nip(number), f"ASN {number}"),
            "instansiIndukId": instansi,
            "kanregId": kanreg,
        }
        rows.append(registry_row(item))
    session.execute(insert(AsnRegistryEntry), rows)


def acked_block(nip: str, case_key: str) -> OutboxEntry:
    """A block SIASN acknowledged (the recap counts those, not the desired state)."""
    now = datetime(2025, 1, 20, tzinfo=UTC)
    return OutboxEntry(
        idempotency_key=idempotency_key(PushAction.BLOKIR, 1),
        nip=nip,
        action=PushAction.BLOKIR,
        case_refs=[case_key],
        payload=push_payload(nip, PushAction.BLOKIR, [case_key], []),
        state=OutboxState.ACKED,
        attempts=1,
        next_attempt_at=now,
        block_version=1,
        created_at=now,
        maybe_applied=False,
    )


def test_an_event_with_one_case_shows_counts_not_booleans(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        case = add_case(session, "CASE-1", nip(1))
        session.add(BlockState(nip=nip(1), blocked=True, case_ids=[case.id], reason="overdue"))
        session.add(acked_block(nip(1), case.case_key))  # SIASN acknowledged the block

    recap = build_recap(migrated_database)

    assert list(recap.events) == ["PILKADA-2024", TOTAL]
    for name in ("PILKADA-2024", TOTAL):
        row = recap.events[name].as_dict()
        counted = {k: v for k, v in row.items() if not k.endswith("_by_kanreg")}
        assert all(type(v) is int for v in counted.values()), counted
        assert counted["recommended"] == counted["not_followed_up"] == counted["blocked"] == 1
        assert counted["sanctioned"] == counted["held"] == counted["unidentified"] == 0
    assert recap.table()[1][1:] == recap.table()[2][1:]
    assert "True" not in as_text(recap) and "False" not in as_csv(recap)
    assert '"recommended": 1' in json.dumps(recap.as_dict())


def test_proven_cases_with_no_identified_asn_are_counted_per_event_and_kanreg(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:
        # Kab. Sampang's ASN are in Kanreg II but one; Kota Medan's in Kanreg VI.
        _registry(session, "ID-SAMPANG", "II", 3, 1)
        _registry(session, "ID-SAMPANG", "III", 1, 4)
        _registry(session, "ID-MEDAN", "VI", 2, 5)
        for key, instansi in (("A", "ID-SAMPANG"), ("B", "ID-SAMPANG"), ("C", "ID-MEDAN"), ("D", None)):
            case = add_case(session, f"NOBODY-{key}", None)
            case.instansi_id = instansi
        add_case(session, "NOBODY-UNPROVEN", None, status="menunggu_verifikasi", result=None)
        add_case(session, "NOBODY-NOT-PROVEN", None, status="tidak_terbukti", result="tidak_terbukti")
        add_case(session, "NOBODY-ANNULLED", None, status="dibatalkan", result="dibatalkan")
        add_case(session, "IDENTIFIED", nip(1))
        other = add_case(session, "NOBODY-2020", None)
        other.event_code, other.instansi_id = "PILKADA-2020", "ID-MEDAN"

    recap = build_recap(migrated_database)

    assert recap.events["PILKADA-2024"].counts["unidentified"] == 4
    assert recap.events["PILKADA-2020"].counts["unidentified"] == 1
    assert recap.events[TOTAL].counts["unidentified"] == 5
    assert recap.events["PILKADA-2024"].as_dict()["unidentified_by_kanreg"] == {"?": 1, "II": 2, "VI": 1}
    assert recap.events[TOTAL].as_dict()["unidentified_by_kanreg"] == {"?": 1, "II": 2, "VI": 2}
    assert recap.unidentified_table() == [
        ["Pemilihan", "II", "VI", "?"],
        ["PILKADA-2020", 0, 1, 0],
        ["PILKADA-2024", 2, 1, 1],
        [TOTAL, 2, 2, 1],
    ]
    text = as_text(recap)
    assert "Terbukti, tanpa ASN teridentifikasi" in text
    header = next(csv.reader(io.StringIO(as_csv(recap))))
    assert header[-3:] == [f"Tanpa ASN teridentifikasi, Kanreg {k}" for k in ("II", "VI", "?")]


def test_a_complaint_nobody_forwarded_is_counted_as_aduan_in_a_row_of_its_own(
    migrated_database: Database, tmp_path: Path
) -> None:
    with migrated_database.session() as session:
        for number in range(2):
            session.add(Case(case_key=f"ADUAN-{number}", status="aduan", golden={}, content_hash="x"))
        forwarded = add_case(session, "ADUAN-IN-EVENT", None, status="aduan", result=None)
        add_case(session, "CASE-1", nip(1))

    recap = build_recap(migrated_database)

    assert list(recap.events) == ["PILKADA-2024", NO_EVENT, TOTAL]
    assert recap.events[NO_EVENT].as_dict() == {
        **dict.fromkeys(COLUMNS, 0),
        "aduan": 2,
        "blocks_by_kanreg": {},
        "unblocks_by_kanreg": {},
        "unidentified_by_kanreg": {},
    }
    assert recap.events["PILKADA-2024"].counts["aduan"] == 1
    assert recap.events[TOTAL].counts["aduan"] == 3
    # The published columns are the event rows' sum: the complaints' row adds nothing to them.
    assert recap.events[TOTAL].counts["recommended"] == recap.events["PILKADA-2024"].counts["recommended"]
    assert forwarded.event_code == "PILKADA-2024"

    table = recap.table()
    assert table[0][-1] == "Aduan belum diteruskan" and table[2][0] == NO_EVENT and table[2][-1] == 2
    write_xlsx(recap, tmp_path / "recap.xlsx")
    book = load_workbook(tmp_path / "recap.xlsx")
    assert book.sheetnames == ["Rekap", "Blokir per Kanreg", "Buka blokir per Kanreg", "Tanpa ASN per Kanreg"]
    rekap = book["Rekap"]
    values = [c.value for c in rekap[HEADER_ROW + 2]]  # the title, as-of and header rows come first
    assert values[0] == NO_EVENT and values[-1] == 2


def test_an_annulled_recommendation_is_not_counted_as_not_followed_up(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        add_case(session, "OPEN", nip(1))  # proven, waiting for the PPK
        add_case(session, "ANNULLED", nip(2), status="dibatalkan", result="dibatalkan")

    counts = build_recap(migrated_database).events[TOTAL].counts

    assert counts["annulled"] == 1
    assert counts["not_followed_up"] == 1, counts
    assert counts["recommended"] == counts["sanctioned"] + counts["not_followed_up"] + counts["annulled"]


def test_a_sanction_on_a_recommendation_since_annulled_counts_as_annulled_not_sanctioned(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:
        add_case(session, "SANCTIONED", nip(1), sanction_date=date(2024, 11, 20), sanction_code="22")
        add_case(
            session,
            "ANNULLED-AFTER-SK",
            nip(2),
            status="dibatalkan",
            result="dibatalkan",
            sanction_date=date(2024, 11, 20),
            sanction_code="22",
        )

    counts = build_recap(migrated_database).events[TOTAL].counts

    assert (counts["recommended"], counts["sanctioned"], counts["annulled"]) == (2, 1, 1), counts
    assert counts["recommended"] == counts["sanctioned"] + counts["not_followed_up"] + counts["annulled"]
