"""What went wrong, in words (:mod:`sbt_sync.console.labels`): a refusal a steward caused and a
quarantined row's problem and what to do about it.

The core keeps speaking English (CLI output and logs): a refusal carries a stable ``code`` and its
parameters (:class:`sbt_sync.errors.SbtError`), and the console says it in its language here
(:func:`error_text`); a quarantined row's English reason is said again from its parts.
"""

from __future__ import annotations

import re
from typing import Any

from sbt_sync.console.labels_reference import _pick, _word, field_label, sanction_name
from sbt_sync.console.labels_words import SANCTION_FIELDS, VALUES
from sbt_sync.errors import SbtError
from sbt_sync.notify import smtp
from sbt_sync.notify.queue import (
    ALREADY_DELIVERED,
    CASE_HELD,
    CASES_ENDED,
    CASES_MOVED,
    CASES_MOVED_PARTLY,
    GAVE_UP,
    NAME_UNKNOWN,
    SOME_REFUSED,
)
from sbt_sync.states.outbox import (
    HELD_BEFORE_OURS,
    PARKED_FORBIDDEN_NIP,
    PARKED_REFUSED,
    PARKED_UNACKNOWLEDGED,
    PARKED_UNSENDABLE,
)
from schemas import reference


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


def _answer_pattern(template: str) -> re.Pattern[str]:
    """A stored answer written from ``template`` (its ``{name}`` parts as groups)."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)) + "$", re.S
    )


_MAIL_NOTES = (
    (_answer_pattern(CASES_MOVED), "mailnote.cases_moved"),
    (_answer_pattern(CASES_MOVED_PARTLY), "mailnote.cases_moved_partly"),
    (_answer_pattern(CASES_ENDED), "mailnote.cases_ended"),
    (_answer_pattern(NAME_UNKNOWN), "mailnote.name_unknown"),
    (_answer_pattern(CASE_HELD), "mailnote.case_held"),
)
"""The answers the notifier and the drafter store on an outbox row themselves (in Indonesian,
:mod:`sbt_sync.notify.queue`), as opposed to a mail server's."""


def mail_note(answer: object, lang: str = "id") -> str | None:
    """An outbox row's answer that sbt-sync wrote itself (a letter kept back, never offered to a mail
    server), in the console's language; None for any other answer (a mail server's, shown as given)."""
    text = str(answer or "")
    for pattern, key in _MAIL_NOTES:
        found = pattern.match(text)
        if found:
            return _word(key, lang).format(**found.groupdict())
    return None


_MAIL_ANSWERS = (
    (_answer_pattern(ALREADY_DELIVERED), "mailanswer.already_delivered"),
    (_answer_pattern(GAVE_UP), "mailanswer.gave_up"),
    (_answer_pattern(SOME_REFUSED), "mailanswer.some_refused"),
    (_answer_pattern(smtp.ALL_REFUSED), "mailanswer.all_refused"),
    (_answer_pattern(smtp.SOME_DEFERRED), "mailanswer.some_deferred"),
    (_answer_pattern(smtp.CANNOT_CONNECT), "mailanswer.cannot_connect"),
    (_answer_pattern(smtp.SESSION_FAILED), "mailanswer.session_failed"),
    (_answer_pattern(smtp.LOST_AFTER_DATA), "mailanswer.lost_after_data"),
    (_answer_pattern(smtp.CONNECTION_LOST), "mailanswer.connection_lost"),
    (_answer_pattern(smtp.NOT_ASCII), "mailanswer.not_ascii"),
)
"""How the notifier and its SMTP sender word a failure that is not the server's own reply (in English,
:mod:`sbt_sync.notify.queue`, :mod:`sbt_sync.notify.smtp`)."""


def mail_answer(answer: object, lang: str = "id") -> str:
    """A letter's stored answer for a steward, in the console's language: the notifier's framing ("gave
    up after 4 attempts", "cannot connect to ...") said in words, the mail server's own replies and
    the system's error text kept as given; an answer sbt-sync did not frame is shown as given."""
    text = str(answer or "")
    for pattern, key in _MAIL_ANSWERS:
        found = pattern.match(text)
        if found:
            parts = found.groupdict()
            if "answer" in parts:  # what the notifier gave up on: framed in its turn
                parts["answer"] = mail_answer(parts["answer"], lang)
            return _word(key, lang).format(**parts)
    return text


_PUSH_NOTES = (
    (re.compile(re.escape(HELD_BEFORE_OURS)), "push.held_before_ours"),
    (_answer_pattern(PARKED_UNACKNOWLEDGED), "pushnote.unacknowledged"),
    (_answer_pattern(PARKED_FORBIDDEN_NIP), "pushnote.forbidden_nip"),
    (_answer_pattern(PARKED_UNSENDABLE), "pushnote.unsendable"),
    (_answer_pattern(PARKED_REFUSED), "pushnote.refused"),
)
"""The notes the pusher and enforcement store on a parked SIASN outbox row (in English,
:mod:`sbt_sync.states.outbox`), most specific first."""


def push_note(note: object, lang: str = "id") -> str:
    """A parked SIASN outbox row's note in the console's language: the pusher's framing said in words
    around SIASN's own message (kept as SIASN gave it); a note the pusher did not word is shown as
    given."""
    text = str(note or "")
    for pattern, key in _PUSH_NOTES:
        found = pattern.match(text)
        if found:
            return _word(key, lang).format(**found.groupdict())
    return text
