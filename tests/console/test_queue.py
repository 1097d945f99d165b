"""The conflict queue as a team's task list (issue 19 item 3), on both backends: assigning a conflict
to a colleague, reassigning and releasing it (audited, CSRF-protected, stewards and admins only);
"tugas saya" showing exactly my conflicts; overdue and due-today markers against the deployment's
clock and zone; counts per kind; filters and sorts kept in the query string; short case labels."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.console.users import add_user
from sbt_sync.db import migrate
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, AuditEntry, Case, Conflict, FieldProvenance, User
from sbt_sync.imut.elections import event_words
from sbt_sync.steward.case_labels import case_label, short_name, short_number
from sbt_sync.steward.conflicts import (
    ConflictClaimed,
    ConflictFilter,
    InvalidAssignee,
    assign_conflict,
    count_queue,
    list_conflicts,
)
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.due import Today
from tests.console import searching
from tests.console.conftest import NIP_A, PASSWORD, T0, World, csrf_of

WIB = ZoneInfo("Asia/Jakarta")


def _colleagues(world: World) -> None:
    for name, display in (("budi", "Budi Santoso"), ("citra", "Citra Lestari")):
        add_user(world.database, world.settings, username=name, password=PASSWORD, role="steward",
                 display_name=display, actor="test")  # fmt: skip


def _holder(world: World, conflict_id: int) -> tuple[str | None, str | None]:
    with world.database.session() as session:
        conflict = session.get(Conflict, conflict_id)
        assert conflict is not None
        holder = session.get(User, conflict.claimed_by_id) if conflict.claimed_by_id else None
        giver = session.get(User, conflict.assigned_by_id) if conflict.assigned_by_id else None
        return (holder.username if holder else None, giver.username if giver else None)


def _audit(world: World, conflict_id: int) -> list[tuple[str, str, dict[str, object], dict[str, object]]]:
    with world.database.session() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "conflict", AuditEntry.object_id == str(conflict_id))
            .order_by(AuditEntry.id)
        )
        return [(e.actor_name, e.action, dict(e.before or {}), dict(e.after or {})) for e in rows]


def _assign(client: TestClient, conflict_id: int, assignee: str, back: str = "/conflicts") -> str:
    response = client.post(
        f"/conflicts/{conflict_id}/assign",
        data={"assignee": assignee, "back": back, "csrf_token": csrf_of(client, "/conflicts")},
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def _rows(html: str) -> list[int]:
    """The conflicts a queue page lists, in its order."""
    return [int(i) for i in re.findall(r'data-conflict="(\d+)"', html)]


def test_a_steward_assigns_reassigns_and_releases_a_conflict_and_each_step_is_audited(world: World) -> None:
    _colleagues(world)
    a = world.ids["conflict_a"]
    siti = world.login("steward")
    assert _assign(siti, a, "budi", back="/conflicts?kind=critical_field") == "/conflicts?kind=critical_field"
    assert _holder(world, a) == ("budi", "steward")
    assert f"Konflik #{a} kini ditangani budi." in siti.get("/conflicts").text
    _assign(siti, a, "citra")  # who assigned it may reassign it
    assert _holder(world, a) == ("citra", "steward")
    _assign(siti, a, "citra")  # the same holder again changes nothing and is not audited
    _assign(siti, a, "")  # and release it
    assert _holder(world, a) == (None, None)
    assert _audit(world, a) == [
        ("steward", "conflict.assign", {"claimed_by": None, "assigned_by": None},
         {"claimed_by": "budi", "assigned_by": "steward"}),
        ("steward", "conflict.assign", {"claimed_by": "budi", "assigned_by": "steward"},
         {"claimed_by": "citra", "assigned_by": "steward"}),
        ("steward", "conflict.release", {"claimed_by": "citra", "assigned_by": "steward"},
         {"claimed_by": None, "assigned_by": None}),
    ]  # fmt: skip
    with world.database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "conflict.assign")).first()
        assert entry is not None and entry.channel == "console" and entry.client_address == "testclient"


def test_only_the_holder_whoever_assigned_it_or_an_admin_moves_a_held_conflict(world: World) -> None:
    _colleagues(world)
    a = world.ids["conflict_a"]
    budi = world.login("budi")
    _assign(budi, a, "budi")  # a claim is an assignment to oneself
    assert _holder(world, a) == ("budi", "budi")
    assert _audit(world, a)[-1][1] == "conflict.claim"
    citra = world.login("citra")
    _assign(citra, a, "citra")
    assert _holder(world, a) == ("budi", "budi")
    assert "sedang ditangani budi" in citra.get("/conflicts").text  # said in words, with what to do
    _assign(world.login("admin"), a, "citra")  # an admin's override
    assert _holder(world, a) == ("citra", "admin")
    # only an active steward or admin account can be given a conflict
    with pytest.raises(InvalidAssignee):
        assign_conflict(world.database, a, actor="admin", assignee="viewer")
    with pytest.raises(InvalidAssignee):
        assign_conflict(world.database, a, actor="admin", assignee="auditor")
    with pytest.raises(ConflictClaimed):
        assign_conflict(world.database, a, actor="budi", assignee="budi")
    assert _holder(world, a) == ("citra", "admin")


def test_a_conflicts_page_offers_assigning_to_stewards_and_admins_only(world: World) -> None:
    _colleagues(world)
    a = world.ids["conflict_a"]
    page = world.login("steward").get(f"/conflicts/{a}").text
    assert f'action="/conflicts/{a}/assign"' in page and '<option value="budi" >Budi Santoso</option>' in page
    assert f'action="/conflicts/{a}/assign"' not in world.login("auditor").get(f"/conflicts/{a}").text


def test_migration_0012_counts_a_claim_made_before_it_as_its_holders_own(empty_database: Database) -> None:
    migrate.upgrade(empty_database, "0011")
    user = (
        "INSERT INTO users (id, username, display_name, role, active, failed_logins, created_at, "
        "updated_at) VALUES (7, 'siti', 'Siti', 'steward', :yes, 0, :at, :at)"
    )
    conflicts = (
        "INSERT INTO conflicts (conflict_key, kind, critical, priority, status, candidates, basis_hash, "
        "opened_at, claimed_by_id, claimed_at) VALUES "
        "('k1', 'lifecycle', :yes, 2, 'open', '[]', 'b', :at, 7, :at), "
        "('k2', 'lifecycle', :yes, 2, 'open', '[]', 'b', :at, NULL, NULL)"
    )
    with empty_database.engine.begin() as conn:
        for statement in (user, conflicts):
            conn.execute(text(statement), {"yes": True, "at": T0})
    migrate.upgrade(empty_database)
    with empty_database.session() as session:
        rows = session.execute(select(Conflict.conflict_key, Conflict.assigned_by_id).order_by(Conflict.id))
        assert [tuple(r) for r in rows] == [("k1", 7), ("k2", None)]
    migrate.downgrade(empty_database, "0011")
    columns = inspect(empty_database.engine).get_columns("conflicts")
    assert "assigned_by_id" not in {c["name"] for c in columns}


def test_assigning_needs_the_session_csrf_token(world: World) -> None:
    siti = world.login("steward")
    a = world.ids["conflict_a"]
    refused = siti.post(f"/conflicts/{a}/assign", data={"assignee": "steward"})
    assert refused.status_code == 403
    assert _holder(world, a) == (None, None) and _audit(world, a) == []


def test_tugas_saya_lists_exactly_the_open_conflicts_i_hold(world: World) -> None:
    _colleagues(world)
    a, b = world.ids["conflict_a"], world.ids["conflict_b"]
    siti = world.login("steward")
    _assign(siti, a, "budi")
    _assign(siti, b, "steward")
    budi = world.login("budi")
    mine = budi.get("/conflicts?mine=1")  # the tab: no username in the URL
    assert mine.status_code == 200 and _rows(mine.text) == [a]
    assert re.search(r'aria-current="page">Tugas saya <span class="badge">1</span>', mine.text)
    assert _rows(siti.get("/conflicts?mine=1").text) == [b]
    budis = searching.location_of(siti, "/conflicts", {"assignee": "budi"})  # a colleague's: posted, kept
    assert "budi" not in searching.SEARCH_IDS.sub("", budis) and _rows(siti.get(budis).text) == [a]
    assert sorted(_rows(siti.get("/conflicts").text)) == sorted([a, b])
    assert _rows(siti.get("/conflicts?assignee=-").text) == []  # nobody's: none left
    assert "Tugas saya" not in world.login("auditor").get("/conflicts").text  # who cannot act has no tasks
    # a conflict I resolve leaves my tasks
    with world.database.session() as session:
        conflict = session.get(Conflict, a)
        assert conflict is not None
        conflict.status, conflict.claimed_by_id, conflict.claimed_at = "resolved", None, None
    assert _rows(budi.get("/conflicts?mine=1").text) == []


@pytest.mark.parametrize(
    ("now", "due_at", "state"),
    [
        # 00:30 WIB on 4 December: 23:00 WIB on 3 December has passed, though it is the same UTC day
        (datetime(2026, 12, 3, 17, 30, tzinfo=UTC), datetime(2026, 12, 3, 16, 0, tzinfo=UTC), "overdue"),
        # due at 17:00 WIB on 4 December: due today in Jakarta, tomorrow in UTC terms of "now"
        (datetime(2026, 12, 3, 17, 30, tzinfo=UTC), datetime(2026, 12, 4, 10, 0, tzinfo=UTC), "today"),
        # earlier the same WIB day than now: still "today", not yet overdue
        (datetime(2026, 12, 4, 9, 0, tzinfo=UTC), datetime(2026, 12, 3, 18, 0, tzinfo=UTC), "today"),
        # midnight WIB of 5 December: tomorrow
        (datetime(2026, 12, 3, 17, 30, tzinfo=UTC), datetime(2026, 12, 4, 17, 0, tzinfo=UTC), None),
        (datetime(2026, 12, 3, 17, 30, tzinfo=UTC), None, None),  # no due date: no marker
    ],
)
def test_due_state_is_read_on_the_deployments_calendar(
    now: datetime, due_at: datetime | None, state: str | None
) -> None:
    assert Today(now, WIB).state(due_at) == state


def test_the_queue_marks_overdue_and_due_today_rows_in_words_and_counts_them(world: World) -> None:
    a, b = world.ids["conflict_a"], world.ids["conflict_b"]
    today = Today(utcnow(), ZoneInfo(world.settings.schedule.timezone))
    start, end = today.bounds()
    with world.database.session() as session:
        for conflict_id, due in ((a, start - timedelta(days=2)), (b, start + (end - start) / 2)):
            conflict = session.get(Conflict, conflict_id)
            assert conflict is not None
            conflict.due_at = due
    counts = count_queue(world.database, ConflictFilter(), today=today, me=None)
    assert (counts.overdue, counts.today, counts.kinds) == (1, 1, {"critical_field": 1, "identity": 1})
    page = world.login("steward").get("/conflicts").text
    row_a = page[page.index(f'data-conflict="{a}"') :].split("</tr>")[0]
    row_b = page[page.index(f'data-conflict="{b}"') :].split("</tr>")[0]
    assert "⚠ Lewat tenggat" in row_a and "Hari ini" not in row_a
    assert "◷ Hari ini" in row_b and "Lewat tenggat" not in row_b
    assert "⚠ <b>1</b> lewat tenggat" in page and "◷ <b>1</b> jatuh tempo hari ini" in page
    # counts per kind, each a link that filters by it and keeps the other filters
    assert re.search(r'href="[^"]*kind=identity[^"]*">identitas <b>1</b>', page)
    english = world.login("steward").get("/conflicts?lang=en").text
    assert "⚠ Overdue" in english and "◷ Due today" in english


def _more_conflicts(world: World) -> dict[str, int]:
    """Conflict C on an unheld case of Kanreg I (priority 1, due first) and conflict D on case A
    (priority 3, opened long ago); case A and B are held and await the PPK's follow-up."""
    ids = world.ids
    with world.database.session() as session:
        case_c = Case(case_key="CASE-C", nip=None, event_code="PEMILU-2024", status="menunggu_verifikasi",
                      kanreg_id="I", content_hash="cC", held=False, instansi_id="INST-C")  # fmt: skip
        session.add(case_c)
        session.flush()
        for case_id, instansi in ((ids["case_a"], "INST-A"), (ids["case_b"], "INST-B")):
            case = session.get(Case, case_id)
            assert case is not None
            case.instansi_id = instansi
        c = Conflict(conflict_key="lifecycle|CASE-C", kind="lifecycle", case_id=case_c.id, basis_hash="c",
                     priority=1, opened_at=T0, due_at=T0 + timedelta(days=1), candidates=[])  # fmt: skip
        d = Conflict(conflict_key="critical|CASE-A|recommended_sanction", kind="critical_field",
                     case_id=ids["case_a"], field="recommended_sanction", basis_hash="d", priority=3,
                     opened_at=T0 - timedelta(days=60), due_at=T0 + timedelta(days=9),
                     candidates=[])  # fmt: skip
        session.add_all([c, d])
        session.flush()
        for conflict_id, due in ((ids["conflict_a"], 5), (ids["conflict_b"], 3)):
            conflict = session.get(Conflict, conflict_id)
            assert conflict is not None
            conflict.due_at = T0 + timedelta(days=due)
        return {"c": c.id, "d": d.id}


