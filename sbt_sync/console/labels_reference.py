"""Reference codes and the product's own codes in words (:mod:`sbt_sync.console.labels`): jenisHukuman
sanction codes, violation forms and Kanreg (names from ``schemas/reference``), golden fields and their
code values, survivorship, link and identity rules, control actions. Every function takes the language
(``id`` or ``en``); the word comes first and the code beside it where a steward needs it ("Teguran
tertulis (2)").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sbt_sync.console.i18n import MESSAGES
from sbt_sync.console.labels_sources import event_label
from sbt_sync.console.labels_words import GOLDEN_FIELDS, SANCTION_EN, SANCTION_FIELDS, VALUES, VIOLATION_FORMS
from sbt_sync.steward.decisions import allowed_values as allowed_codes
from schemas import reference


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _word(key: str, lang: str) -> str:
    pair = MESSAGES.get(key)  # the one table, this module's words merged in
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
