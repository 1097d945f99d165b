"""Every link-correction page records a read of everyone whose record it shows (both backends).

DESIGN.md: every read of an ASN's personal data by a person is recorded (who, when, channel, hashed
NIPs). The correction pages (choose a target, the correction's preview, an undo's or a reopening's
preview) list source records by their name and masked NIP. Before, a page recorded only the full NIPs in
what else it showed (the people of the consequence: the case keys and the flags that flip), so the choose
page of a record recorded nobody, and a record shown in a preview was recorded only when its NIP was
its case key's. Now each page records, for every record it lists, the NIP it resolved to, the NIP its
source wrote, and, as the case page does for the records of a case (a record may name a person but
carry no NIP), the NIP of the case it is linked to.

The world: Budi's finding and a recommendation carrying Budi's NIP under Siti's name (register 0), Siti's
finding (register 1), a Bawaslu finding naming "SITI AMINAH" without a NIP (register 1), and a
recommendation of Budi's register naming Joko Prasetyo under a NIP the registry does not know.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sbt_sync.console.users import add_user
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    Case,
    CaseLink,
    Conflict,
    PersonalDataAccess,
    PersonalDataAccessNip,
    StagedRecord,
)
from sbt_sync.pdp.access import access_key, nip_hash, nips_in
from sbt_sync.settings import Settings
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import (
    Consequence,
    CorrectionRequest,
    correct_link,
    preview_correction,
    preview_reopen,
    preview_undo,
)
from tests.console import searching
from tests.console.conftest import PASSWORD
from tests.console.test_link_pages import Desk
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


@dataclass
class World:
    desk: Desk
    named_b: int
    """Budi's NIP, Siti's name: the recommendation whose identity conflict was decided for Budi."""
    name_only: int
    """A finding naming SITI AMINAH, no NIP."""
    unknown: int
    """Joko's recommendation, under a NIP nobody holds."""
    conflict: int


@pytest.fixture
def world(migrated_database: Database, project_settings: Settings) -> Iterator[World]:  # noqa: F811
    database = migrated_database
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)
    _write(database, 2, Spec("finding", "b", 1, 1), 1)
    _write(database, 3, Spec("finding", "name_only_b", 1, 1), 1)
    _write(database, 4, Spec("recommendation", "unknown", 0, 0), 1)  # a NIP nobody holds, Joko's name
    add_user(database, project_settings, username="steward", password=PASSWORD, role="steward",
             actor="test")  # fmt: skip
    with database.session() as session:
        ids = list(session.scalars(select(StagedRecord.id).order_by(StagedRecord.id)))
    desk = Desk(project_settings, database, ids[0], ids[1], ids[2])
    desk.reconcile(0)
    with database.session() as session:
        conflict = session.scalars(select(Conflict.id).where(Conflict.kind == "name_mismatch")).one()
    resolve_conflict(database, conflict, value=NIP_A, reason="the SK names Budi", actor="ani")
    desk.reconcile(1)
    yield World(desk, ids[1], ids[3], ids[4], conflict)


def _record_nips(database: Database, ids: Iterable[int]) -> set[str]:
    """What a page listing records ``ids`` must record: each record's resolved NIP, the NIP its source
    wrote, and the NIP of the case it is linked to."""
    with database.session() as session:
        rows = session.execute(
            select(StagedRecord.resolved_nip, StagedRecord.nip_raw, Case.nip)
            .outerjoin(
                CaseLink, (CaseLink.staged_record_id == StagedRecord.id) & CaseLink.unlinked_at.is_(None)
            )
            .outerjoin(Case, Case.id == CaseLink.case_id)
            .where(StagedRecord.id.in_(list(ids)))
        ).all()
    return nips_in([list(row) for row in rows])


def _shown(consequence: Consequence, record: int | None = None) -> set[int]:
    listed = [*consequence.cases_before.values(), *consequence.cases_after.values()]
    return {i for members in listed for i in members} | ({record} if record else set())


