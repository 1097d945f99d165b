"""Codes into words: what the console shows where the data holds a code.

Reference codes (jenisHukuman sanction codes, violation forms, Kanreg, instansi ids, kedudukan) get
their names from ``schemas/reference`` and the registry mirror; the product's own codes (golden
fields, verification results, link and identity rules, control actions, quarantine checks, refusals
a steward can cause) get their words from :data:`WORDS` (:mod:`sbt_sync.console.labels_words`),
merged into the console's one table (:mod:`sbt_sync.console.i18n`). Every function takes the language
(``id`` or ``en``); the word comes first and the code beside it where a steward needs it ("Teguran
tertulis (2)").

The core keeps speaking English (CLI output and logs): a refusal carries a stable ``code`` and its
parameters (:class:`sbt_sync.errors.SbtError`), and the console says it in its language here
(:func:`error_text`). Texts the core stored as English (quarantine reasons, a conflict's reopened
reason, the guard's verdict, the enforcement policy's step reasons) are said again from their parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from sqlalchemy import select

from sbt_sync.console import labels_sources
from sbt_sync.console.labels_sources import event_label as event_label
from sbt_sync.console.labels_sources import event_name as event_name
from sbt_sync.console.labels_sources import source_label as source_label
from sbt_sync.console.labels_sources import source_name as source_name
from sbt_sync.console.labels_words import GOLDEN_FIELDS, SANCTION_EN, SANCTION_FIELDS, VALUES, VIOLATION_FORMS
from sbt_sync.console.labels_words import WORDS as FIELD_WORDS
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.errors import SbtError
from sbt_sync.steward.decisions import allowed_values as allowed_codes
from schemas import reference

WORDS = {**FIELD_WORDS, **labels_sources.WORDS}
"""The words :mod:`sbt_sync.console.i18n` merges into its table."""


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _word(key: str, lang: str) -> str:
    from sbt_sync.console.i18n import MESSAGES  # the one table, with WORDS merged in

    pair = MESSAGES.get(key) or WORDS.get(key)
    return _pick(pair, lang) if pair else key


def sanction_name(code: object, lang: str = "id") -> str | None:
    """The jenisHukuman code's name ("Teguran tertulis"), None when ``code`` is none of them."""
    try:
        number = int(str(code).strip())
    except ValueError:
        return None
    found = reference.sanction_by_id().get(number)
    if found is None:
        return None
    return SANCTION_EN.get(number, found.nama.capitalize()) if lang == "en" else found.nama.capitalize()


def sanction_label(code: object, lang: str = "id") -> str:
    """ "Teguran tertulis (2)"; an unknown code says so beside itself."""
    if code is None or code == "":
        return "-"
    name = sanction_name(code, lang)
    return f"{name} ({str(code).strip()})" if name else f"{code} ({_word('labels.unknown_code', lang)})"


def sanction_choices(lang: str = "id") -> list[tuple[str, str]]:
    """Every jenisHukuman code with its label, for a form's list."""
    return [(str(c.id), sanction_label(c.id, lang)) for c in reference.sanction_codes()]


def violation_form_label(code: object, lang: str = "id") -> str:
    """ "Kampanye/dukungan di media sosial (MEDSOS)"."""
    if code is None or code == "":
        return "-"
    text = str(code).strip()
    pair = VIOLATION_FORMS.get(text.upper())
    if pair is None:
        known = {f.code: f.deskripsi for f in reference.violation_forms()}
        return (
            f"{known[text]} ({text})" if text in known else f"{text} ({_word('labels.unknown_code', lang)})"
        )
    return f"{_pick(pair, lang)} ({text})"


def violation_form_description(code: object) -> str:
    """The form's full description as the SKB annex words it (Indonesian only)."""
    return {f.code: f.deskripsi for f in reference.violation_forms()}.get(str(code or ""), "")


def kanreg_label(code: object) -> str:
    """ "Kantor Regional II BKN (II)"; the names are Indonesian proper names in both languages."""
    if not code:
        return "-"
    names = {k.id: k.nama for k in reference.kanreg()}
    text = str(code)
    return f"{names[text]} ({text})" if text in names else text


