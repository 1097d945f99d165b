"""Bahasa Indonesia by default, English on request; every key the console uses has both texts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import get_args

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from sbt_sync.console import labels, labels_sources, labels_words
from sbt_sync.console.i18n import MESSAGES, translator
from sbt_sync.console.web_links import REFUSALS
from sbt_sync.db.models import (
    Case,
    StagedRecord,
    StewardDecision,
)
from sbt_sync.db.models.golden import CASE_STATUSES, LINK_CORRECTION_KINDS, LINK_CORRECTION_STATUSES
from sbt_sync.enforce.guard import judge_changes
from sbt_sync.imut.model import Disposition, Rule
from sbt_sync.imut.report import TABLES
from sbt_sync.imut.review import FindingStatus, Review, StewardChoice
from sbt_sync.ingest.validate import _REASONS as validate_reasons
from sbt_sync.reconcile.golden.model import INCIDENT_FIELDS, RECOMMENDATION_FIELDS, SANCTION_FIELDS, LinkRule
from sbt_sync.reconcile.identity.resolve import Rule as IdentityRule
from sbt_sync.reports.recap import COLUMNS
from sbt_sync.settings import GuardSettings
from sbt_sync.states.control import ControlAction
from sbt_sync.states.outbox import PushAction
from sbt_sync.steward.conflicts import InvalidDecision
from sbt_sync.steward.decisions import resolve_conflict
from schemas import reference
from tests.console import searching
from tests.console.conftest import World, csrf_of
from tests.console.words_world import GOLDEN, HEX_INSTANSI, seed_words

GOLDEN_FIELDS = labels_words.GOLDEN_FIELDS

CONSOLE = Path(__file__).resolve().parents[2] / "sbt_sync" / "console"
DYNAMIC_PREFIXES = {
    "kind.": ("identity", "name_mismatch", "unresolved", "critical_field", "lifecycle", "ambiguous_link"),
    "field.": ("name", "birth_date", "gender", "position", "instansi", "kanreg", "status"),
    "gender.": ("M", "F"),
    "rule.": ("source_rank", "recency", "only_source", "steward_decision", "registry"),
    "bulk.refused.": ("tie", "disagrees", "no_candidate", "not_found", "forbidden", "claimed", "invalid",
                      "more"),
    "search.error.": ("empty", "nip_short", "nip_digits", "birth_date"),
    "status.": ("open", "resolved", "auto_closed", "all"),
    "qstatus.": ("open", "fixed_upstream", "ignored", "superseded", "all"),
    "ostate.": ("pending", "awaiting_approval", "in_flight", "acked", "parked", "superseded"),
    "role.": ("admin", "steward", "agency_viewer", "auditor"),
    "timeline.": ("linked", "unlinked", "conflict_opened", "conflict_closed", "decision", "control", "push",
                  "audit"),
    "recap.": (*COLUMNS, "event", "total"),  # every recap column the dashboard shows
    "cstatus.": CASE_STATUSES,
    "hold.": ("conflict", "identity_conflict", "other_asn", "nobody", "withheld"),
    "links.kind.": LINK_CORRECTION_KINDS,
    "links.title.": LINK_CORRECTION_KINDS,
    "links.help.": LINK_CORRECTION_KINDS,
    "links.status.": LINK_CORRECTION_STATUSES,
    "links.error.": tuple(key.removeprefix("links.error.") for _, key in REFUSALS),
    "push.": ("approve_done", "reject_done", "retry_done"),
    "error.title.": ("400", "403", "404", "429"),
    "imut.rule.": tuple(Rule),
    "imut.review.": tuple(Review),
    "imut.status.": (*FindingStatus, "all"),
    "imut.disposition.": tuple(Disposition),
    "imut.choice.": tuple(StewardChoice),
    "imut.report.": TABLES,
    "imut.record.": ("imut_action", "case", "push_ledger", "siasn_observation"),
    # codes into words (sbt_sync/console/labels.py): each table is checked whole below
    "golden.": tuple(labels_words.GOLDEN_FIELDS),
    "linkrule.": tuple(labels_words.LINK_RULES),
    "idrule.": tuple(labels_words.IDENTITY_RULES),
    "action.": tuple(labels_words.ACTIONS),
    "qcheck.": tuple(labels_words.QUARANTINE_CHECKS),
    "qdo.": tuple(labels_words.QUARANTINE_CHECKS),
    "guard.": ("max_changes", "max_percent", "summary"),
    "end.": ("revised", "sanction", "annulled", "left", "on", "unknown_day", "critical_conflict"),
    "reopened.": ("steward", "sources_changed"),
    "tl.": ("priority", "status", "rule", "by", "source_updated_at", "reason", "decided_at", "decision",
            "applied_at", "state", "attempts", "siasn_reference", "actor", "machine"),
    "err.": ("generic", "reason_required", "not_found", "conflict_not_open", "conflict_claimed",
             "conflict_changed", "nip_invalid", "nip_missing", "nip_not_registered", "keep_only",
             "not_a_candidate", "not_allowed_value", "bulk_too_many", "invalid_assignee", "quarantine_status",
             "quarantine_superseded", "approval_missing", "approval_done", "approval_none", "finding_closed",
             "pic_invalid", "consequence_changed", "preview_required"),
}  # fmt: skip


def test_every_key_used_by_a_template_or_route_has_both_languages() -> None:
    text = "\n".join(p.read_text() for p in [*CONSOLE.glob("*.py"), *CONSOLE.glob("templates/*.html")])
    used = set(re.findall(r"""_\(\s*["']([a-z_]+\.[a-z_.0-9]+)["']\s*\)""", text))
    used |= set(re.findall(r"""translator\([^)]*\)\(["']([a-z_.]+)["']\)""", text))
    used |= {prefix + suffix for prefix, suffixes in DYNAMIC_PREFIXES.items() for suffix in suffixes}
    assert used - set(MESSAGES) == set()
    for key, (indonesian, english) in MESSAGES.items():
        assert indonesian.strip() and english.strip(), key
    assert translator("en")("nav.conflicts") == "Conflicts" and translator("id")("nav.conflicts") == "Konflik"


def test_the_console_speaks_indonesian_by_default_and_english_when_chosen(world: World) -> None:
    client = world.login("steward")
    assert "Antrean konflik" in client.get("/conflicts").text
    switched = client.get("/lang/en?next=/conflicts")
    assert switched.status_code == 303 and switched.headers["location"] == "/conflicts"
    assert "Conflict queue" in client.get("/conflicts").text
    assert '<html lang="en">' in client.get("/conflicts").text
    assert "Antrean konflik" in client.get("/conflicts?lang=id").text


# --- Words instead of codes (issue #19 item 1) ---------------------------------------------------------

ENGLISH_ONLY = (
    "block-flag changes exceed",
    "must have 18 digits",
    "is not a candidate",
    "required value is missing",
    "the sources changed since",
    "PPK follow-up deadline",
    "no sanction recorded",
    "reason:",
    *(name for name in GOLDEN_FIELDS if name != "nip"),  # a source's own column may be called nip
)
"""What the issue found on Indonesian pages: the guard's and the core's English, snake_case field names."""


@dataclass
class Words:
    world: World
    ids: dict[str, int]


@pytest.fixture
def words(world: World) -> Words:
    """The console world plus the demo-like case of :mod:`tests.console.words_world`."""
    return Words(world, {**world.ids, **seed_words(world.database, world.ids["approval"])})


def _pages(ids: dict[str, int]) -> list[str]:
    """Every page a steward reads, with the words world's records in it."""
    return [
        "/", "/conflicts", "/conflicts?status=all", f"/conflicts/{ids['conflict_words']}",
        f"/conflicts/{ids['conflict_a']}", f"/conflicts/{ids['conflict_b']}", "/cases",
        f"/cases/{ids['case_words']}", f"/cases/{ids['case_a']}", f"/cases/{ids['case_b']}",
        "/quarantine", "/quarantine?status=all", "/push", "/audit", "/imut", "/imut/report", "/letters",
        "/reports/compliance", "/admin/pic",
    ]  # fmt: skip


def _read(html: str, *, code: bool = True) -> str:
    """What a person reads on a page: its text and the attributes a browser shows (titles,
    placeholders, labels), without the markup, scripts and form values; without ``code``, not what a
    page marks as code either (a NIP, an action's code shown beside its words)."""
    shown = " ".join(re.findall(r'(?:title|placeholder|aria-label)="([^"]*)"', html))
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    body = body if code else re.sub(r"<code\b.*?</code>", " ", body, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split()) + " " + unescape(shown)


def _raw_keys(text: str) -> set[str]:
    prefixes = {key.split(".", 1)[0] for key in MESSAGES} - {"nip"}
    alternatives = "|".join(sorted(prefixes, key=len, reverse=True))
    pattern = rf"\b(?:{alternatives})\.[a-z_]+(?:\.[a-z_0-9]+)*\b"
    return set(re.findall(pattern, text))


def test_every_page_a_steward_reads_is_in_indonesian_without_english_fallback(words: Words) -> None:
    """Each page, on the Indonesian locale: no message key shows raw, no English text of the table
    (a phrase whose Indonesian differs) and none of the English the issue found."""
    english = {en for id_, en in MESSAGES.values() if en != id_ and " " in en and len(en) >= 14}
    english -= {id_ for id_, _ in MESSAGES.values()}  # a domain phrase both languages share
    # The admin sees every page (the PIC page too); an agency viewer sees some, with what is withheld.
    viewer = words.world.login("viewer")
    pages = [(words.world.login("admin"), path) for path in _pages(words.ids)]
    pages += [(viewer, path) for path in _pages(words.ids) if viewer.get(path).status_code == 200]
    assert len(pages) > len(_pages(words.ids)) + 3
    for client, path in pages:
        page = client.get(path, params={"lang": "id"})
        assert page.status_code == 200, (path, page.status_code)
        text = _read(page.text)
        assert _raw_keys(_read(page.text, code=False)) == set(), path
        leaked = sorted(phrase for phrase in english if phrase in text)
        assert leaked == [], (path, leaked)
        found = sorted(
            phrase for phrase in ENGLISH_ONLY if re.search(rf"(?<![\w/]){re.escape(phrase)}", text)
        )
        assert found == [], (path, found)
    # English stays one click away, and then it is English.
    admin = words.world.login("admin")
    english_page = _read(admin.get(f"/conflicts/{words.ids['conflict_words']}", params={"lang": "en"}).text)
    assert (
        "Moral sanction: public statement (21)" in english_page
        and "Sanction imposed by the PPK" in english_page
    )


def test_no_page_shows_a_reference_code_without_its_name(words: Words) -> None:
    client = words.world.login("steward")
    case = _read(client.get(f"/cases/{words.ids['case_words']}").text)
    conflict = _read(client.get(f"/conflicts/{words.ids['conflict_words']}").text)
    for text in (case, conflict):
        # jenisHukuman codes with their names, the violation form, the instansi by its registry name
        assert "Sanksi moral pernyataan secara terbuka (21)" in text and "Teguran tertulis (2)" in text
        assert "Kampanye/dukungan di media sosial (MEDSOS)" in text
        assert "Pemerintah Kabupaten Sampang (A5EB03E2…)" in text and HEX_INSTANSI not in text
        assert (
            "Terbukti" in text and "Sudah dijatuhi hukuman" in text and "sudah_dijatuhi_hukuman" not in text
        )
        for code in ("MEDSOS", "21", "22"):  # ("2" is also a priority and a count)
            bare = re.findall(rf"(?<![\w(./:#-]){code}(?![\w)./:%-])", text)
            assert bare == [], (code, bare)
        for name, (indonesian, _) in GOLDEN_FIELDS.items():
            assert name not in text and (name not in GOLDEN or indonesian in text), name
    # The field conflict names both sides: "21" vs "22" become sanctions.
    assert "Sanksi moral pernyataan secara tertutup (22)" in conflict
    assert "Kantor Regional II BKN (II)" in case and "Peringatan" in case and "Teguran" in case
    assert "NIP dan pemilihan yang sama" in case  # the link rule in words
    assert "Batas tindak lanjut PPK 2024-11-04 untuk R-77/2024 terlewati" in case  # the policy's reason
    queue = _read(client.get("/conflicts").text)
    assert "Hukuman yang dijatuhkan PPK" in queue and "sanction_code" not in queue


def _around(text: str, code: str) -> list[str]:
    return [text[max(0, m.start() - 80) : m.end() + 40] for m in re.finditer(re.escape(code), text)]


def test_no_page_shows_a_source_key_or_an_election_code_without_its_name(words: Words) -> None:
    """Record sources and elections by name (issue 19): on every page, as the admin and as Bawaslu's
    viewer, no source key (``idis``, ``bkn_wasdal``, ...) and no election code (``PILKADA2024``) shows
    bare: each is said by its name, the code in parentheses beside the name where a steward needs it.
    Case keys and record keys (which hold both) are the stewards' own references, taken out first."""
    world = words.world
    keys = sorted({*world.settings.sources, "siasn"}, key=len, reverse=True)
    with world.database.session() as session:
        events = {e for e in session.scalars(select(Case.event_code)) if e}
        references = {k for k in session.scalars(select(Case.case_key)) if k}
        references |= {k for k in session.scalars(select(StagedRecord.record_key)) if k}
    assert events == {"PILKADA2024"} and "idis" in keys and "kemenpanrb" in keys
    viewer, admin = world.login("viewer"), world.login("admin")
    paths = [*_pages(words.ids), "/conflicts?agency=idis",
             "/quarantine?source=bawaslu", "/reports/compliance/kemendagri", "/imut/report"]  # fmt: skip
    pages = [(admin, "admin", path) for path in paths]
    pages += [(viewer, "viewer", path) for path in paths if viewer.get(path).status_code == 200]
    # the header search for a name and a partial NIP, posted (its results' URL holds a search id)
    for client, who in ((admin, "admin"), (viewer, "viewer")):
        pages += [(client, who, searching.location_of(client, "/search", {"q": q})) for q in ("Siti", "198")]
    assert len(pages) > len(paths) + 3
    seen: dict[str, str] = {}
    for client, who, path in pages:
        page = client.get(searching.with_lang(path, "id"))  # params= would replace the path's query
        assert page.status_code == 200, (who, path, page.status_code)
        text = _read(page.text, code=False)
        for ref in sorted(references, key=len, reverse=True):
            text = text.replace(ref, " ")
        seen[f"{who} {path}"] = text
        for key in keys:
            name = labels_sources.source_name(key, "id")
            named = text.replace(f"{labels_sources.agency_name(key)} ({key})", "")  # a user's agency
            bare = re.findall(
                rf"(?<![\w'/:|.-]){re.escape(key)}(?![\w/:|.-])", named.replace(f"{name} ({key})", name)
            )
            assert bare == [], (who, path, key, _around(text, key))
        for code in events:
            name = labels_sources.event_name(code)
            assert name != code and name == "Pilkada serentak 2024"
            named = text.replace(f"{name} ({code})", name)
            bare = re.findall(rf"(?<![\w/:|.-]){re.escape(code)}(?![\w/:|.-])", named)
            assert bare == [], (who, path, code, _around(named, code))
    # Where the pages name them, the sources and the election read as words.
    case = seen[f"admin /cases/{words.ids['case_words']}"]
    assert "Pilkada serentak 2024" in case and "I'DIS (hukuman disiplin, BKN)" in case
    assert "Rekomendasi Wasdal BKN" in case and "Laporan tindak lanjut Kemendagri" in case
    conflict = seen[f"admin /conflicts/{words.ids['conflict_words']}"]
    assert "I'DIS (hukuman disiplin, BKN)" in conflict and "Laporan tindak lanjut Kemendagri" in conflict
    assert "Temuan Bawaslu" in seen["admin /quarantine"] and "Temuan Bawaslu" in seen["viewer /quarantine"]
    assert "Pilkada serentak 2024" in seen["admin /cases"] and "Pilkada serentak 2024" in seen["admin /"]
    # The conflict page names its case by the short label the queue and the search use; the raw case
    # key only behind a <details> for the steward who needs it.
    html = admin.get(f"/conflicts/{words.ids['conflict_words']}").text
    with world.database.session() as session:
        case_key = session.get(Case, words.ids["case_words"]).case_key  # type: ignore[union-attr]
    link = re.search(rf'<a href="/cases/{words.ids["case_words"]}" class="case-label">([^<]+)</a>', html)
    queue = admin.get("/conflicts").text
    row = queue[queue.index(f'data-conflict="{words.ids["conflict_words"]}"') :]
    in_queue = re.search(r'<td class="case"[^>]*><a [^>]*>([^<]+)</a>', row)
    assert link is not None and in_queue is not None and link.group(1) == in_queue.group(1)
    assert link.group(1).startswith("Pilkada 2024 · 0070/… · ")
    assert html.count(case_key) == 1 and re.search(
        rf"<details class=\"case-key\">.*?{re.escape(case_key)}", html
    )
    english = _read(admin.get(f"/cases/{words.ids['case_words']}", params={"lang": "en"}).text)
    assert "I'DIS (disciplinary sanctions, BKN)" in english and "BKN Wasdal recommendations" in english


def test_a_source_or_an_election_nobody_named_reads_as_words_not_as_a_code() -> None:
    """Another deployment's source keys and events: the key as words, the configured description on
    the English console; an election the calendar does not list by its code's words."""
    assert labels_sources.source_name("dinas_pendidikan") == "Dinas Pendidikan"
    assert labels_sources.source_name("bpkp_sulsel") == "BPKP Sulsel"
    described = {"dinas_pendidikan": "Education office disciplinary reports"}
    assert labels_sources.source_name("dinas_pendidikan", "en", described) == described["dinas_pendidikan"]
    assert labels_sources.source_name("dinas_pendidikan", "id", described) == "Dinas Pendidikan"
    assert labels_sources.source_label("kasn", code=True) == "Rekomendasi KASN (kasn)"
    assert labels_sources.event_name("PILKADA-2024") == labels_sources.event_name("pilkada2024")
    assert labels_sources.event_name("PILKADA-2020") == "Pilkada 2020"
    assert labels_sources.event_label("PEMILU-2029", code_beside=True) == "Pemilu 2029 (PEMILU-2029)"
    for key, (indonesian, english) in labels_sources.SOURCES.items():
        assert MESSAGES[f"source.{key}"] == (indonesian, english) and key not in indonesian


def test_quarantine_reasons_and_the_guard_say_what_to_do_in_indonesian(words: Words) -> None:
    client = words.world.login("steward")
    quarantine = _read(client.get("/quarantine").text)
    assert "terlapor_nip: NIP harus 18 angka, yang diisi 5 angka" in quarantine
    assert "Perbaiki NIP di sistem sumber" in quarantine and "must have 18 digits" not in quarantine
    push = _read(client.get("/push").text)
    assert "1 perubahan blokir melebihi batas 0 perubahan per siklus" in push and "setujui bila benar" in push
    english = _read(client.get("/push", params={"lang": "en"}).text)
    assert "1 block-flag changes exceed the limit of 0 per run" in english


def _flash_after(client: TestClient, response: Response, path: str) -> str:
    assert response.status_code == 303, response.text
    return _read(client.get(path).text)


def test_the_other_value_offers_the_sanction_list_and_refuses_a_code_that_is_none(words: Words) -> None:
    client = words.world.login("steward")
    path = f"/conflicts/{words.ids['conflict_words']}"
    page = client.get(path).text
    offered = re.search(r'<select name="other">(.*?)</select>', page, re.S)
    assert offered is not None
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>', offered.group(1))
    assert options == [(str(c.id), f"{c.nama.capitalize()} ({c.id})") for c in reference.sanction_codes()]
    token = csrf_of(client, path)
    refused = client.post(
        f"{path}/resolve", data={"other": "99", "reason": "SK dibaca ulang", "csrf_token": token}
    )
    text = _flash_after(client, refused, path)
    assert f"Konflik #{words.ids['conflict_words']}: '99' tidak sah untuk kolom" in text
    assert "Pilihan yang sah: 1 Teguran lisan, 2 Teguran tertulis" in text and "is not valid" not in text
    with words.world.database.session() as session:
        assert session.scalar(select(func.count()).select_from(StewardDecision)) == 0
    # The CLI and the logs keep the English, with the code and its parameters for the console.
    with pytest.raises(InvalidDecision, match="'99' is no sanction_code value") as refusal:
        resolve_conflict(
            words.world.database,
            words.ids["conflict_words"],
            value="99",
            reason="r",
            actor="x",
            allow_other=True,
        )
    assert refusal.value.code == "not_allowed_value" and refusal.value.params["value"] == "99"
    # A code of the list is taken.
    chosen = client.post(
        f"{path}/resolve", data={"other": "2", "reason": "SK dibaca ulang", "csrf_token": token}
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/conflicts"
    with words.world.database.session() as session:
        decision = session.scalars(select(StewardDecision)).one()
        assert decision.decision == {"value": "2"}
    decided = _read(client.get(path).text)  # the decision reads as the sanction's name, not "2"
    assert "Dipilih: Teguran tertulis (2)" in decided


def test_a_mistyped_nip_is_refused_in_indonesian_with_what_to_do(words: Words) -> None:
    client = words.world.login("steward")
    path = f"/conflicts/{words.ids['conflict_b']}"
    token = csrf_of(client, path)
    refused = client.post(f"{path}/resolve", data={"other": "12345", "reason": "dicek", "csrf_token": token})
    text = _flash_after(client, refused, path)
    assert f"Konflik #{words.ids['conflict_b']}: NIP harus 18 angka, yang diisi 5 angka." in text
    assert "Isi NIP 18 angka yang terdaftar di registri" in text and "must have 18 digits" not in text
    unknown = client.post(f"{path}/resolve?lang=en", data={"other": "198001012005011009", "reason": "dicek",
                                                            "csrf_token": token})  # fmt: skip
    english = _flash_after(client, unknown, path + "?lang=en")
    assert "is not in the registry. Search the registry and choose from the results." in english


def test_every_code_the_console_may_meet_has_words_in_both_languages() -> None:
    """Reference data and the product's code lists, each with an Indonesian and an English word."""
    for code in reference.sanction_codes():
        assert labels.sanction_name(code.id, "id") and code.id in labels_words.SANCTION_EN
    assert {f.code for f in reference.violation_forms()} == set(labels_words.VIOLATION_FORMS)
    golden_fields = {*INCIDENT_FIELDS, *RECOMMENDATION_FIELDS, *SANCTION_FIELDS}
    assert golden_fields <= set(labels_words.GOLDEN_FIELDS)
    assert set(get_args(LinkRule)) <= set(labels_words.LINK_RULES)
    assert set(get_args(IdentityRule)) <= set(labels_words.IDENTITY_RULES)
    assert set(ControlAction) | set(PushAction) <= set(labels_words.ACTIONS)
    assert set(validate_reasons) <= set(labels_words.QUARANTINE_CHECKS)
    for key in labels_words.WORDS:
        indonesian, english = MESSAGES[key]
        assert indonesian.strip() and english.strip(), key
    assert labels.sanction_label("99") == "99 (kode tidak dikenal)"


@pytest.mark.parametrize(
    ("changes", "blocked_before", "indonesian", "english"),
    [
        # more flips than max_changes allows: the count rule
        (60, 400, "60 perubahan blokir melebihi batas 50 perubahan per siklus",
         "exceed the limit of 50 per run"),
        # a small run that is a large share of the blocked NIPs: the percentage rule
        (12, 40, "12 perubahan blokir adalah 30.0% dari 40 NIP yang diblokir, melebihi batas 10%",
         "are 30.0% of the 40 blocked NIPs, over the limit of 10%"),
    ],
)  # fmt: skip
def test_the_guard_says_which_limit_tripped_in_words(
    changes: int, blocked_before: int, indonesian: str, english: str
) -> None:
    verdict = judge_changes(
        changes=changes, blocked_before=blocked_before, guard=GuardSettings(max_changes=50, max_percent=10)
    )
    assert verdict.tripped
    approval = {
        "change_count": verdict.changes,
        "blocked_before": verdict.blocked_before,
        "percent": verdict.percent,
        "summary": {
            "reason": verdict.reason,
            "rule": verdict.rule,
            "limit": verdict.limit,
            "blokir": changes,
            "buka": 0,
        },
    }  # fmt: skip: as sbt_sync.enforce.store records it
    assert indonesian in labels.guard_text(approval, "id") and f"({changes} blokir, 0 buka blokir)" in (
        labels.guard_text(approval, "id")
    )
    assert english in labels.guard_text(approval, "en")


REFUSING = ("steward/decisions.py", "steward/conflicts.py", "steward/quarantine.py", "push/admin.py",
            "imut/steward.py", "notify/admin.py")  # fmt: skip
"""The services behind the console's forms whose refusals carry a code (``SbtError(code=...)``)."""


def test_every_refusal_a_steward_can_cause_has_words_with_what_to_do() -> None:
    """Each code a console service raises is said in both languages, and says it from its parameters:
    Indonesian on the Indonesian console, the service's own English text unchanged for the CLI."""
    core = CONSOLE.parent
    codes = {c for path in REFUSING for c in re.findall(r'\bcode="([a-z_]+)"', (core / path).read_text())}
    assert {"nip_invalid", "not_allowed_value", "conflict_claimed", "reason_required"} <= codes
    assert {c for c in codes if f"err.{c}" not in MESSAGES} == set()
    nip = InvalidDecision(
        "conflict 7: NIP must have 18 digits, found 5", code="nip_invalid", id=7,
        detail="NIP must have 18 digits, found 5",
    )  # fmt: skip
    assert str(nip) == "conflict 7: NIP must have 18 digits, found 5"  # the CLI's line
    assert labels.error_text(nip, "id") == (
        "Konflik #7: NIP harus 18 angka, yang diisi 5 angka. Isi NIP 18 angka yang terdaftar di registri, "
        "atau pilih 'bukan ASN'."
    )
    unknown = InvalidDecision("something new went wrong")  # no code yet: never English on the Indonesian page
    assert labels.error_text(unknown, "id") == MESSAGES["err.generic"][0]
    assert labels.error_text(unknown, "en") == "something new went wrong"
