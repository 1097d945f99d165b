"""Codes into words: what the console shows where the data holds a code.

Reference codes (jenisHukuman sanction codes, violation forms, Kanreg, instansi ids, kedudukan) get
their names from ``schemas/reference`` and the registry mirror; the product's own codes (golden fields,
verification results, link and identity rules, control actions, quarantine checks, refusals a steward
can cause) get their words from :mod:`sbt_sync.console.labels_words` and
:mod:`sbt_sync.console.labels_sources`, merged into the console's one table
(:mod:`sbt_sync.console.i18n`), which imports no label function: words flow one way. Every function
takes the language (``id`` or ``en``); the word comes first and the code beside it where a steward needs
it ("Teguran tertulis (2)").

The core keeps speaking English (CLI output and logs): a refusal carries a stable ``code`` and its
parameters (:class:`sbt_sync.errors.SbtError`), and the console says it in its language here
(:func:`error_text`). Texts the core stored as English (quarantine reasons, a conflict's reopened
reason, the guard's verdict, the enforcement policy's step reasons) are said again from their parts.

The functions live by subject in sibling modules and are all importable from here:
:mod:`~sbt_sync.console.labels_reference` (reference and product codes),
:mod:`~sbt_sync.console.labels_problems` (refusals, quarantine problems),
:mod:`~sbt_sync.console.labels_history` (the core's English records, the case timeline),
:mod:`~sbt_sync.console.labels_instansi` (instansi names) and :mod:`~sbt_sync.console.labels_sources`
(record sources, elections). :func:`install` makes them the templates' globals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from sbt_sync.console import labels_sources
from sbt_sync.console.labels_history import control_reason as control_reason
from sbt_sync.console.labels_history import correction_reopened_text as correction_reopened_text
from sbt_sync.console.labels_history import guard_text as guard_text
from sbt_sync.console.labels_history import hold_record as hold_record
from sbt_sync.console.labels_history import reopened_text as reopened_text
from sbt_sync.console.labels_history import timeline_title as timeline_title
from sbt_sync.console.labels_history import timeline_value as timeline_value
from sbt_sync.console.labels_instansi import InstansiNames as InstansiNames
from sbt_sync.console.labels_problems import error_text as error_text
from sbt_sync.console.labels_problems import mail_answer as mail_answer
from sbt_sync.console.labels_problems import mail_note as mail_note
from sbt_sync.console.labels_problems import nip_reason as nip_reason
from sbt_sync.console.labels_problems import push_note as push_note
from sbt_sync.console.labels_problems import quarantine_advice as quarantine_advice
from sbt_sync.console.labels_problems import quarantine_check as quarantine_check
from sbt_sync.console.labels_problems import quarantine_reason as quarantine_reason
from sbt_sync.console.labels_reference import action_label as action_label
from sbt_sync.console.labels_reference import allowed_values as allowed_values
from sbt_sync.console.labels_reference import field_label as field_label
from sbt_sync.console.labels_reference import golden_value as golden_value
from sbt_sync.console.labels_reference import kanreg_label as kanreg_label
from sbt_sync.console.labels_reference import rule_label as rule_label
from sbt_sync.console.labels_reference import sanction_choices as sanction_choices
from sbt_sync.console.labels_reference import sanction_label as sanction_label
from sbt_sync.console.labels_reference import sanction_name as sanction_name
from sbt_sync.console.labels_reference import value_label as value_label
from sbt_sync.console.labels_reference import violation_form_description as violation_form_description
from sbt_sync.console.labels_reference import violation_form_label as violation_form_label
from sbt_sync.console.labels_sources import agency_name as agency_name
from sbt_sync.console.labels_sources import event_label as event_label
from sbt_sync.console.labels_sources import event_name as event_name
from sbt_sync.console.labels_sources import source_label as source_label
from sbt_sync.console.labels_sources import source_name as source_name


def _names(context: Context) -> InstansiNames | None:
    request = context.get("request")
    if request is None:
        return None
    names = getattr(request.state, "instansi_names", None)
    if names is None:
        names = InstansiNames(request.app.state.console.database)
        request.state.instansi_names = names
    assert isinstance(names, InstansiNames)
    return names


def _lang(context: Context) -> str:
    return str(context.get("lang") or "id")


def _settings(context: Context) -> Any:
    request = context.get("request")
    return getattr(getattr(request.app.state, "console", None), "settings", None) if request else None


def _described(context: Context) -> dict[str, str]:
    """The configured sources' descriptions (a source the words do not know is said by its own)."""
    return labels_sources.described_sources(_settings(context))


def _calendar(context: Context) -> str | None:
    """The deployment's election calendar (None: the packaged one)."""
    return labels_sources.calendar_path(_settings(context))


def install(env: Environment) -> None:
    """The template globals: each reads the page's language (and its database, for instansi)."""

    @pass_context
    def instansi_label(context: Context, instansi_id: object) -> str:
        names = _names(context)
        return names.label(instansi_id, _lang(context)) if names else str(instansi_id or "-")

    @pass_context
    def golden(context: Context, field: str, value: object) -> str:
        if field.endswith("_at") and value and len(str(value)) > 10:  # an instant, in the deployment's zone
            return str(context.environment.filters["dt"](value))
        if field == "event_code" and value:  # by the deployment's election calendar
            return event_label(value, _lang(context), _calendar(context))
        names = _names(context)
        return golden_value(
            field, value, _lang(context), (lambda i: names.label(i, _lang(context))) if names else None
        )

    def bind(function: Callable[..., Any]) -> Callable[..., Any]:
        @pass_context
        def bound(context: Context, *args: Any) -> Any:
            return function(*args, lang=_lang(context))

        return bound

    @pass_context
    def correction_reopened(context: Context, reason: str | None) -> str:
        return correction_reopened_text(reason, _lang(context), context.environment.filters["dt"])

    @pass_context
    def source(context: Context, key: object, code: bool = False) -> str:
        return source_label(key, _lang(context), _described(context), code=code)

    @pass_context
    def event(context: Context, code: object, code_beside: bool = False) -> str:
        return event_label(code, _lang(context), _calendar(context), code_beside=code_beside)

    @pass_context
    def title(context: Context, entry: object) -> str:
        return timeline_title(entry, _lang(context), _described(context))

    @pass_context
    def timeline_detail(context: Context, key: str, value: object, field: str | None = None) -> str:
        return timeline_value(key, value, _lang(context), field)

    env.globals.update(
        timeline_title=title,
        source_label=source,
        agency_name=labels_sources.agency_name,
        event_label=event,
        timeline_value=timeline_detail,
        instansi_label=instansi_label,
        golden_value=golden,
        field_label=bind(field_label),
        sanction_label=bind(sanction_label),
        violation_form_label=bind(violation_form_label),
        rule_label=bind(rule_label),
        action_label=bind(action_label),
        quarantine_check=bind(quarantine_check),
        quarantine_advice=bind(quarantine_advice),
        quarantine_reason=bind(quarantine_reason),
        reopened_text=bind(reopened_text),
        correction_reopened_text=correction_reopened,
        guard_text=bind(guard_text),
        mail_note=bind(mail_note),
        mail_answer=bind(mail_answer),
        push_note=bind(push_note),
        hold_record=bind(hold_record),
        allowed_values=bind(allowed_values),
        kanreg_label=kanreg_label,
        violation_form_description=violation_form_description,
    )