def field_label(name: object, lang: str = "id") -> str:
    """A golden field's name in words ("Batas waktu tindak lanjut PPK"); an unknown one as given."""
    pair = GOLDEN_FIELDS.get(str(name))
    if pair is None:  # a person's field of an identity conflict (name, birth_date, ...)
        word = _word(f"field.{name}", lang)
        return str(name) if word == f"field.{name}" else word
    return _pick(pair, lang)


def value_label(field: str, value: object, lang: str = "id") -> str:
    """A code-valued golden field's word ("Terbukti"); other values as text."""
    pair = VALUES.get(field, {}).get(str(value))
    return _pick(pair, lang) if pair else str(value)


def allowed_values(field: str | None, lang: str = "id") -> list[tuple[str, str]]:
    """The (value, label) pairs a field's "other value" may take (the ones
    :func:`sbt_sync.steward.decisions.allowed_values` accepts), empty when it is free text."""
    return [(code, golden_value(str(field), code, lang)) for code in allowed_codes(field) or ()]


def golden_value(
    field: str, value: object, lang: str = "id", instansi: Callable[[str], str] | None = None
) -> str:
    """A golden field's value as a steward reads it: names beside codes, dates as dates."""
    if value is None or value == "":
        return "-"
    if field in SANCTION_FIELDS:
        return sanction_label(value, lang)
    if field == "violation_form":
        return violation_form_label(value, lang)
    if field == "instansi_id":
        return instansi(str(value)) if instansi else str(value)
    if field == "event_code":
        return event_label(value, lang)
    if field in VALUES:
        word = value_label(field, value, lang)
        return word  # the product's own vocabulary: the word says it all
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def rule_label(rule: object, lang: str = "id") -> str:
    """A survivorship, link or identity rule in words; an unknown rule by its code."""
    text = str(rule or "")
    for key in (f"rule.{text}", f"linkrule.{text}", f"idrule.{text}"):
        word = _word(key, lang)
        if word != key:
            return word
    return text


def action_label(action: object, lang: str = "id") -> str:
    text = str(action or "")
    word = _word(f"action.{text}", lang)
    return text if word == f"action.{text}" else word


def nip_reason(detail: str, lang: str = "id") -> str:
    """A :class:`schemas.nip.NipError` reason in words (``schemas.nip`` words them in English)."""
    found = re.search(r"must have \d+ digits, found (\d+)", detail)
    if found:
        return _word("nipreason.length", lang).format(found=found.group(1))
    for fragment, key in (
        ("other than digits", "characters"),
        ("float-mangled", "float"),
        ("birth date", "birth"),
        ("birth year", "birth"),
        ("TMT", "tmt"),
        ("appointment", "tmt"),
        ("PPPK", "tmt"),
        ("gender digit", "gender"),
        ("serial 000", "serial"),
    ):
        if fragment in detail:
            return _word(f"nipreason.{key}", lang)
    return _word("nipreason.other", lang) if lang != "en" else detail


def error_text(exc: Exception, lang: str = "id") -> str:
    """A refusal the console shows: its ``code`` said in ``lang`` with its parameters; a refusal
    without a known code is the generic one in Indonesian (its English text in English)."""
    code = getattr(exc, "code", None) if isinstance(exc, SbtError) else None
    params: dict[str, Any] = dict(getattr(exc, "params", None) or {})
    if code is None or _word(f"err.{code}", lang) == f"err.{code}":
        return str(exc) if lang == "en" else _word("err.generic", lang)
    if "detail" in params:
        params["detail"] = nip_reason(str(params["detail"]), lang)
    if "status" in params:
        status = str(params["status"])
        for prefix in ("status.", "qstatus.", "astatus."):
            if _word(prefix + status, lang) != prefix + status:
                params["status"] = _word(prefix + status, lang)
                break
    if "field" in params:
        params["field"] = field_label(params["field"], lang)
    if "allowed" in params and isinstance(params["allowed"], list | tuple):
        field = str(getattr(exc, "params", {}).get("field", ""))
        params["allowed"] = ", ".join(_allowed_text(field, str(v), lang) for v in params["allowed"])
    if "choices" in params and isinstance(params["choices"], list | tuple):
        field = str(getattr(exc, "params", {}).get("field", ""))
        params["choices"] = ", ".join(_allowed_text(field, str(v), lang) for v in params["choices"])
    if "value" in params:
        params["value"] = f"'{params['value']}'"
    try:
        return _word(f"err.{code}", lang).format(**params)
    except (KeyError, IndexError):
        return _word("err.generic", lang)


