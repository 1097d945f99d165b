"""An agency viewer sees, in every answer, only what their agency may see (issue 15, item 14).

The world: case X holds records of four agencies' sources. Bawaslu's own record (the viewer's) carries
values marked ``OWN``; I'DIS's, Kemendagri's and BKN Wasdal's carry values marked ``FOREIGN`` (an SK
number, a follow-up status, a recommendation number, sanction candidates, a name and NIP as written),
and so do the golden values chosen from them, a steward's decision, its reason, a reopening reason, a
control step's reason and the hold reason naming a Kemendagri row. Case W is Bawaslu's too, but its key
quotes BKN Wasdal's recommendation number. Cases Y and V have no Bawaslu record at all.

A Bawaslu viewer walks every GET route the console serves (pages in both languages, the JSON API): no
``FOREIGN`` value and no other person's NIP appears in any answer, while their own values do and the
withheld ones are said in words. A steward and an auditor see everything. The viewer's dashboard and
recap count only their agency's cases, conflicts and quarantined rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from hashlib import sha256
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.routing import Route

from sbt_sync.console import (
    api,
    api_links,
    web_auth,
    web_compliance,
    web_conflicts,
    web_imut,
    web_letters,
    web_links,
    web_ops,
    web_pages,
    web_pic,
)
from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user, create_token
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AuditEntry,
    Case,
    CaseLink,
    Conflict,
    ControlAction,
    FieldProvenance,
    ImutFinding,
    OutboxEntry,
    QuarantinedRow,
    RawRecord,
    StagedRecord,
    StewardDecision,
)
from sbt_sync.settings import Settings
from sbt_sync.steward.dashboard import build_dashboard
from tests.console import searching
from tests.console.conftest import PASSWORD, T0, csrf_of

NIP = "198001012005011001"
NIP_W = "198502022010012002"
NIP_Y = "199003032015031003"
NIP_V = "199104042016041004"
NIP_OTHER = "197707072000071007"
"""The person a Kemendagri row names instead of the case's ASN (an identity conflict's candidate)."""
FOREIGN = "FOREIGN"
USERS = {"viewer": "agency_viewer", "steward": "steward", "auditor": "auditor"}
KEY_X = f"PILKADA2024|reg:REG-OWN-0001|{NIP}"
KEY_W = f"PILKADA2024|rec:REC-FOREIGN-W|{NIP_W}"
HOLD_X = (
    f"open critical_field conflict critical_field|{KEY_X}|sanction_code; "
    "identity disputed: kemendagri KMD-FOREIGN-ROW-4#0: names another ASN, not the case's ASN"
)


@dataclass
class Scene:
    settings: Settings
    database: Database
    tokens: dict[str, str]
    ids: dict[str, int]

    def login(self, who: str) -> TestClient:
        client = TestClient(create_app(self.settings, self.database), follow_redirects=False)
        form = {"username": who, "password": PASSWORD, "csrf_token": csrf_of(client), "next": "/"}
        assert client.post("/login", data=form).status_code == 303
        return client

    def json(self, client: TestClient, who: str, path: str) -> Any:
        response = client.get(path, headers={"Authorization": f"Bearer {self.tokens[who]}"})
        assert response.status_code == 200, (path, response.text)
        return response.json()

    def cases(self, client: TestClient, who: str, q: str) -> Any:
        """``POST /api/v1/cases/search`` for ``q`` (a search term never travels in a URL)."""
        response = client.post(
            "/api/v1/cases/search", json={"q": q}, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )
        assert response.status_code == 200, (q, response.text)
        return response.json()


def _record(
    session: Session, source: str, key: str, name: str, nip_raw: str | None = None, **columns: Any
) -> StagedRecord:
    """A staged record; ``register_no``, ``recommendation_no`` and ``instansi`` go to its columns, the
    rest to its fields."""
    raw = RawRecord(source=source, record_key=key, content_hash="h" + key, payload="{}")
    session.add(raw)
    session.flush()
    register_no, recommendation_no = columns.pop("register_no", None), columns.pop("recommendation_no", None)
    staged = StagedRecord(
        source=source, record_key=key, raw_record_id=raw.id, raw_version=1, content_hash="s" + key,
        nip=nip_raw if nip_raw and nip_raw.isdigit() and len(nip_raw) == 18 else None, nip_raw=nip_raw,
        name=name, instansi=columns.pop("instansi", "Pemkab Sampang"), event_code="PILKADA2024",
        register_no=register_no, recommendation_no=recommendation_no, fields=columns,
    )  # fmt: skip
    session.add(staged)
    session.flush()
    return staged


def _case(
    session: Session,
    key: str,
    nip: str,
    records: list[StagedRecord],
    golden: dict[str, tuple[Any, StagedRecord | str]],
    **columns: Any,
) -> Case:
    """A case linking ``records``, each golden field chosen from a record (or by a steward)."""
    values = {name: value for name, (value, _) in golden.items()}
    case = Case(
        case_key=key, nip=nip, event_code="PILKADA2024", kanreg_id="II", content_hash="c" + key,
        golden=values, register_no=values.get("register_no"),
        recommendation_no=values.get("recommendation_no"), **columns,
    )  # fmt: skip
    session.add(case)
    session.flush()
    for record in records:
        session.add(
            CaseLink(case_id=case.id, staged_record_id=record.id, source=record.source,
                     record_key=record.record_key, rule="register_no")
        )  # fmt: skip
    for name, (value, chosen) in golden.items():
        source, staged_id, rule = (
            ("steward", None, "steward_decision")
            if isinstance(chosen, str)
            else (chosen.source, chosen.id, "source_rank")
        )
        session.add(
            FieldProvenance(
                case_id=case.id, field=name, value=value, source=source, staged_record_id=staged_id, rule=rule
            )
        )
    return case


def _conflict(session: Session, key: str, kind: str, case: Case, **columns: Any) -> Conflict:
    conflict = Conflict(
        conflict_key=key,
        kind=kind,
        case_id=case.id,
        basis_hash=sha256(key.encode()).hexdigest(),
        opened_at=T0,
        **columns,
    )
    session.add(conflict)
    session.flush()
    return conflict


def _case_x(session: Session, ids: dict[str, int]) -> None:
    own = _record(
        session,
        "bawaslu",
        "BWS-OWN-1",
        "Budi Santoso",
        NIP,
        register_no="REG-OWN-0001",
        violation_form="FORM-OWN-77",
        province="Jawa Timur",
        recommended_sanction="SANKSI-OWN-1",
    )
    wasdal = _record(
        session,
        "bkn_wasdal",
        "WAS-FOREIGN-5",
        "Budi Santoso",
        NIP,
        recommendation_no="REC-FOREIGN-7788",
        verification_result="terbukti",
        recommended_sanction="SANKSI-FOREIGN-2",
    )
    idis = _record(
        session,
        "idis",
        "IDIS-FOREIGN-1",
        "Budi Santoso",
        NIP,
        recommendation_no="REC-FOREIGN-7788",
        sanction_sk_no="SK-FOREIGN-991",
        sanction_code="H-FOREIGN-21",
        province="Jawa Timur",
    )
    kmd = _record(session, "kemendagri", "KMD-FOREIGN-ROW-4", "Budi FOREIGN Santosa", "1980FOREIGN01",
                  follow_up_status="FOLLOWUP-FOREIGN-SUDAH", sanction_code="H-FOREIGN-22",
                  instansi="Pemkab FOREIGN")  # fmt: skip
    case = _case(
        session, KEY_X, NIP, [own, wasdal, idis, kmd],
        {"register_no": ("REG-OWN-0001", own), "violation_form": ("FORM-OWN-77", own),
         "province": ("Jawa Timur", idis),  # I'DIS won, but Bawaslu's record says the same
         "recommendation_no": ("REC-FOREIGN-7788", wasdal), "verification_result": ("terbukti", wasdal),
         "sanction_sk_no": ("SK-FOREIGN-991", idis), "sanction_code": ("H-FOREIGN-21", "steward"),
         "follow_up_status": ("FOLLOWUP-FOREIGN-SUDAH", kmd)},
        status="dijatuhi_hukuman", held=True, hold_reason=HOLD_X, recommendation_date=date(2026, 10, 1),
        sanction_date=date(2026, 11, 2),
    )  # fmt: skip
    sanction = _conflict(
        session, f"critical_field|{KEY_X}|sanction_code", "critical_field", case, field="sanction_code",
        candidates=[{"source": "idis", "value": "H-FOREIGN-21", "staged_record_id": idis.id},
                    {"source": "kemendagri", "value": "H-FOREIGN-22", "staged_record_id": kmd.id}],
        reopened_reason="the sources changed since the decision of 2026-11-01: now idis='H-FOREIGN-21', "
        "kemendagri='H-FOREIGN-22'",
    )  # fmt: skip
    recommended = _conflict(
        session, f"critical_field|{KEY_X}|recommended_sanction", "critical_field", case,
        field="recommended_sanction",
        candidates=[{"source": "bawaslu", "value": "SANKSI-OWN-1", "staged_record_id": own.id},
                    {"source": "bkn_wasdal", "value": "SANKSI-FOREIGN-2", "staged_record_id": wasdal.id}],
    )  # fmt: skip
    identity = _conflict(
        session, "identity|kemendagri|KMD-FOREIGN-ROW-4|0", "name_mismatch", case, field="nip",
        staged_record_id=kmd.id, agency="kemendagri", priority=1,
        candidates=[{"nip": NIP_OTHER, "score": 0.85, "source": "siasn"}],
    )  # fmt: skip
    session.add_all(
        [
            StewardDecision(conflict_id=sanction.id, decision={"value": "H-FOREIGN-21"}, basis_hash="old",
                            reason="I'DIS SK SK-FOREIGN-991 is the signed one", decided_at=T0),
            AuditEntry(actor_name="steward", action="conflict.claim", object_type="conflict",
                       object_id=str(sanction.id), reason="checking SK-FOREIGN-991", at=T0),
            AuditEntry(actor_name="steward", action="case.note", object_type="case", object_id=str(case.id),
                       reason="Bawaslu register REG-OWN-0001 confirmed", at=T0),
            ControlAction(case_id=case.id, action="peringatan", due_on=date(2026, 10, 11),
                          as_of=date(2026, 10, 11),
                          reason="PPK follow-up deadline 2026-10-11 of REC-FOREIGN-7788 passed"),
        ]
    )  # fmt: skip
    ids.update(case_x=case.id, sanction=sanction.id, recommended=recommended.id, identity=identity.id)


def _other_cases(session: Session, ids: dict[str, int]) -> None:
    own = _record(session, "bawaslu", "BWS-OWN-2", "Sri Wahyuni", NIP_W, register_no="REG-OWN-0002")
    wasdal = _record(session, "bkn_wasdal", "WAS-FOREIGN-W", "Sri Wahyuni", NIP_W,
                     recommendation_no="REC-FOREIGN-W", verification_result="tidak_terbukti")  # fmt: skip
    case_w = _case(
        session, KEY_W, NIP_W, [own, wasdal],
        {"register_no": ("REG-OWN-0002", own), "recommendation_no": ("REC-FOREIGN-W", wasdal),
         "verification_result": ("tidak_terbukti", wasdal)},
        status="tidak_terbukti", recommendation_date=date(2026, 9, 1),
    )  # fmt: skip
    kmd = _record(
        session, "kemendagri", "KMD-FOREIGN-Y", "Andi", NIP_Y, follow_up_status="FOLLOWUP-FOREIGN-Y"
    )
    case_y = _case(
        session, f"PILKADA2024|rec:REC-FOREIGN-Y|{NIP_Y}", NIP_Y, [kmd],
        {"verification_result": ("terbukti", kmd), "follow_up_status": ("FOLLOWUP-FOREIGN-Y", kmd)},
        status="menunggu_tindak_lanjut_ppk", held=True, recommendation_date=date(2026, 10, 5),
    )  # fmt: skip
    _conflict(
        session, "critical_field|Y|sanction_code", "critical_field", case_y, field="sanction_code",
        candidates=[{"source": "kemendagri", "value": "H-FOREIGN-Y", "staged_record_id": kmd.id}],
    )  # fmt: skip
    idis = _record(session, "idis", "IDIS-FOREIGN-V", "Rina", NIP_V, sanction_sk_no="SK-FOREIGN-V")
    case_v = _case(
        session, f"PILKADA2024|rec:REC-FOREIGN-V|{NIP_V}", NIP_V, [idis],
        {"verification_result": ("terbukti", idis), "sanction_code": ("H-FOREIGN-V", idis)},
        status="dijatuhi_hukuman", held=True, sanction_date=date(2026, 11, 9),
    )  # fmt: skip
    session.add_all(
        [
            QuarantinedRow(source="bawaslu", record_key="Q-OWN-1", column="nip", check="nip_valid",
                           value="19x", reason="bad NIP"),
            QuarantinedRow(source="kemendagri", record_key="Q-FOREIGN-1", column="tanggal", check="date",
                           value="31-02-2026", reason="impossible date"),
            QuarantinedRow(source="idis", record_key="Q-FOREIGN-2", column="nip", check="nip_valid",
                           value="FOREIGN-NIP", reason="bad NIP"),
            OutboxEntry(idempotency_key="sbt-blokir-v1-y", nip=NIP_Y, action="blokir",
                        case_refs=[case_y.case_key], payload={}, state="parked", block_version=1,
                        last_error="400 FOREIGN"),
        ]
    )  # fmt: skip
    # An I-MUT finding on Y's ASN citing case Y: a Bawaslu viewer sees no I-MUT page at all.
    finding = ImutFinding(
        finding_key=f"{'f' * 32}|possible_retaliation", action_id="f" * 32, rule="possible_retaliation",
        disposition="investigate", basis_key="imut.basis.possible_retaliation",
        reason_key="imut.reason.possible_retaliation",
        reason_params={"action": "demosi", "case_id": case_y.case_key, "known_since": "2026-10-05",
                       "decision_date": "2026-10-20", "window_first": "2024-03-22",
                       "window_last": "2025-02-19", "event": "Pilkada serentak 2024"},
        records=[{"kind": "case", "case_id": case_y.id, "case_key": case_y.case_key, "how": "reported"}],
        basis_hash="b", nip=NIP_Y, decision_no="SK-FOREIGN-IMUT", decision_date=date(2026, 10, 20),
        official_name="FOREIGN official", official_role="pimpinan_instansi", event_id="pilkada-2024",
    )  # fmt: skip
    session.add(finding)
    session.flush()
    ids.update(case_w=case_w.id, case_y=case_y.id, case_v=case_v.id, imut=finding.id)


@pytest.fixture
def scene(console_settings: Settings, migrated_database: Database) -> Iterator[Scene]:
    tokens: dict[str, str] = {}
    for name, role in USERS.items():
        add_user(
            migrated_database, console_settings, username=name, password=PASSWORD, role=role,
            agency="bawaslu" if role == "agency_viewer" else None, actor="test",
        )  # fmt: skip
        tokens[name], _ = create_token(migrated_database, name, name="test", days=1, actor="test")
    ids: dict[str, int] = {}
    with migrated_database.session() as session:
        _case_x(session, ids)
        _other_cases(session, ids)
    yield Scene(console_settings, migrated_database, tokens, ids)


def _urls(scene: Scene) -> list[str]:
    """Every GET route the console serves, its path parameters filled with every case and conflict
    (and list filters that widen what a list shows), pages also in English."""
    app = create_app(scene.settings, scene.database)
    routers = (web_auth, web_pages, web_conflicts, web_links, web_ops, web_imut, web_letters, web_compliance,
               web_pic, api, api_links)  # fmt: skip
    routes = [*app.routes, *(r for module in routers for r in module.router.routes)]
    ids = scene.ids
    fill: dict[str, list[int | str]] = {
        "{case_id}": [ids[k] for k in ("case_x", "case_w", "case_y", "case_v")],
        "{conflict_id}": [ids[k] for k in ("sanction", "recommended", "identity")],
        "{code}": ["en"],
        "{finding_id}": [ids["imut"]],
        "{letter_id}": [999999],  # BKN's letters: a viewer is refused every letter route anyway
        "{correction_id}": [999999],  # undoing a correction: stewards and admins only
    }
    urls: list[str] = []  # the routers' routes too, as tests/console/test_roles.py collects them
    for route in routes:
        if not isinstance(route, APIRoute | Route) or "GET" not in (route.methods or ()):
            continue
        paths = [route.path]
        for name, values in fill.items():
            paths = [p.replace(name, str(v)) for p in paths for v in values] if name in route.path else paths
        # a new GET route with another parameter must be walked too: teach ``fill`` its values
        assert not any("{" in p for p in paths), f"no values for the parameters of {route.path}"
        for path in paths:
            urls += [path, f"{path}?status=all", f"{path}?held=yes"]
            if not path.startswith("/api/"):
                urls.append(f"{path}?lang=en")
    return urls


def test_a_viewer_sees_no_value_of_another_agencys_record_on_any_route(scene: Scene) -> None:
    viewer = scene.login("viewer")
    headers = {"Authorization": f"Bearer {scene.tokens['viewer']}"}
    answered: set[str] = set()
    for url in _urls(scene):
        response = viewer.get(url, headers=headers if url.startswith("/api/") else {})
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue
        answered.add(url.partition("?")[0])
        for secret in (FOREIGN, NIP_OTHER, NIP_Y, NIP_V):
            assert secret not in response.text, f"{secret} in {url}"
    ids = scene.ids
    seen = {"/", "/cases", "/conflicts", "/quarantine", "/api/v1/recap", "/api/v1/cases",
            "/api/v1/conflicts", "/api/v1/quarantine", f"/cases/{ids['case_x']}", f"/cases/{ids['case_w']}",
            f"/conflicts/{ids['sanction']}", f"/conflicts/{ids['identity']}",
            f"/api/v1/cases/{ids['case_x']}", f"/api/v1/conflicts/{ids['sanction']}",
            f"/api/v1/conflicts/{ids['identity']}"}  # fmt: skip
    assert seen <= answered, seen - answered
    assert f"/cases/{ids['case_y']}" not in answered and f"/api/v1/cases/{ids['case_v']}" not in answered


def test_a_viewer_still_sees_their_own_values_and_is_told_what_is_withheld(scene: Scene) -> None:
    viewer, ids = scene.login("viewer"), scene.ids
    page = viewer.get(f"/cases/{ids['case_x']}").text
    for own in ("REG-OWN-0001", "FORM-OWN-77", "BWS-OWN-1", "Jawa Timur", KEY_X):
        assert own in page, own
    assert "tidak ditampilkan: berasal dari rekaman instansi lain" in page
    assert "Konflik atau rekaman instansi lain (rinciannya tidak ditampilkan)." in page
    assert (
        "not shown: it comes from another agency&#39;s record"
        in viewer.get(f"/cases/{ids['case_x']}?lang=en").text
    )
    assert f"Kasus #{ids['case_w']}" in viewer.get("/cases?lang=id").text  # W's key quotes BKN Wasdal
    conflict = viewer.get(f"/conflicts/{ids['recommended']}").text
    assert "SANKSI-OWN-1" in conflict and "tidak ditampilkan" in conflict
    assert "Baris sumber ini dan orang-orang" in viewer.get(f"/conflicts/{ids['identity']}").text

    case = scene.json(viewer, "viewer", f"/api/v1/cases/{ids['case_x']}")
    assert case["case"]["case_key"] == KEY_X and case["case"]["register_no"] == "REG-OWN-0001"
    assert case["case"]["recommendation_no"] is None and "recommendation_no" in case["case"]["withheld"]
    assert sorted(case["withheld"]) == ["follow_up_status", "recommendation_no", "sanction_code",
                                        "sanction_sk_no", "verification_result"]  # fmt: skip
    shown = {p["field"]: (p["value"], p["withheld"], p["record"]) for p in case["provenance"]}
    assert shown["sanction_sk_no"] == (None, True, None) and shown["register_no"][:2] == (
        "REG-OWN-0001",
        False,
    )
    assert shown["province"] == ("Jawa Timur", False, None)  # seen, but I'DIS's record is not named
    assert {r["source"] for r in case["records"]} == {"bawaslu"}
    detail = scene.json(viewer, "viewer", f"/api/v1/conflicts/{ids['sanction']}")
    assert [c["value"] for c in detail["candidates"]] == [None, None]
    assert detail["decisions"][0]["decision"] is None and detail["decisions"][0]["reason"] is None
    assert detail["summary"]["withheld"] == ["reopened_reason"]
    identity = scene.json(viewer, "viewer", f"/api/v1/conflicts/{ids['identity']}")
    assert identity["record"] is None and identity["candidates"] == []
    assert identity["withheld"] == ["record", "candidates"]


def test_a_viewer_cannot_find_a_case_by_another_agencys_number(scene: Scene) -> None:
    viewer, steward = scene.login("viewer"), scene.login("steward")
    found = scene.cases(viewer, "viewer", "REC-FOREIGN-7788")
    assert found["total"] == 0
    assert scene.cases(viewer, "viewer", "REG-OWN-0001")["total"] == 1
    assert scene.cases(viewer, "viewer", NIP)["total"] == 1
    assert f'href="/cases/{scene.ids["case_x"]}"' not in searching.cases(viewer, "SK-FOREIGN").text
    assert scene.cases(steward, "steward", "REC-FOREIGN-7788")["total"] == 1


@pytest.mark.parametrize("who", ["steward", "auditor"])
def test_stewards_and_auditors_see_every_agencys_values(scene: Scene, who: str) -> None:
    client, ids = scene.login(who), scene.ids
    page = client.get(f"/cases/{ids['case_x']}").text
    for value in ("REG-OWN-0001", "SK-FOREIGN-991", "FOLLOWUP-FOREIGN-SUDAH", "REC-FOREIGN-7788",
                  "KMD-FOREIGN-ROW-4", "I&#39;DIS SK SK-FOREIGN-991"):  # fmt: skip
        assert value in page, value
    assert "H-FOREIGN-22" in client.get(f"/conflicts/{ids['sanction']}").text
    assert KEY_W in client.get("/cases").text
    case = scene.json(client, who, f"/api/v1/cases/{ids['case_x']}")
    assert case["withheld"] == [] and case["golden"]["sanction_sk_no"] == "SK-FOREIGN-991"
    assert {r["source"] for r in case["records"]} == {"bawaslu", "bkn_wasdal", "idis", "kemendagri"}
    identity = scene.json(client, who, f"/api/v1/conflicts/{ids['identity']}")
    assert (
        identity["record"]["name"] == "Budi FOREIGN Santosa" and identity["candidates"][0]["nip"] == NIP_OTHER
    )


def _tiles(page: str) -> dict[str, int]:
    return {href: int(n) for href, n in re.findall(r'<a class="tile" href="([^"]+)"><b>(\d+)</b>', page)}


def test_a_viewers_dashboard_counts_only_their_agencys_cases(scene: Scene) -> None:
    viewer, steward = scene.login("viewer"), scene.login("steward")
    # Bawaslu's cases are X (held, proven, sanctioned) and W (not proven); its conflicts the three on X;
    # its quarantine one row. Y and V (held, proven; V sanctioned) and the rest are other agencies'.
    assert _tiles(viewer.get("/").text) == {"/conflicts": 3, "/cases?held=yes": 1, "/quarantine": 1}
    assert _tiles(steward.get("/").text) == {
        "/conflicts": 4, "/cases?held=yes": 3, "/quarantine": 3, "/push": 1,
    }  # fmt: skip
    mine = scene.json(viewer, "viewer", "/api/v1/recap")["events"]["TOTAL"]
    everyone = scene.json(steward, "steward", "/api/v1/recap")["events"]["TOTAL"]
    counted = ("reported", "recommended", "sanctioned", "not_proven", "held", "not_followed_up")
    assert {c: mine[c] for c in counted} == {
        "reported": 2, "recommended": 1, "sanctioned": 1, "not_proven": 1, "held": 1, "not_followed_up": 0,
    }  # fmt: skip
    assert {c: everyone[c] for c in counted} == {
        "reported": 2, "recommended": 3, "sanctioned": 2, "not_proven": 1, "held": 3, "not_followed_up": 1,
    }  # fmt: skip


def test_the_dashboard_trend_counts_only_a_viewers_cases(scene: Scene) -> None:
    mine = build_dashboard(scene.database, sources=("bawaslu",))
    assert mine.trend == {"2026-09": {"recommended": 1}, "2026-10": {"recommended": 1},
                          "2026-11": {"sanctioned": 1}}  # fmt: skip
    assert build_dashboard(scene.database).trend["2026-11"] == {"sanctioned": 2}
    assert mine.outbox_waiting == 0 and build_dashboard(scene.database).outbox_waiting == 1