def test_filters_and_sorts_are_in_the_query_string_and_the_pager_keeps_them(world: World) -> None:
    more = _more_conflicts(world)
    a, b, c, d = world.ids["conflict_a"], world.ids["conflict_b"], more["c"], more["d"]
    siti = world.login("steward")

    def listed(query: str) -> list[int]:
        response = siti.get(f"/conflicts?{query}")
        assert response.status_code == 200, response.text
        return _rows(response.text)

    # priority: the held cases awaiting the PPK first (P2 before P3), then the unheld P1
    assert listed("") == [b, a, d, c]
    assert listed("sort=due") == [c, b, a, d]
    assert listed("kind=critical_field") == [a, d]
    assert listed("kanreg=I") == [a, d, c]
    assert listed("instansi=INST-B") == [b]
    # the case text (a key, a NIP) is posted and kept under a search id, never in the URL
    kept = searching.location_of(siti, "/conflicts", {"case": "CASE-C"})
    assert "CASE-C" not in kept and _rows(siti.get(kept).text) == [c]
    assert listed(f"case_id={world.ids['case_a']}") == [a, d]
    days = (utcnow() - T0).days + 30  # D was opened 60 days before T0, the others at T0
    assert listed(f"older_than_days={days}") == [d]
    assert listed("assignee=-&kanreg=I&sort=due") == [c, a, d]
    _assign(siti, c, "steward")
    assert listed("mine=1") == [c]
    assert listed("assignee=-&kanreg=I") == [a, d]
    # the instansi filter offers the instansi of the queue's cases
    page = siti.get("/conflicts").text
    assert all(f'<option value="{i}"' in page for i in ("INST-A", "INST-B", "INST-C"))
    # the pager keeps every filter: 2 per page here (PAGE is 50 in production)
    from sbt_sync.console import web_conflicts

    saved, web_conflicts.PAGE = web_conflicts.PAGE, 2
    try:
        first = siti.get("/conflicts?kanreg=I&sort=due").text
        assert _rows(first) == [c, a]
        pager = re.search(r'href="([^"]*page=2[^"]*)"', first)
        assert pager is not None
        target = pager.group(1).replace("&amp;", "&")
        assert "kanreg=I" in target and "sort=due" in target
        assert _rows(siti.get(target).text) == [d]
    finally:
        web_conflicts.PAGE = saved