def _allowed_text(field: str, value: str, lang: str) -> str:
    if field in SANCTION_FIELDS:
        return f"{value} {sanction_name(value, lang) or ''}".strip()
    pair = VALUES.get(field, {}).get(value)
    return f"{value} ({_pick(pair, lang)})" if pair else value


def quarantine_check(check: object, lang: str = "id") -> str:
    """A quarantine check in words ("NIP tidak valid"), its code as given when unknown."""
    text = str(check or "")
    base = _check_base(text)
    word = _word(f"qcheck.{base}", lang)
    return text if word == f"qcheck.{base}" else word


def quarantine_advice(check: object, lang: str = "id") -> str:
    """What a steward (or the source) does about a quarantined row, by its check."""
    text = str(check or "")
    base = _check_base(text)
    template = _word(f"qdo.{base}", lang)
    if template == f"qdo.{base}":
        return ""
    return template.format(
        forms=", ".join(f.code for f in reference.violation_forms()),
        codes=", ".join(str(c.id) for c in reference.sanction_codes()),
        allowed=text[len("isin") :].strip() if base == "isin" else "",
        pattern=text[len("str_matches") :].strip() if base == "str_matches" else "",
    )


def _check_base(check: str) -> str:
    for prefix in ("isin", "str_matches", "coerce_dtype", "dtype"):
        if check.startswith(prefix):
            return "dtype" if prefix == "coerce_dtype" else prefix
    return check


def quarantine_reason(row: Any, lang: str = "id") -> str:
    """A quarantined row's reason: in English the source check's own text; in Indonesian the column,
    the problem (a NIP's problem in words) and the value, from the row's parts."""
    reason = str(getattr(row, "reason", "") or "")
    if lang == "en":
        return reason
    check = str(getattr(row, "check", "") or "")
    problem = quarantine_check(check, lang)
    if check == "acceptable_nip":
        detail = re.sub(r"\s*\(value .*\)$", "", reason.split(": ", 1)[-1])
        problem = nip_reason(detail, lang)
    column = getattr(row, "column", None)
    return f"{column}: {problem}" if column else problem


def reopened_text(reason: str | None, field: str | None = None, lang: str = "id") -> str:
    """A conflict's reopened reason (:func:`sbt_sync.reconcile.golden._apply` words it in English),
    each source's value of ``field`` by its name."""
    if not reason or lang == "en":
        return reason or ""
    by_steward = re.match(r"reopened by a steward on (\S+): (.*)$", reason, re.S)
    if by_steward:
        return _word("reopened.steward", lang).format(at=by_steward.group(1)[:10], reason=by_steward.group(2))
    by_name = re.match(r"reopened by (\S+): (.*)$", reason, re.S)  # sbt_sync.steward.links.reopen_decision
    if by_name:
        return _word("reopened.by", lang).format(who=by_name.group(1), reason=by_name.group(2))
    changed = re.match(r"the sources changed since the decision of (\S+): now (.*)$", reason, re.S)
    if changed:
        return _word("reopened.sources_changed", lang).format(
            at=changed.group(1)[:10], values=_source_values(changed.group(2), field, lang)
        )
    return reason


