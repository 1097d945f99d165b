"""The I-MUT pages say instansi and regions in words: the instansi by its registry name and the region a
regional head governs by the name of its government (the registry's name of the instansi the head
heads, "Pemerintah Kota Bandung": Kota Bandung), each code only beside it. When the registry knows no
name, the page says so in words ("tidak dikenal") with the code as the secondary detail, never a bare
32-hex id or "wilayah 32.73". The report names the election, not its id."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sbt_sync.db.models import AsnRegistryEntry, ImutFinding
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from tests.console.conftest import World
from tests.imut.builders import INSTANSI, NIP_A, REGION, ingest, payload


def _finding(world: World, *, named: bool) -> int:
    if named:
        with world.database.session() as session:
            session.add(
                AsnRegistryEntry(
                    nip=NIP_A, siasn_id="S1", name="AHMAD FAUZI", name_normalised="ahmad fauzi",
                    birth_date=date(1980, 1, 1), gender="M", kind="PNS", instansi_id=INSTANSI,
                    instansi_name="Pemerintah Kota Bandung", kanreg_id="III", status_id="1",
                    status_name="Aktif", content_hash="x",
                )
            )  # fmt: skip
    ingest(world.database, payload(1))
    with world.database.session() as session:
        evaluate_findings(
            session,
            elections=load_election_calendar(),
            workdays=load_working_days(),
            as_of=date(2024, 11, 27),
        )
        return session.scalars(select(ImutFinding.id)).first() or 0


def test_a_finding_names_its_instansi_and_region_in_words(world: World) -> None:
    steward, finding = world.login("steward"), _finding(world, named=True)
    page = steward.get(f"/imut/{finding}").text
    side = page.split('id="side-by-side"')[1].split("</table>")[0]
    assert "wilayah Kota Bandung" in side and f"wilayah {REGION}<" not in side
    assert "Pemerintah Kota Bandung" in page
    english = steward.get(f"/imut/{finding}?lang=en").text
    assert "region Kota Bandung" in english
    queue = steward.get("/imut").text
    assert "Pemerintah Kota Bandung" in queue and INSTANSI not in queue
    report = steward.get("/imut/report").text
    assert "Kota Bandung (32.73)" in report and "Pilkada serentak 2024" in report
    assert ">pilkada-2024<" not in report and f">{REGION}<" not in report


@pytest.mark.parametrize("lang", ["id", "en"])
def test_an_unknown_instansi_and_region_are_said_in_words_with_the_code_beside(
    world: World, lang: str
) -> None:
    steward, finding = world.login("steward"), _finding(world, named=False)
    unknown = {"id": ("tidak dikenal", "wilayah tidak dikenal"), "en": ("unknown", "region unknown")}[lang]
    page = steward.get(f"/imut/{finding}?lang={lang}").text
    side = page.split('id="side-by-side"')[1].split("</table>")[0]
    assert unknown[1] in side and f"{REGION}<" not in side.replace(f"({REGION})", "")
    facts = page.split('id="imut-instansi"')[1].split("</dd>")[0]
    assert unknown[0] in facts and facts.index(unknown[0]) < facts.index(INSTANSI)
    queue = steward.get(f"/imut?lang={lang}").text
    cell = queue.split("<tbody>")[1]
    assert unknown[0] in cell and cell.index(unknown[0]) < cell.index(INSTANSI[:8])
    report = steward.get(f"/imut/report?lang={lang}").text
    assert f"{unknown[1].split()[-1] if lang == 'en' else 'tidak dikenal'} (32.73)" in report
