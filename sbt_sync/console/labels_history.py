"""What the core recorded in English, said again in words (:mod:`sbt_sync.console.labels`): a
conflict's reopened reason, the guard's verdict, the enforcement policy's step reasons and a case
timeline's titles and details.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.sftp.naming import shown
from sbt_sync.console.holds import HoldPart, parse_hold
from sbt_sync.console.labels_reference import (
    _pick,
    _word,
    action_label,
    field_label,
    golden_value,
    rule_label,
    sanction_label,
)
from sbt_sync.console.labels_sources import source_name
from sbt_sync.enforce.history import AGAIN

ASSIGNED_NIP_GONE = re.compile(
    r"the NIP a steward assigned this record by a link correction \((\S+)\) is no longer in the registry "
    r"\(SIASN corrected or removed it\): the record names nobody until a steward decides again; the "
    r"machine's search: (.*)$",
    re.S,
)
CHOSEN_NIP_GONE = re.compile(
    r"the NIP the steward chose is no longer in the registry \(corrected or removed\): (.*)$", re.S
)
MACHINE_SEARCH = (
    (re.compile(r"registered NIP, no name$"), "machine.nip_no_name"),
    (re.compile(r"registered NIP$"), "machine.nip"),
    (re.compile(r"no registry candidate$"), "machine.none"),
    (re.compile(r"the registered holder's name scores (?P<score>\S+) < (?P<limit>\S+)$"), "machine.mismatch"),
    (re.compile(r"(?P<n>\d+) candidates, best (?P<best>\S+) with namesakes$"), "machine.namesakes"),
    (re.compile(r"(?P<n>\d+) candidates, best (?P<best>\S+) \(auto-accept (?P<auto>\S+)\)$"), "machine.weak"),
)


def _raised_words(text: str, lang: str) -> str:
    """Why a closed conflict was raised again (its sources, or what the machine found), in words."""
    if text == "the sources disagree again":
        return _word("again.sources", lang)
    named = re.match(r"(\w+) record (.+?) names (nobody in the registry|another ASN than the case's)$", text)
    if named:
        word = "again.names_nobody" if named.group(3).startswith("nobody") else "again.names_other"
        return _word(word, lang).format(source=source_name(named.group(1), lang), record=named.group(2))
    return machine_search(text, lang)


def machine_search(text: str, lang: str = "id") -> str:
    """What identity resolution found for a record (:func:`sbt_sync.reconcile.identity.resolve.resolve`
    words it in English, or names its rule), in words."""
    for pattern, word in MACHINE_SEARCH:
        if found := pattern.match(text):
            return _word(word, lang).format(**found.groupdict())
    return rule_label(text, lang)


def reopened_text(reason: str | None, field: str | None = None, lang: str = "id") -> str:
    """A conflict's reopened reason (:func:`sbt_sync.reconcile.golden.reconcile._apply` words it in English),
    each source's value of ``field`` by its name."""
    record = re.match(
        r"the record changed since the steward's decision(?: of (\S+))?: (.*) changed$", reason or ""
    )
    if record:  # sbt_sync.reconcile.identity.written.changed_reason
        said = _word("reopened.record_changed", lang).format(
            at=(record.group(1) or "?")[:10], parts=_written_parts(record.group(2), lang)
        )
        return said[:1].upper() + said[1:]
    if gone := ASSIGNED_NIP_GONE.match(reason or ""):  # sbt_sync.reconcile.identity.store
        return _word("reopened.assigned_nip_gone", lang).format(
            nip=gone.group(1), search=machine_search(gone.group(2), lang)
        )
    if gone := CHOSEN_NIP_GONE.match(reason or ""):
        return _word("reopened.chosen_nip_gone", lang).format(search=machine_search(gone.group(1), lang))
    if again := re.match(r"raised again: (.*)$", reason or "", re.S):  # the conflict was closed, not decided
        return _word("reopened.again", lang).format(what=_raised_words(again.group(1), lang))
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


CORRECTION_CHANGED = re.compile(
    r"the records it relied on changed since (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC"
    r"(?: \((.*) withdrawn\))?: the machine's link applies until a steward decides again$"
)
CORRECTION_OVERRULED = re.compile(
    r"a steward decided \(or reopened\) the record's identity conflict on (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) "
    r"UTC, after this correction: that decision applies$"
)
CORRECTION_NIP_GONE = re.compile(r"the NIP it assigns \((\S+)\) is no longer in the SIASN registry ")