def _source_values(text: str, field: str | None, lang: str) -> str:
    """ "idis='21', kemendagri='22'" with each value in words."""
    pairs = re.findall(r"(\w+)=('(?:[^'\\]|\\.)*'|\S+?)(?:, |$)", text)
    if not pairs or field is None:
        return text
    shown = []
    for source, value in pairs:
        raw = value[1:-1] if value.startswith("'") else value
        shown.append(
            f"{source_name(source, lang)}: {golden_value(field, None if raw == 'None' else raw, lang)}"
        )
    return "; ".join(shown)


def guard_text(approval: Mapping[str, Any], lang: str = "id") -> str:
    """Why a run waits for a steward's approval (:mod:`sbt_sync.enforce.guard`), with what to check."""
    summary = approval.get("summary") or {}
    rule, limit = summary.get("rule"), summary.get("limit")
    if rule is None:  # approvals recorded before the guard named its rule: read it off the text
        found = re.search(r"(max_changes|max_percent) ([\d.]+)", str(summary.get("reason") or ""))
        rule, limit = (found.group(1), found.group(2)) if found else (None, None)
    params = {
        "changes": approval.get("change_count", 0),
        "before": approval.get("blocked_before", 0),
        "percent": f"{float(approval.get('percent') or 0):.1f}",
        "limit": f"{float(limit):g}" if limit is not None else "?",
    }
    text = _word(f"guard.{rule}", lang).format(**params) if rule in ("max_changes", "max_percent") else ""
    if "blokir" in summary or "buka" in summary:
        counts = _word("guard.summary", lang).format(
            blokir=summary.get("blokir", 0), buka=summary.get("buka", 0)
        )
        text = f"{text} ({counts})" if text else counts
    return text


def timeline_title(entry: Any, lang: str = "id", described: Mapping[str, str] | None = None) -> str:
    """A case timeline entry's title (:func:`sbt_sync.steward.cases.case_timeline`) in words; a
    (un)linked record by its source's name ("Temuan Bawaslu · BWS-0070")."""
    title = str(getattr(entry, "title", "") or "")
    kind = getattr(entry, "kind", "")
    if kind in ("linked", "unlinked"):
        source, _, record = title.partition(" ")
        return f"{source_name(source, lang, described)} · {record}" if record else title
    if kind in ("control", "push"):
        return action_label(title, lang)
    if kind in ("conflict_opened", "conflict_closed"):
        found = re.match(r"(#\d+) (\w+)(?: (\w+))?$", title)
        if found:
            number, conflict_kind, field = found.groups()
            words = f"{number} {_word(f'kind.{conflict_kind}', lang)}"
            return f"{words} · {field_label(field, lang)}" if field else words
    if kind == "audit":
        word = _word(f"auditaction.{title}", lang)  # the audit log's words (web_exports.action_words)
        return title if word == f"auditaction.{title}" else word
    return title


_CONTROL_REASONS: tuple[tuple[str, tuple[str, str]], ...] = (
    (
        r"PPK follow-up deadline (?P<deadline>\S+) of (?P<of>.+) nears$",
        (
            "Batas tindak lanjut PPK {deadline} untuk {of} sudah dekat",
            "PPK follow-up deadline {deadline} of {of} nears",
        ),
    ),
    (
        r"PPK follow-up deadline (?P<deadline>\S+) of (?P<of>.+) passed$",
        (
            "Batas tindak lanjut PPK {deadline} untuk {of} terlewati",
            "PPK follow-up deadline {deadline} of {of} passed",
        ),
    ),
    (
        r"no sanction recorded (?P<days>\d+) days after the (?P<step>peringatan|teguran)$",
        (
            "Belum ada hukuman tercatat {days} hari setelah {step}",
            "No sanction recorded {days} days after the {step}",
        ),
    ),
    (
        r"held \(never blocked\) until a steward decides: (?P<why>.*)$",
        (
            "Ditahan (tidak diblokir) sampai steward memutuskan: {why}",
            "Held (never blocked) until a steward decides: {why}",
        ),
    ),
)
"""The enforcement policy's step reasons (:mod:`sbt_sync.enforce.policy`), read back into words."""
_END_EVENTS = (
    (
        r"sanction recorded \(in force: (?P<code>[^,]*), revised after objection on (?P<on>\S+)\)",
        "end.revised",
    ),
    (r"sanction recorded", "end.sanction"),
    (r"recommendation annulled", "end.annulled"),
    (r"ASN left service", "end.left"),
)


