"""Accessibility of the steward console in a real headless Chromium at 1366x768 (issue 19, item 6), on
both backends.

- axe-core (tests/console/axe.py) runs on every page of the console, in Indonesian: the dashboard, the
  conflict queue, a conflict of each kind (a critical field, each identity kind, claimed so its
  decision form shows, and a resolved one with its decision), the cases list and a case, the
  correction pages, quarantine, the push monitor, the audit log, the I-MUT pages, the letters, the
  compliance report, the search, the admin's PIC, access-log and subject-access pages (the last also
  after a refusal), a Kemendagri viewer's list, the login page (also after a failed login) and the
  error page; the main ones again at tablet size (820x1180). Any serious or critical finding fails
  the test, listed with its rule, page and elements; lesser ones are printed. Every visible form
  control must also have a label of its own (a ``<label>`` tied to it, or ``aria-label`` where no
  visible label fits), every table a caption or an accessible name, every header cell a scope; and
  Tab walks each page through, every stop showing a focus ring.
- The first Tab on a page reaches the skip link, which moves the focus into ``<main>``.
- A steward claims and resolves a field conflict with the keyboard alone (Tab, the arrow keys within
  the radio group, Space, Enter, typing); the decision is stored with her reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.models import AuditEntry, Conflict, ImutFinding, StewardDecision
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from sbt_sync.steward.conflicts import claim_conflict
from sbt_sync.steward.decisions import resolve_conflict
from tests.console.axe import Finding, audit, axe_version, blocking
from tests.console.browser import ARTIFACTS, REPO_ROOT, chromium_path, fill_login, log_in, serve
from tests.console.conftest import NIP_A, PASSWORD, World
from tests.console.identity_world import TRI, seed_identity_world, seed_namesake_crowd
from tests.console.letters_world import add_pic_address, compliance_facts, write_letter
from tests.imut.builders import action_id, ingest, payload

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (.ci/run installs it)"),
]

VIEWPORT: ViewportSize = {"width": 1366, "height": 768}  # the common office laptop
TABLET: ViewportSize = {"width": 820, "height": 1180}
TABLET_PAGES = ("dashboard", "conflicts queue", "conflict: critical field, claimed", "case", "search")
POINTER_ONLY = {
    "click",
    "dblclick",
    "mousedown",
    "mouseup",
    "mouseover",
    "mouseenter",
    "pointerdown",
    "pointerup",
}
REASON = "Putusan PPK menyebut hukuman disiplin sedang; data IDIS terbaru"

# Controls that a label must name: every visible input but buttons and hidden ones, selects, textareas.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter((el) => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter((el) => el.getClientRects().length > 0)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML.slice(0, 120))"""
# Tables (data tables; none of the console's is for layout) without a caption or an accessible name.
UNNAMED_TABLES = """() => [...document.querySelectorAll('table')]
  .filter((t) => !t.caption && !t.getAttribute('aria-label') && !t.getAttribute('aria-labelledby'))
  .map((t) => t.outerHTML.slice(0, 120))"""
# Header cells that do not say what they head (scope="col" in a thead; row, rowgroup in a body).
UNSCOPED_HEADERS = (
    """() => [...document.querySelectorAll('th:not([scope])')].map((th) => th.outerHTML.slice(0, 80))"""
)