def correction_reopened_text(
    reason: str | None, lang: str = "id", when: Callable[[datetime], str] | None = None
) -> str:
    """Why a link correction was reopened (:func:`sbt_sync.reconcile.corrections.corrections_in_force`
    words it in English, its instants in UTC), in words, each instant as ``when`` shows it (the
    deployment's zone on a page)."""

    def at(text: str) -> str:
        moment = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        return when(moment) if when else f"{text} UTC"

    if changed := CORRECTION_CHANGED.match(reason or ""):
        said = _word("correction.changed", lang).format(at=at(changed.group(1)))
        if changed.group(2):
            ids = ", ".join(re.findall(r"record (\d+)", changed.group(2)))
            said += " " + _word("correction.withdrawn", lang).format(records=ids)
        return said + " " + _word("correction.machine", lang)
    if overruled := CORRECTION_OVERRULED.match(reason or ""):
        return _word("correction.overruled", lang).format(at=at(overruled.group(1)))
    if gone := CORRECTION_NIP_GONE.match(reason or ""):
        return _word("correction.nip_gone", lang).format(nip=gone.group(1))
    return reason or ""


def _written_parts(text: str, lang: str) -> str:
    """ "its name and instansi" (what a record writes about its person) in words; the unknown parts
    of an older decision as such."""
    if text == "what it writes about its person":
        return _word("written.unknown", lang)
    names = re.split(r", | and ", text.removeprefix("its "))
    words = [_word(f"written.{name.lower()}", lang) for name in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + _word("written.and", lang) + words[-1]


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
        # The record key of an SFTP source names the agency's file: shown escaped (``shown``).
        return f"{source_name(source, lang, described)} · {shown(record)}" if record else title
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
    (
        r"held \(its block lifted\) until a steward decides: (?P<why>.*)$",
        (
            "Ditahan (blokir atas kasus ini dibuka) sampai steward memutuskan: {why}",
            "Held (its block lifted) until a steward decides: {why}",
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


_LATE_END = ", known only after the block: reported after it was applied"
"""What the policy adds to an end event reported only after the block it lifts (``decide_case``)."""
_NO_LONGER_PROVEN = re.compile(r"recommendation no longer proven \(result now (?P<result>.*)\)$")


def control_reason(reason: object, lang: str = "id") -> str:
    """A control step's reason in words; a reason the policy does not write (a person's) as given."""
    text = str(reason or "")
    if not text:
        return text
    for pattern, pair in _CONTROL_REASONS:  # in English too: a hold says why in words, not clauses
        found = re.match(pattern, text)
        if found:
            parts = found.groupdict()
            if parts.get("why") == "open critical conflict":  # the policy's default hold reason
                parts["why"] = _word("end.critical_conflict", lang)
            elif parts.get("why"):  # the reconciliation's hold reason, as the case's hold card says it
                parts["why"] = " ".join(hold_sentence(p, lang) for p in parse_hold(parts["why"]))
            return _pick(pair, lang).format(**parts)
    if lang == "en":
        return text
    if text.endswith(_LATE_END):
        return control_reason(text[: -len(_LATE_END)], lang) + _word("end.late", lang)
    if text.startswith(AGAIN):  # a block of a later cycle (sbt_sync.enforce.history)
        return _word("end.again", lang) + control_reason(text[len(AGAIN) :], lang)
    corrected = _NO_LONGER_PROVEN.match(text)
    if corrected:
        result = corrected["result"]
        shown = (
            _word("end.no_result", lang)
            if result == "unknown"
            else golden_value("verification_result", result, lang)
        )
        return _word("end.no_longer_proven", lang).format(result=shown)
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


def hold_record(record: str | None, lang: str = "id") -> str:
    """A hold clause's record (``idis idis-4#0``, as :func:`~sbt_sync.reconcile.golden.status.record_words`
    writes it) by its key and its source's name; its item number only when the record has several."""
    found = re.fullmatch(r"(?P<source>\S+) (?P<key>.+)#(?P<item>\d+)", record or "")
    if found is None:
        return record or ""
    key = found["key"] if found["item"] == "0" else f"{found['key']}#{found['item']}"
    return _word("hold.record", lang).format(key=key, source=source_name(found["source"], lang))


def hold_sentence(part: HoldPart, lang: str = "id") -> str:
    """One hold clause in a sentence, without the link the case's hold card gives its conflict."""
    kind = _word(f"kind.{part.conflict_kind}", lang)
    if part.kind == "conflict":
        return _word("hold.conflict", lang).format(kind=kind).rstrip(":") + "."
    if part.kind == "identity_conflict":
        said = _word("hold.identity_conflict", lang).format(
            record=hold_record(part.record, lang), kind=kind, offered=part.offered
        )
        return f"{said} {_word('conflicts.one', lang)} #{part.conflict_id}"
    if part.kind in ("other_asn", "nobody"):
        return _word(f"hold.{part.kind}", lang).format(record=hold_record(part.record, lang))
    if part.kind == "registry_kedudukan":
        return _word("hold.registry_kedudukan", lang).format(code=part.code)
    if part.kind in ("withheld", "registry_nip"):
        return _word(f"hold.{part.kind}", lang)
    return part.text


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
        if value.get("value") == "keep":  # a named_other conflict's keep: the record belongs to the case
            return _word(
                "conflict.keep_named_other" if value.get("kind") == "named_other" else "conflict.keep", lang
            )
        if "value" in value:
            return golden_value(field or "", value["value"], lang)
    return str(value)
