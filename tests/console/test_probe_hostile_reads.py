"""Every answer that shows an ASN's personal data to a person records the read (UU 27/2022), writes
included (acceptance probe, both backends).

Every GET route of the console and the API, walked by a steward over the viewer-scope scene (four
agencies' records, conflicts, candidates, an I-MUT finding, a parked push): each NIP an answer shows is
among the NIPs the access log recorded for that very request.

The API's writes answer with what they changed: a claimed or assigned conflict carries its case key,
which names the ASN's NIP; a quarantined row carries the value the source sent (here a NIP). The
person who made the call has read that NIP, and the access log must say so, as it does for the
reads of the same objects.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select, update

from sbt_sync.console import (
    api,
    api_links,
    web_access,
    web_auth,
    web_compliance,
    web_conflicts,
    web_exports,
    web_imut,
    web_letters,
    web_links,
    web_metrics,
    web_ops,
    web_pages,
    web_pdp,
    web_pic,
    web_search,
)
from sbt_sync.db.models import (
    Case,
    CaseLink,
    OutboxEntry,
    PersonalDataAccess,
    PersonalDataAccessNip,
    QuarantinedRow,
)
from sbt_sync.pdp.access import access_key, nip_hash
from tests.console import searching
from tests.console.conftest import NIP_A, World
from tests.console.test_viewer_scope import Scene, scene  # noqa: F401 (the fixture)

NIP_PARKED_MESSAGE = "197712122003121004"
"""A NIP SIASN's answer to a parked push names (the scene's other NIPs are on records)."""
KEY_A = f"PILKADA2024|reg:REG-A|{NIP_A}"
"""Case A's key as reconciliation writes it: election, register and the ASN's NIP."""


def _writes(world: World) -> dict[str, tuple[str, dict[str, Any], str]]:
    """What the call is, its path, body and the kind of read it records."""
    a, row = world.ids["conflict_a"], world.ids["quarantine_a"]
    ignore = {"status": "ignored", "reason": "r"}
    return {
        "claim": (f"/api/v1/conflicts/{a}/claim", {}, "conflict"),
        "assign": (f"/api/v1/conflicts/{a}/assign", {"assignee": "steward"}, "conflict"),
        "release": (f"/api/v1/conflicts/{a}/assign", {"assignee": None}, "conflict"),
        "quarantine": (f"/api/v1/quarantine/{row}/status", ignore, "quarantine"),
    }


@pytest.mark.parametrize("what", ["claim", "assign", "release", "quarantine"])
def test_an_api_write_whose_answer_names_an_asn_records_the_read(world: World, what: str) -> None:
    with world.database.session() as session:
        session.execute(update(Case).where(Case.id == world.ids["case_a"]).values(case_key=KEY_A))
        session.execute(
            update(QuarantinedRow).where(QuarantinedRow.id == world.ids["quarantine_a"]).values(value=NIP_A)
        )
        before = session.scalar(select(PersonalDataAccess.id).order_by(PersonalDataAccess.id.desc()).limit(1))
    path, body, kind = _writes(world)[what]
    headers = {"Authorization": f"Bearer {world.tokens['steward']}"}
    answer = world.client().post(path, json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert NIP_A in answer.text  # the answer shows the NIP ...
    with world.database.session() as session:
        reads = list(session.scalars(select(PersonalDataAccess).where(PersonalDataAccess.id > (before or 0))))
        assert [(r.who, r.channel, r.kind) for r in reads] == [("steward", "api", kind)]
        hashes = set(
            session.scalars(
                select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == reads[0].id)
            )
        )
    assert hashes == {nip_hash(access_key(world.settings), NIP_A)}  # ... and the read of it is recorded


NIP_TEXT = re.compile(r"(?<!\d)\d{18}(?!\d)")
MASKED_NIP = re.compile(r"(?<![\d*])\*{14}(\d{4})(?!\d)")
"""A NIP shown masked to its last four digits (a parked push's row): it still names the row's ASN."""
WIDER = ("", "?status=all", "?q=Budi", "?q=1980", "?q_name=Budi", "?state=acked")
"""List filters and searches; ``state=acked`` hides the parked push from the push page's outbox list
while the page still shows it among the parked rows."""
ROUTERS = (api, api_links, web_access, web_auth, web_compliance, web_conflicts, web_exports, web_imut,
           web_letters, web_links, web_metrics, web_ops, web_pages, web_pdp, web_pic, web_search)  # fmt: skip


def _get_urls(walked: Scene) -> list[str]:
    """Every GET route of every router, its path filled with the scene's objects, with list filters and
    searches that widen what it shows."""
    ids = walked.ids
    fill: dict[str, list[int | str]] = {
        "{case_id}": [ids[k] for k in ("case_x", "case_w", "case_y", "case_v")],
        "{conflict_id}": [ids[k] for k in ("sanction", "recommended", "identity")],
        "{code}": ["en"], "{finding_id}": [ids["imut"]], "{letter_id}": [1], "{correction_id}": [1],
        "{fmt}": ["csv"],
    }  # fmt: skip
    urls: list[str] = []
    for route in (r for module in ROUTERS for r in module.router.routes):
        if not isinstance(route, APIRoute) or "GET" not in (route.methods or ()):
            continue
        paths = [route.path]
        for name, values in fill.items():
            paths = [p.replace(name, str(v)) for p in paths for v in values] if name in route.path else paths
        assert not any("{" in p for p in paths), f"no values for the parameters of {route.path}"
        urls += [p + extra for p in paths for extra in WIDER]
    return urls


def _correction_pages(walked: Scene, steward: Any) -> list[str]:
    """The link-correction pages a steward reaches by posting (a registry or case search, the ASN
    chosen): their URLs carry a search id, the terms and the NIP stay on the server."""
    case = walked.ids["case_x"]
    with walked.database.session() as session:
        record = session.scalars(select(CaseLink.staged_record_id).where(CaseLink.case_id == case)).first()
    base = {"kind": "assign_person", "record": str(record)}
    page = f"/cases/{case}/correct?kind=assign_person&record={record}"
    move = {"kind": "move_record", "record": str(record)}
    return [
        searching.location_of(
            steward, f"/cases/{case}/correct/search", {**base, "q_name": "Budi"}, page=page
        ),
        searching.location_of(steward, f"/cases/{case}/correct/search", {**move, "q": "1980"}, page=page),
        searching.location_of(
            steward, f"/cases/{case}/correct/preview", {**base, "target_nip": NIP_A}, page=page
        ),
    ]


def test_every_nip_any_get_answer_shows_a_steward_is_in_the_record_of_that_read(
    scene: Scene,  # noqa: F811
) -> None:
    key = access_key(scene.settings)
    with scene.database.session() as session:
        # SIASN's message about a parked push may name the NIP (the push page shows it in full)
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.state == "parked")
            .values(last_error=f"400 NIP {NIP_PARKED_MESSAGE} sudah diblokir")
        )
        known = {n for n in session.scalars(select(OutboxEntry.nip))} | {NIP_PARKED_MESSAGE}
        known |= {n for n in session.scalars(select(Case.nip)) if n}
    steward = scene.login("steward")
    token = {"Authorization": f"Bearer {scene.tokens['steward']}"}
    checked = masked_checked = 0
    # the searches post their terms; their results' URLs carry a search id of this session
    identity = scene.ids["identity"]
    posted = [
        *(searching.location_of(steward, "/search", {"q": q}) for q in ("Budi", "1980", NIP_A[-6:])),
        *(searching.location_of(steward, "/cases", {"q": q}) for q in ("1980", "REG")),
        searching.location_of(steward, f"/conflicts/{identity}", {"q_name": "Budi"}),
        searching.location_of(
            steward, f"/conflicts/{identity}/candidates", {"c_birth": "19"}, page=f"/conflicts/{identity}"
        ),
        searching.location_of(steward, "/conflicts", {"case": "1980", "status": "all"}),
        *_correction_pages(scene, steward),
    ]
    # the API's searches by NIP, name or birth date post a JSON body
    api_posts = [("/api/v1/cases/search", {"q": q}) for q in ("1980", "Budi", "REG", NIP_A[-6:])] + [
        ("/api/v1/registry/search", {"name": "Budi", "conflict_id": identity}),
        ("/api/v1/registry/search", {"nip": "1980"}),
        *((f"/api/v1/conflicts/{c}/candidates", {"birth": "19"}) for c in (identity, scene.ids["sanction"])),
    ]
    for url, body in [*((u, None) for u in [*_get_urls(scene), *posted]), *api_posts]:
        with scene.database.session() as session:
            before = session.scalar(select(func.max(PersonalDataAccess.id))) or 0
        if body is not None:
            answer = steward.post(url, json=body, headers=token)
        else:
            answer = steward.get(url, headers=token if url.startswith("/api/") else {})
        shown = set(NIP_TEXT.findall(answer.text)) if answer.status_code == 200 else set()
        masked = set(MASKED_NIP.findall(answer.text)) if answer.status_code == 200 else set()
        if not shown and not masked:
            continue
        checked += 1
        with scene.database.session() as session:
            recorded = set(
                session.scalars(
                    select(PersonalDataAccessNip.nip_hash)
                    .join(PersonalDataAccess, PersonalDataAccess.id == PersonalDataAccessNip.access_id)
                    .where(PersonalDataAccess.id > before)
                )
            )
        assert {n for n in shown if nip_hash(key, n) not in recorded} == set(), url
        for last4 in masked:  # a masked NIP names a known ASN: one of those ending so was recorded
            masked_checked += 1
            assert any(nip_hash(key, n) in recorded for n in known if n.endswith(last4)), (url, last4)
    assert checked > 20  # the walk reached the pages that show NIPs
    assert masked_checked  # ... and the push page's parked row