def test_service_sorts_and_counts_per_kind_ignore_the_kind_filter(world: World) -> None:
    more = _more_conflicts(world)
    today = Today(T0 + timedelta(days=5, hours=2), WIB)  # conflict A is due that day; B and C are late
    counts = count_queue(world.database, ConflictFilter(kind="lifecycle"), today=today, me="steward")
    assert counts.kinds == {"critical_field": 2, "identity": 1, "lifecycle": 1}
    assert (counts.overdue, counts.today, counts.mine) == (2, 1, 0)
    _, rows = list_conflicts(world.database, filters=ConflictFilter(), sort="due", today=today)
    assert [(r.id, r.due) for r in rows] == [
        (more["c"], "overdue"), (world.ids["conflict_b"], "overdue"), (world.ids["conflict_a"], "today"),
        (more["d"], None),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("parts", "label"),
    [
        (
            ("PILKADA-2020", "0070/PM.00.02/K.JT/11/2020", None, "Siti Aminah"),
            "Pilkada 2020 · 0070/… · Siti A.",
        ),
        (
            ("PEMILU-2024", None, "B-123/KASN/11/2024", "Dr. H. Ahmad Yani Putra, S.Pd."),
            "Pemilu 2024 · B-123/… · Ahmad Y. P.",
        ),
        (("PILKADA2024", "REG-A", None, "TRI WIJAYA"), "Pilkada 2024 · REG-A · Tri W."),
        ((None, None, None, "Sukarno"), "Sukarno"),  # one name is one word
        (("-", "", None, None), None),  # nothing to say
    ],
)
def test_short_case_labels(
    parts: tuple[str | None, str | None, str | None, str | None], label: str | None
) -> None:
    assert case_label(*parts) == label


