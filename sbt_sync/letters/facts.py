"""The facts every letter template must print, checked before any letter is drafted from them.

A deployment edits its own copy of the templates (``notify.letters.templates_dir``). A copy made before
a paragraph was added to the packaged ``base.html`` (the withdrawn annulment, ``resumed``, for one)
rendered letters that silently left the fact out: the PPK was never told. Drafting now renders each
step's template with a probe letter that carries every kind of paragraph (the cases' table, a
follow-up's earlier numbers, inherited steps, a withdrawn annulment, a teguran's peringatan letters,
with and without every case warned) and refuses, naming the template and what it leaves out, when a
fact does not appear: a letter is never written without it. The probe is built by the function that
builds every letter's context (:func:`sbt_sync.letters.context.letter_context`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import escape

from sbt_sync.errors import ConfigError
from sbt_sync.letters.context import letter_context
from sbt_sync.letters.model import LetterCase, LetterPlan
from sbt_sync.letters.render import render_html
from sbt_sync.settings import Settings

PROBE_DAY = date(2024, 12, 12)
PROBE_NUMBER = "PROBE-NOMOR-0001"
PROBE_FOLLOWS = "PROBE-NOMOR-SEBELUMNYA"


def probe_plan(step: str, *, every_case_warned: bool = True) -> LetterPlan:
    """A letter of ``step`` whose cases carry every kind of paragraph, each fact a distinct word."""
    cases = tuple(
        LetterCase(
            case_key=f"PROBE-KASUS-{i}",
            nip=f"PROBE-NIP-{i}",
            name=f"PROBE-NAMA-{i}",
            recommendation_no=f"PROBE-REKOMENDASI-{i}",
            recommendation_date=PROBE_DAY,
            sanction=f"PROBE-SANKSI-{i}",
            deadline=PROBE_DAY,
            next_step=f"PROBE-TAHAP-{i}",
            warned_by=f"PROBE-PERINGATAN-{i}" if every_case_warned or i == 1 else None,
            inherited=(f"PROBE-LANGKAH-LAIN-{i}",),
            issuer="BKN",
            resumed=f"PROBE-PEMBATALAN-DITARIK-{i}",
        )
        for i in (1, 2)
    )
    return LetterPlan("PROBE-INSTANSI", "PROBE-NAMA-INSTANSI", step, PROBE_DAY, cases, (), follow_up=True)


def required_facts(context: dict[str, Any]) -> dict[str, str]:
    """What a letter with ``context`` must print: a label in words (the context's name and what) ->
    the text, as the template's HTML carries it (escaped)."""
    facts = {
        "number (nomor surat)": context["number"],
        "instansi_name (PPK yang dituju)": context["instansi_name"],
        "tanggal (tanggal surat)": context["tanggal"],
        "signatory_name (penanda tangan)": context["signatory_name"],
    }
    for case in context["cases"]:
        for key in ("nip", "name", "recommendation_no", "sanction", "next_step"):
            facts[f"cases.{key} ({case['case_key']})"] = case[key]
    if context["follows"]:
        facts["follows (surat susulan: nomor surat sebelumnya)"] = context["follows"]
    for item in context["inherited"]:
        for n, words in enumerate(item["steps"], start=1):
            facts[f"inherited (tahap {n} di instansi sebelumnya: {item['nip']})"] = words
    for item in context["resumed"]:
        facts[f"resumed (pembatalan rekomendasi ditarik: {item['nip']})"] = item["why"]
    if context["step"] == "teguran":
        for number in context["peringatan_letters"]:
            facts[f"peringatan_letters (peringatan yang telah dikirim: {number})"] = number
    return {label: str(escape(text)) for label, text in facts.items()}


def missing_facts(environment: jinja2.Environment, step: str, context: dict[str, Any]) -> list[str]:
    """The labels of :func:`required_facts` that ``step``'s template leaves out of the letter."""
    html = render_html(environment, step, context)
    return [label for label, text in required_facts(context).items() if text not in html]


def probe_contexts(step: str) -> list[dict[str, Any]]:
    """The probe letters of ``step``: a teguran twice (every case warned, and not)."""
    settings = Settings()
    variants = (True, False) if step == "teguran" else (True,)
    return [
        letter_context(settings, probe_plan(step, every_case_warned=v), PROBE_NUMBER, PROBE_FOLLOWS)
        for v in variants
    ]


def check_templates(environment: jinja2.Environment, steps: list[str], folder: Path) -> None:
    """``ConfigError`` naming each of ``steps``' templates (in ``folder``) that leaves a fact out."""
    problems = []
    for step in dict.fromkeys(steps):
        missing = sorted(
            {label for context in probe_contexts(step) for label in missing_facts(environment, step, context)}
        )
        if missing:
            problems.append(f"{step}.html (with the base.html it extends) leaves out {'; '.join(missing)}")
    if problems:
        raise ConfigError(
            f"letter templates in {folder}: "
            + " | ".join(problems)
            + ". Add the paragraph as the packaged templates print it (sbt_sync/letters/templates/base.html,"
            " README.md there): no letter is drafted without it."
        )