def _seed(world: World) -> dict[str, int]:
    """Everything a page can show: the console world's cases, conflicts, quarantine, approval and
    parked push; the identity world's conflicts (three claimed by the steward so their decision forms
    show, one resolved); a letter, a PIC address and the compliance facts; two I-MUT findings."""
    database, ids = world.database, dict(world.ids)
    ids.update({f"id_{k}": v for k, v in seed_identity_world(database).items()})
    ids["id_crowd"], _ = seed_namesake_crowd(database, 40)
    for name in ("id_field", "id_tie", "id_unresolved", "id_crowd"):
        claim_conflict(database, ids[name], actor="steward", channel="web")
    claim_conflict(database, ids["conflict_a"], actor="steward", channel="web")
    resolve_conflict(
        database, ids["id_clean"], value="199003152015032001", reason="Tanggal lahir dan instansi cocok",
        actor="steward", channel="web",
    )  # fmt: skip
    add_pic_address(database)
    ids["letter"], _ = write_letter(database, ids["case_a"], seq=1, reviewed=True)
    compliance_facts(database, kasn_case=ids["case_a"], bkn_case=ids["case_b"], nip=NIP_A)
    late = {"persetujuanMendagriNomor": "100.2.2.6/99/OTDA", "persetujuanMendagriTanggal": "20-06-2024"}
    ingest(database, payload(1), payload(2, **late))
    with database.session() as session:
        evaluate_findings(
            session, elections=load_election_calendar(), workdays=load_working_days(),
            as_of=date(2024, 11, 27),
        )  # fmt: skip
        ids["finding"] = (
            session.scalars(select(ImutFinding.id).where(ImutFinding.action_id == action_id(1))).first() or 0
        )
    add_user(database, world.settings, username="kmd", password=PASSWORD, role="agency_viewer",
             agency="kemendagri", display_name="Pemantau Kemendagri", actor="test")  # fmt: skip
    return ids


@dataclass(frozen=True)
class Posted:
    """A page reached by posting a search form (its terms never in a URL): the form's page is opened,
    the form posted with the page's CSRF token, and the browser follows to the results' URL."""

    action: str
    form: dict[str, str]
    page: str | None = None
    """The page the form is on, when it posts elsewhere (default: ``action``)."""


def _steward_pages(ids: dict[str, int]) -> dict[str, str | Posted]:
    """The steward's pages, by a name the report uses."""
    case_a, record_a = ids["case_a"], ids["staged_a"]
    assign = f"/cases/{case_a}/correct?kind=assign_person&record={record_a}"
    return {
        "dashboard": "/",
        "conflicts queue": "/conflicts",
        "conflicts queue, identity filtered": "/conflicts?kind=identity",
        "conflict: critical field, claimed": f"/conflicts/{ids['conflict_a']}",
        "conflict: critical field with reference names, claimed": f"/conflicts/{ids['id_field']}",
        "conflict: identity, unclaimed": f"/conflicts/{ids['conflict_b']}",
        "conflict: identity tie, claimed": f"/conflicts/{ids['id_tie']}",
        "conflict: unresolved identity with a registry search": (
            Posted(f"/conflicts/{ids['id_unresolved']}", {"q_name": "Tri Wijyaa", "q_instansi": "Sampang"})
        ),
        "conflict: identity disagreeing": f"/conflicts/{ids['id_disagrees']}",
        "conflict: resolved, with its decision": f"/conflicts/{ids['id_clean']}",
        "conflict: identity with 40 namesakes, paged and filtered, claimed": (
            Posted(
                f"/conflicts/{ids['id_crowd']}/candidates",
                {"c_kanreg": "II", "c_birth": "19"},
                page=f"/conflicts/{ids['id_crowd']}",
            )
        ),
        "cases": "/cases",
        "cases, searched": Posted("/cases", {"q": "CASE"}),
        "case": f"/cases/{case_a}",
        "case with a conflict and its decision": f"/cases/{ids['id_case_unresolved']}",
        "correction: assign an ASN, registry searched": Posted(
            f"/cases/{case_a}/correct/search",
            {"kind": "assign_person", "record": str(record_a), "q_name": "Tri Wijaya"},
            page=assign,
        ),
        "correction: move a record, cases searched": Posted(
            f"/cases/{case_a}/correct/search",
            {"kind": "move_record", "record": str(record_a), "q": "CASE"},
            page=f"/cases/{case_a}/correct?kind=move_record&record={record_a}",
        ),
        "correction preview": Posted(
            f"/cases/{case_a}/correct/preview",
            {"kind": "assign_person", "record": str(record_a), "target_nip": TRI},
            page=assign,
        ),
        "quarantine": "/quarantine",
        "push monitor": "/push",
        "audit log": "/audit",
        "I-MUT findings": "/imut",
        "I-MUT finding": f"/imut/{ids['finding']}",
        "I-MUT report": "/imut/report",
        "letters": "/letters",
        "letter": f"/letters/{ids['letter']}",
        "compliance report": "/reports/compliance",
        "search": Posted("/search", {"q": "Tri Wijaya"}),
        "error page (404)": "/cases/999999",
    }