def test_label_parts() -> None:
    assert event_words("PEMILU-2024") == "Pemilu 2024"
    assert short_number("ABCDEFGHIJKLMNOPQ") == "ABCDEFGHIJKL…"
    assert short_name("  ") is None


def test_the_queue_shows_short_labels_and_a_viewer_sees_only_what_scope_allows(world: World) -> None:
    a = world.ids["conflict_a"]
    with world.database.session() as session:
        case = session.get(Case, world.ids["case_a"])
        assert case is not None
        case.register_no = "0070/PM.00.02/K.JT/11/2024"
        session.add(
            AsnRegistryEntry(
                nip=NIP_A, siasn_id="s-a", name="Siti Aminah", name_normalised="SITI AMINAH",
                birth_date=date(1980, 1, 1), gender="F", kind="PNS", instansi_id="X",
                instansi_name="Pemkab X", kanreg_id="I", status_id="01", status_name="Aktif",
                content_hash="r",
            )
        )  # fmt: skip
        # the register number came from KASN's record, not from Bawaslu's (the viewer's)
        session.add(FieldProvenance(case_id=case.id, field="register_no", value=case.register_no,
                                    source="kasn", rule="source_rank"))  # fmt: skip
    steward_page = world.login("steward").get("/conflicts").text
    assert "Pilkada 2024 · 0070/… · Siti A." in steward_page
    assert "CASE-A</a>" not in steward_page  # the raw key is no longer the link text
    viewer_page = world.login("viewer").get("/conflicts").text
    assert _rows(viewer_page) == [a]
    assert "Pilkada 2024 · Siti A." in viewer_page and "0070/" not in viewer_page