def _last(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.max(PersonalDataAccess.id))) or 0


def _read(database: Database, client: TestClient, path: str) -> set[str]:
    """GET ``path`` as the steward (200 expected); the NIP hashes that request recorded."""
    before = _last(database)
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code, page.text[:300])
    with database.session() as session:
        return set(
            session.scalars(
                select(PersonalDataAccessNip.nip_hash)
                .join(PersonalDataAccess, PersonalDataAccess.id == PersonalDataAccessNip.access_id)
                .where(PersonalDataAccess.id > before, PersonalDataAccess.who == "steward")
            )
        )


def _hashes(world: World, nips: Iterable[str]) -> set[str]:
    key = access_key(world.desk.settings)
    return {nip_hash(key, nip) for nip in nips}


def test_the_choose_pages_record_the_record_they_show_and_the_cases_found(world: World) -> None:
    desk = world.desk
    steward = desk.login("steward")
    case = desk.case_of(world.named_b)
    for kind in ("assign_person", "move_record", "merge"):
        path = f"/cases/{case}/correct?kind={kind}&record={world.named_b}"
        page = steward.get(path).text
        assert "Siti Aminah" in page and NIP_A not in page  # by name and masked NIP
        assert _read(desk.database, steward, path) >= _hashes(
            world, _record_nips(desk.database, [world.named_b])
        )
    # A case search on the move page lists Siti's case: her NIP is recorded with the record's.
    chooser = f"/cases/{case}/correct?kind=move_record&record={world.named_b}"
    location = searching.location_of(
        steward, f"/cases/{case}/correct/search",
        {"kind": "move_record", "record": str(world.named_b), "q": "0002/Reg"}, page=chooser,
    ).split("#")[0]  # fmt: skip
    assert NIP_B in steward.get(location).text  # her case is found
    expected = _record_nips(desk.database, [world.named_b]) | {NIP_B}
    assert _read(desk.database, steward, location) >= _hashes(world, expected)
    # The name-only record's own page: the NIP of the case it is in.
    alone = desk.case_of(world.name_only)
    path = f"/cases/{alone}/correct?kind=assign_person&record={world.name_only}"
    assert "SITI AMINAH" in steward.get(path).text
    wanted = _record_nips(desk.database, [world.name_only])
    assert wanted, "the name-only record is in no case with a NIP"
    assert _read(desk.database, steward, path) >= _hashes(world, wanted)


def test_the_previews_record_every_record_they_list(world: World) -> None:
    desk = world.desk
    database, settings = desk.database, desk.settings
    steward = desk.login("steward")
    for request in (
        CorrectionRequest("split", world.name_only),
        CorrectionRequest("split", world.named_b),
        CorrectionRequest("move_record", world.named_b, target_staged_record_id=world.name_only),
        CorrectionRequest("split", world.unknown),
    ):
        consequence = preview_correction(database, settings, request)
        case = desk.case_of(request.staged_record_id)
        target = (
            f"&target_record={request.target_staged_record_id}" if request.target_staged_record_id else ""
        )
        path = f"/cases/{case}/correct/preview?kind={request.kind}&record={request.staged_record_id}{target}"
        expected = _record_nips(database, _shown(consequence, request.staged_record_id))
        assert _read(database, steward, path) >= _hashes(world, expected), request

    correction = correct_link(
        database, CorrectionRequest("split", world.name_only), reason="another incident", actor="steward"
    )
    undo = preview_undo(database, settings, correction)
    case = desk.case_of(world.name_only)
    path = f"/cases/{case}/corrections/{correction}/undo"
    assert _read(database, steward, path) >= _hashes(world, _record_nips(database, _shown(undo)))

    reopen = preview_reopen(database, settings, world.conflict, as_of=AS_OF)
    path = f"/conflicts/{world.conflict}/reopen"
    assert _read(database, steward, path) >= _hashes(world, _record_nips(database, _shown(reopen)))
