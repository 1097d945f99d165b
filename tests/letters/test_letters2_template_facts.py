"""Every letter template a deployment may override prints the same facts.

Each shipped template variant (every step, a teguran with every case warned and without) renders a
letter carrying every kind of paragraph (a follow-up's earlier numbers, steps inherited from another
PPK, a withdrawn annulment, a teguran's peringatan letters, the cases' table) with each fact in it, in
the HTML and in the PDF the PPK reads. A deployment's copy of ``base.html`` made before the withdrawn
annulment's paragraph existed no longer drafts letters that leave it out: drafting refuses, naming the
template and the paragraph, and writes nothing (SQLite and PostgreSQL). A copy made before the notice
existed renders the packaged notice inside its own frame.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case
from sbt_sync.db.models.letters import Letter
from sbt_sync.doctor import _check, check_letter_templates
from sbt_sync.errors import ConfigError
from sbt_sync.letters.draft import draft_letters, letter_pdf
from sbt_sync.letters.facts import missing_facts, probe_contexts, required_facts
from sbt_sync.letters.render import DEFAULT_TEMPLATES, template_environment
from sbt_sync.settings import LetterSettings, NotifySettings, Settings
from tests.notify.helpers import add_pics
from tests.notify.test_letter_pdf import pdf_text
from tests.notify.test_letters import add_people, enforce_and_draft

STEPS = ["peringatan_dini", "peringatan", "teguran", "pemberitahuan"]
PARAGRAPH_FACTS = ("follows", "inherited", "resumed", "peringatan_letters")
"""The facts that live in paragraphs (full width in the PDF, so each reads whole in its text)."""


def shipped_variants() -> list[tuple[str, int]]:
    return [(step, i) for step in STEPS for i in range(len(probe_contexts(step)))]


def test_the_packaged_templates_cover_every_letter_kind() -> None:
    assert sorted(p.stem for p in DEFAULT_TEMPLATES.glob("*.html")) == sorted([*STEPS, "base"])


@pytest.mark.parametrize(("step", "variant"), shipped_variants())
def test_every_shipped_template_prints_every_fact_of_every_paragraph(step: str, variant: int) -> None:
    context = probe_contexts(step)[variant]
    facts = required_facts(context)
    # the probe carries every kind of paragraph
    kinds = {label.split(" ")[0] for label in facts}
    assert {"follows", "inherited", "resumed"} <= kinds
    assert ("peringatan_letters" in kinds) == (step == "teguran")
    assert context["every_case_warned"] == (variant == 0)

    assert missing_facts(template_environment(DEFAULT_TEMPLATES), step, context) == []
    environment = template_environment(DEFAULT_TEMPLATES)
    pdf = letter_pdf(environment, step, "0001/X/2024", date(2024, 12, 12), context)
    text = " ".join(pdf_text(pdf).split())
    for label, fact in facts.items():
        if label.split(" ")[0] in PARAGRAPH_FACTS:
            assert fact.replace("&#39;", "'") in text, label


def deployment_copy(tmp_path: Path, *, drop: str | None = None, remove: str | None = None) -> Path:
    """The packaged templates as a deployment copies them, with a paragraph of base.html left out
    (``drop``: the name its ``{% if %}`` tests) or a template missing (``remove``)."""
    folder = tmp_path / "letters"
    shutil.copytree(DEFAULT_TEMPLATES, folder)
    base = folder / "base.html"
    text = base.read_text().replace("BADAN KEPEGAWAIAN NEGARA", "KOP SURAT DEPLOYMENT")
    if drop is not None:
        text, found = re.subn(rf"{{% if {drop} %}}.*?{{% endif %}}\n", "", text, count=1, flags=re.S)
        assert found == 1
    base.write_text(text)
    if remove is not None:
        (folder / remove).unlink()
    return folder


@pytest.mark.parametrize("paragraph", ["resumed", "inherited", "follows"])
def test_a_deployment_base_without_a_facts_paragraph_is_named_by_the_check(
    tmp_path: Path, paragraph: str
) -> None:
    environment = template_environment(deployment_copy(tmp_path, drop=paragraph))
    for step in STEPS:
        missing = {m for c in probe_contexts(step) for m in missing_facts(environment, step, c)}
        assert missing and all(m.startswith(paragraph) for m in missing), (step, missing)


def test_a_deployment_copy_made_before_the_notice_renders_the_packaged_notice_in_its_frame(
    tmp_path: Path,
) -> None:
    environment = template_environment(deployment_copy(tmp_path, remove="pemberitahuan.html"))
    (context,) = probe_contexts("pemberitahuan")
    assert missing_facts(environment, "pemberitahuan", context) == []
    html = environment.get_template("pemberitahuan.html").render(**context)
    assert "KOP SURAT DEPLOYMENT" in html and "dilanjutkan" in html


@pytest.mark.integration
def test_drafting_refuses_a_deployment_base_that_leaves_out_the_withdrawn_annulment(
    migrated_database: Database, tmp_path: Path
) -> None:
    database = migrated_database
    stale = deployment_copy(tmp_path, drop="resumed")
    settings = Settings(notify=NotifySettings(letters=LetterSettings(templates_dir=str(stale))))
    add_people(database, 1)
    add_pics(database, "ID-Sampang", "pic@sampang.go.id")

    with pytest.raises(ConfigError, match=r"base\.html.*resumed \(pembatalan rekomendasi ditarik"):
        enforce_and_draft(database, settings, date(2024, 12, 12))

    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Letter)) == 0
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        fixed = Settings(notify=NotifySettings(letters=LetterSettings(templates_dir=str(DEFAULT_TEMPLATES))))
        assert draft_letters(session, fixed, date(2024, 12, 12)).letters == 1


def test_doctor_names_a_deployment_base_that_leaves_a_fact_out(tmp_path: Path) -> None:
    """``sbt-sync doctor`` finds the stale copy before a letter falls due, with the same words."""
    stale = deployment_copy(tmp_path, drop="resumed")
    finding = _check(
        "letter templates",
        partial(
            check_letter_templates,
            Settings(notify=NotifySettings(letters=LetterSettings(templates_dir=str(stale)))),
        ),
    )
    assert not finding.ok
    assert "base.html" in finding.message and "resumed (pembatalan rekomendasi ditarik" in finding.message
    assert _check("letter templates", partial(check_letter_templates, Settings())).ok