def test_the_cli_assigns_lists_by_assignee_and_releases(
    world: World, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _colleagues(world)
    monkeypatch.setenv("SBT_DATABASE_URL", world.database.url)
    config = ["--config", str(project_dir / "sbt.yaml")]
    a = world.ids["conflict_a"]
    runner = CliRunner()
    given = runner.invoke(app, [*config, "conflicts", "assign", str(a), "budi", "--by", "steward"])
    assert given.exit_code == 0, given.output
    assert f"conflict {a} is handled by budi (assigned by steward)" in given.output
    listed = runner.invoke(app, [*config, "conflicts", "list", "--assignee", "budi", "--json"])
    assert [c["id"] for c in json.loads(listed.output)["conflicts"]] == [a]
    nobody = runner.invoke(app, [*config, "conflicts", "list", "--assignee", "-", "--sort", "due", "--json"])
    assert [c["id"] for c in json.loads(nobody.output)["conflicts"]] == [world.ids["conflict_b"]]
    refused = runner.invoke(app, [*config, "conflicts", "assign", str(a), "citra", "--by", "citra"])
    assert isinstance(refused.exception, ConflictClaimed) and refused.exception.holder == "budi"
    released = runner.invoke(app, [*config, "conflicts", "assign", str(a), "--release", "--by", "steward"])
    assert released.exit_code == 0 and "released" in released.output
    assert _holder(world, a) == (None, None)
    actions = [(e[0], e[1]) for e in _audit(world, a)]
    assert actions == [("steward", "conflict.assign"), ("steward", "conflict.release")]
    with world.database.session() as session:
        channels = set(session.scalars(select(AuditEntry.channel).where(AuditEntry.object_id == str(a))))
    assert channels == {"cli"}


def test_the_api_assigns_and_lists_by_assignee(world: World) -> None:
    _colleagues(world)
    a, b = world.ids["conflict_a"], world.ids["conflict_b"]
    client = world.client()
    steward = {"Authorization": f"Bearer {world.tokens['steward']}"}
    given = client.post(f"/api/v1/conflicts/{a}/assign", json={"assignee": "budi"}, headers=steward)
    assert given.status_code == 200 and given.json()["claimed_by"] == "budi"
    assert given.json()["assigned_by"] == "steward"
    listed = client.post("/api/v1/conflicts/search", json={"assignee": "budi"}, headers=steward).json()
    assert [c["id"] for c in listed["items"]] == [a]
    nobody = client.get("/api/v1/conflicts?assignee=-&sort=due", headers=steward).json()
    assert [c["id"] for c in nobody["items"]] == [b]
    refused = client.post(f"/api/v1/conflicts/{a}/assign", json={"assignee": "viewer"}, headers=steward)
    assert refused.status_code == 422
    assert _audit(world, a)[-1][:2] == ("steward", "conflict.assign")
    with world.database.session() as session:
        channel = session.scalar(select(AuditEntry.channel).where(AuditEntry.action == "conflict.assign"))
    assert channel == "api"


def test_a_resolved_conflict_leaves_its_holders_tasks_and_keeps_no_assigner(world: World) -> None:
    _colleagues(world)
    a = world.ids["conflict_a"]
    assign_conflict(world.database, a, actor="steward", assignee="budi")
    resolve_conflict(world.database, a, value="H1", reason="SK PPK", actor="budi")
    assert _holder(world, a) == (None, None)
    with world.database.session() as session:
        conflict = session.get(Conflict, a)
        assert conflict is not None and conflict.assigned_by_id is None
    assert _rows(world.login("budi").get("/conflicts?mine=1").text) == []