def control_reason(reason: object, lang: str = "id") -> str:
    """A control step's reason in words; a reason the policy does not write (a person's) as given."""
    text = str(reason or "")
    if lang == "en" or not text:
        return text
    for pattern, pair in _CONTROL_REASONS:
        found = re.match(pattern, text)
        if found:
            parts = found.groupdict()
            if parts.get("why") == "open critical conflict":  # the policy's default hold reason
                parts["why"] = _word("end.critical_conflict", lang)
            return _pick(pair, lang).format(**parts)
    for pattern, key in _END_EVENTS:
        found = re.match(
            pattern + r"(?: on (?P<day>\S+)| \(date unknown, counted as of (?P<asof>\S+)\))?$", text
        )
        if found:
            parts = found.groupdict()
            words = _word(key, lang).format(
                code=sanction_label(parts.get("code"), lang) if parts.get("code") else "",
                on=parts.get("on") or "",
            )
            if parts.get("day"):
                return _word("end.on", lang).format(what=words, day=parts["day"])
            if parts.get("asof"):
                return _word("end.unknown_day", lang).format(what=words, day=parts["asof"])
            return words
    return text


def timeline_value(key: str, value: Any, lang: str = "id", field: str | None = None) -> str:
    """A timeline detail's value in words: rules, statuses, decisions (``field``: the decided one)."""
    if key == "rule":
        return rule_label(value, lang)
    if key == "reason":
        return control_reason(value, lang)
    if key == "by" and value == "machine":  # linked by the reconciliation, not by a person
        return _word("tl.machine", lang)
    if key == "status":
        word = _word(f"status.{value}", lang)
        return str(value) if word == f"status.{value}" else word
    if key == "state":
        word = _word(f"ostate.{value}", lang)
        return str(value) if word == f"ostate.{value}" else word
    if key == "decision" and isinstance(value, Mapping):
        if "nip" in value:
            return f"NIP {value['nip']}" if value["nip"] else _word("conflict.nobody", lang)
        if value.get("reopened"):
            return _word("tl.reopened", lang)
        if value.get("value") == "keep":
            return _word("conflict.keep", lang)
        if "value" in value:
            return golden_value(field or "", value["value"], lang)
    return str(value)


class InstansiNames:
    """Instansi names from the registry mirror, each id looked up once per page."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._known: dict[str, str | None] = {}

    def name(self, instansi_id: str) -> str | None:
        if instansi_id not in self._known:
            self.load([instansi_id])
        return self._known.get(instansi_id)

    def load(self, ids: Iterable[str]) -> None:
        wanted = [i for i in dict.fromkeys(ids) if i and i not in self._known]
        if not wanted:
            return
        with self._database.session() as session:
            rows = session.execute(
                select(AsnRegistryEntry.instansi_id, AsnRegistryEntry.instansi_name)
                .where(AsnRegistryEntry.instansi_id.in_(wanted))
                .distinct()
            ).tuples()
            found = dict(rows.all())
        for i in wanted:
            self._known[i] = found.get(i)

    def label(self, instansi_id: object, lang: str = "id") -> str:
        """ "Pemerintah Kabupaten Sampang (A5EB03E2...)": the name, the id beside it, shortened."""
        if not instansi_id:
            return "-"
        text = str(instansi_id)
        name = self.name(text)
        if name is None:
            return f"{text} ({_word('labels.unknown_instansi', lang)})"
        return f"{name} ({_short_id(text)})"


def _short_id(instansi_id: str) -> str:
    return instansi_id if len(instansi_id) <= 12 else instansi_id[:8] + "…"


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
        guard_text=bind(guard_text),
        allowed_values=bind(allowed_values),
        kanreg_label=kanreg_label,
        violation_form_description=violation_form_description,
    )