ADMIN_PAGES = {
    "PIC addresses (admin)": "/admin/pic",
    "personal-data access log (admin)": "/admin/access-log",
    "dashboard (admin)": "/",
    "personal data of a subject (admin)": "/admin/pdp/subject",
}


def _login(browser: Any, base: str, who: str, *, viewport: ViewportSize = VIEWPORT) -> Any:
    page = browser.new_context(viewport=viewport, locale="id-ID").new_page()
    return log_in(page, base, who, PASSWORD)


def _check(page: Any, label: str, findings: list[Finding], problems: list[str]) -> None:
    """axe on the page as shown, plus the language, label and table-name checks; appends to the lists."""
    if page.locator("html").get_attribute("lang") != "id":
        problems.append(f"{label}: <html lang> is not 'id' on an Indonesian page")
    found = audit(page, label)
    findings.extend(found)
    problems.extend(str(f) for f in blocking(found))
    problems.extend(f"{label}: form control without a label: {html}" for html in page.evaluate(UNLABELLED))
    problems.extend(
        f"{label}: table without a caption or name: {html}" for html in page.evaluate(UNNAMED_TABLES)
    )
    problems.extend(f"{label}: header cell without scope: {html}" for html in page.evaluate(UNSCOPED_HEADERS))


# Tab through the whole page: each element the focus reaches is marked; the walk ends where it began.
TAB_STEP = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {done: true};
  if (el.dataset.a11ySeen) return {done: true};
  el.dataset.a11ySeen = '1';
  const style = getComputedStyle(el);
  return {done: false, ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
          html: el.outerHTML.slice(0, 100)};
}"""
TAB_LIMIT = 250


def _focus_shows(page: Any, label: str, problems: list[str]) -> int:
    """Tab through every stop of the page; a stop without a visible focus ring is a problem. Returns the
    number of stops."""
    stops = 0
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        step = page.evaluate(TAB_STEP)
        if step["done"]:
            break
        stops += 1
        if not step["ring"]:
            problems.append(f"{label}: no visible focus on {step['html']}")
    return stops


@dataclass
class Walk:
    """What the walk over the console found: axe's findings, the problems that fail it, the pages
    checked and the Tab stops whose focus ring was looked at."""

    base: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    stops: int = 0

    def visit(self, page: Any, path: str | Posted, label: str) -> None:
        """Open ``path`` and check it; an unexpected HTTP status is a problem (the page is not checked)."""
        if isinstance(path, Posted):
            page.goto(f"{self.base}{path.page or path.action}")
            token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
            posted = page.request.post(
                f"{self.base}{path.action}", form={**path.form, "csrf_token": token}, max_redirects=0
            )
            assert posted.status == 303, (label, posted.status)
            path = str(posted.headers["location"])
        response = page.goto(f"{self.base}{path}")
        expected = 404 if label.startswith("error") else 200
        if response is None or response.status != expected:
            status = response.status if response else None
            self.problems.append(f"{label} ({path}): HTTP {status}, expected {expected}")
            return
        self.check(page, label)

    def check(self, page: Any, label: str) -> None:
        _check(page, label, self.findings, self.problems)
        self.stops += _focus_shows(page, label, self.problems)
        self.visited.append(label)


def test_every_console_page_passes_axe_with_no_serious_or_critical_violation(world: World) -> None:
    from playwright.sync_api import sync_playwright

    ids = _seed(world)
    app = create_app(world.settings, world.database)
    with serve(app) as base, sync_playwright() as pw:
        walk = Walk(base)
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        anonymous = browser.new_context(viewport=VIEWPORT, locale="id-ID").new_page()
        walk.visit(anonymous, "/login", "login")
        fill_login(anonymous, "steward", "not the password")
        anonymous.get_by_role("alert").wait_for()
        walk.check(anonymous, "login, after a failed attempt")

        steward = _login(browser, base, "steward")
        for label, path in _steward_pages(ids).items():
            walk.visit(steward, path, label)
        tablet = _login(browser, base, "steward", viewport=TABLET)
        for label in TABLET_PAGES:
            walk.visit(tablet, _steward_pages(ids)[label], f"{label} (tablet 820x1180)")
        admin = _login(browser, base, "admin")
        for label, path in ADMIN_PAGES.items():
            walk.visit(admin, path, label)
        # the subject-access form refuses a short NIP, in words
        admin.get_by_label("NIP", exact=True).fill("12345")
        admin.get_by_label("Tujuan permintaan").fill("Permintaan subjek data")
        admin.locator("#pdp-subject").get_by_role("button").click()
        admin.get_by_role("alert").wait_for()
        walk.check(admin, "personal data of a subject, refused (admin)")
        kemendagri = _login(browser, base, "kmd")
        walk.visit(kemendagri, "/reports/compliance/kemendagri", "Kemendagri's list (agency viewer)")
        browser.close()

    lesser = [f for f in walk.findings if f not in blocking(walk.findings)]
    print(
        f"axe-core {axe_version()} on {len(walk.visited)} pages, {walk.stops} Tab stops"
        f"; lesser findings ({len(lesser)}):"
    )
    for finding in lesser:
        print(" ", finding)
    assert len(walk.visited) >= len(_steward_pages(ids)) + len(ADMIN_PAGES), walk.problems
    assert not walk.problems, "accessibility problems:\n" + "\n".join(walk.problems)


# What the keyboard's focus is on: enough to find a control and to see that its focus shows.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '', value: el.value || '',
    text: (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 60),
    cls: el.className || '', id: el.id || '', inMain: !!el.closest('main'),
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    ringColour: style.outlineColor, top: el.getBoundingClientRect().top,
  };
}"""


