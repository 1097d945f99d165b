"""Bahasa Indonesia by default, English on request; every key the console uses has both texts."""

from __future__ import annotations

import re
from pathlib import Path

from sbt_sync.console.i18n import MESSAGES, translator
from sbt_sync.console.web_links import REFUSALS
from sbt_sync.db.models.golden import CASE_STATUSES, LINK_CORRECTION_KINDS, LINK_CORRECTION_STATUSES
from sbt_sync.imut.model import Disposition, Rule
from sbt_sync.imut.report import TABLES
from sbt_sync.imut.review import FindingStatus, Review, StewardChoice
from sbt_sync.reports.recap import COLUMNS
from tests.console.conftest import World

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
