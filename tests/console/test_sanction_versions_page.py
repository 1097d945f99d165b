"""The case page shows a case's sanction versions (objections, keberatan): each code with its name, its
source and letter, the one in force marked, in Indonesian by default and in English; agency viewers,
who may not see BKN's records, get no such section."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sbt_sync.db.models import SanctionVersion
from tests.console.conftest import World

LETTER = "6678/B-AK.02.02/SD/F/2025"


def _versions(world: World) -> None:
    with world.database.session() as session:
        session.add_all(
            [
                SanctionVersion(
                    case_id=world.ids["case_a"], version_key="2024-12-10|25", seq=1, kind="sanction",
                    code="25",
                    letter_no="800/101/BKPSDM/2024", decided_on=date(2024, 12, 10), source="idis",
                    source_ref="idis-0001", reported_by=["idis:idis-0001"], in_force=False,
                ),
                SanctionVersion(
                    case_id=world.ids["case_a"], version_key="steward|x", seq=2, kind="sanction", code="22",
                    letter_no=LETTER, decided_on=date(2025, 1, 12), source="steward", reported_by=[],
                    in_force=True, entered_by="ani", reason="keberatan dikabulkan sebagian",
                    recorded_at=datetime(2025, 1, 13, tzinfo=UTC),
                    applied_at=datetime(2025, 1, 13, tzinfo=UTC),
                ),
            ]
        )  # fmt: skip


def test_the_case_page_lists_every_sanction_version_and_marks_the_one_in_force(world: World) -> None:
    _versions(world)
    client = world.login("steward")
    page = client.get(f"/cases/{world.ids['case_a']}")
    assert page.status_code == 200
    section = page.text.split('id="sanction-versions"', 1)[1].split("</section>", 1)[0]
    assert "Versi hukuman" in section and "berlaku" in section and LETTER in section
    assert "PEMOTONGAN TUNJANGAN KINERJA 25% SELAMA 12 BULAN".lower() in section.lower()
    assert "keberatan dikabulkan sebagian" in section and "idis-0001" in section
    assert section.index("800/101/BKPSDM/2024") < section.index(LETTER)
    english = client.get(f"/cases/{world.ids['case_a']}?lang=en").text
    assert "Sanction versions" in english and "in force" in english


def test_an_agency_viewer_sees_no_sanction_versions(world: World) -> None:
    _versions(world)
    page = world.login("viewer").get(f"/cases/{world.ids['case_a']}")
    assert 'id="sanction-versions"' not in page.text