def _tab_to(page: Any, wanted: Any, *, limit: int = 80) -> dict[str, Any]:
    """Press Tab until the focused element satisfies ``wanted``; every element passed on the way must
    show a focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused: dict[str, Any] = page.evaluate(FOCUSED)
        assert focused["ring"], f"no visible focus on {focused}"
        if wanted(focused):
            return focused
    raise AssertionError(f"Tab never reached the element wanted (last: {page.evaluate(FOCUSED)})")


def test_the_skip_link_is_the_first_tab_stop_and_lands_in_main(world: World) -> None:
    from playwright.sync_api import sync_playwright

    shots = ARTIFACTS / world.database.dialect / "a11y"
    shots.mkdir(parents=True, exist_ok=True)
    with serve(create_app(world.settings, world.database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = _login(browser, base, "steward")
        for path in ("/", "/conflicts", f"/cases/{world.ids['case_a']}", "/audit"):
            page.goto(f"{base}{path}")
            page.keyboard.press("Tab")
            skip = page.evaluate(FOCUSED)
            assert (skip["cls"], skip["text"], skip["ring"]) == ("skip", "Langsung ke isi", True), path
            assert skip["top"] >= 0, f"{path}: the skip link stays off screen when focused"
            if path == "/":
                page.screenshot(path=shots / "skip-link.png")
            page.keyboard.press("Enter")
            assert page.evaluate("() => document.activeElement.id") == "main", path
            after = _tab_to(page, lambda f: True)
            assert after["inMain"], f"{path}: after the skip link the next Tab left <main>: {after}"
        page.goto(f"{base}/lang/en?next=/conflicts")
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUSED)["text"] == "Skip to content"
        assert page.locator("html").get_attribute("lang") == "en"
        browser.close()


def test_a_steward_claims_and_resolves_a_field_conflict_with_the_keyboard_alone(world: World) -> None:
    """Tab to "Tangani" and Enter; Tab to the sanction wanted (the arrow keys move within the radio
    group, Space ticks it), type the reason, Tab to "Selesaikan" and Enter: the decision is stored."""
    from playwright.sync_api import sync_playwright

    ids = seed_identity_world(world.database)
    conflict_id = ids["field"]
    shots = ARTIFACTS / world.database.dialect / "a11y"
    shots.mkdir(parents=True, exist_ok=True)
    with serve(create_app(world.settings, world.database)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = browser.new_context(viewport=VIEWPORT, locale="id-ID").new_page()
        page.goto(f"{base}/login?next=/conflicts/{conflict_id}")  # the username field has the focus
        page.keyboard.type("steward")
        _tab_to(page, lambda f: f["name"] == "password")
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{base}/conflicts/{conflict_id}"  # the login page sends her where she was going

        _tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Tangani")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.get_by_text("Konflik kini Anda tangani.").wait_for()

        radio = _tab_to(page, lambda f: f["type"] == "radio" and f["name"] == "value")
        for _ in range(4):  # within the group the arrow keys move; Space ticks the focused one
            if radio["value"] == "22":
                break
            page.keyboard.press("ArrowDown")
            radio = page.evaluate(FOCUSED)
        assert radio["value"] == "22", radio
        page.keyboard.press("Space")
        assert page.locator("input[name=value][value='22']").is_checked()
        _tab_to(page, lambda f: f["name"] == "reason")
        page.keyboard.type(REASON)
        page.screenshot(path=shots / "keyboard-resolve.png", full_page=True)
        _tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Selesaikan")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.get_by_text(f"Konflik #{conflict_id} diselesaikan").wait_for()
        browser.close()

    with world.database.session() as session:
        conflict = session.get(Conflict, conflict_id)
        assert conflict is not None and conflict.status == "resolved"
        decision = session.scalars(
            select(StewardDecision).where(StewardDecision.conflict_id == conflict_id)
        ).one()
        assert decision.reason == REASON
        assert decision.decision.get("value") == "22", decision.decision
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == str(conflict_id)).order_by(AuditEntry.id)
        ).all()
        actors = set(
            session.scalars(
                select(AuditEntry.actor_name).where(AuditEntry.object_id == str(conflict_id))
            ).all()
        )
    assert actions[-1] == "conflict.resolve" and len(actions) >= 2, actions  # claimed, then resolved
    assert actors == {"steward"}


def test_the_checker_finds_what_it_is_there_to_find() -> None:
    """The harness itself: on a page with an unlabelled input, no language and a low-contrast text, axe
    reports each as serious or critical, and the label and table checks fire (so a clean console page
    is clean, not unchecked)."""
    from playwright.sync_api import sync_playwright

    bad = (
        "<!doctype html><html><head><title>x</title></head><body><main>"
        '<p style="color:#aaa;background:#fff">pucat</p><input name="q">'
        "<table><tr><th>a</th></tr><tr><td>1</td></tr></table></main></body></html>"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content(bad)
        found = {f.rule: f.impact for f in blocking(audit(page, "bad"))}
        assert found == {"label": "critical", "html-has-lang": "serious", "color-contrast": "serious"}
        assert len(page.evaluate(UNLABELLED)) == 1
        assert len(page.evaluate(UNNAMED_TABLES)) == 1 and len(page.evaluate(UNSCOPED_HEADERS)) == 1
        browser.close()


def test_the_console_script_has_no_pointer_only_handlers_and_the_templates_no_inline_ones() -> None:
    """What a mouse can do in the console, the keyboard can: static/app.js listens to no click or
    other pointer-only event (a "change" or "submit" fires for the keyboard too), and no template
    carries an inline handler (the Content-Security-Policy would refuse it anyway)."""
    console = REPO_ROOT / "sbt_sync" / "console"
    script = (console / "static" / "app.js").read_text(encoding="utf-8")
    listened = set(re.findall(r"""addEventListener\(\s*["'](\w+)["']""", script))
    assert listened, "app.js listens to nothing: this test reads it wrong"
    assert listened.isdisjoint(POINTER_ONLY), listened
    for template in (console / "templates").glob("*.html"):
        assert not re.search(r"\son[a-z]+\s*=", template.read_text(encoding="utf-8")), template.name
