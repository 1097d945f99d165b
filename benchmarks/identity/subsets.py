"""The rows the product may decide, and the rows it left to stewards (issue 14, deliverable 8).

Decidable: every row except those the ground truth leaves to a steward whoever resolves it, because
nothing in the row separates the true person from a namesake (``deferred_reason``):

- ``namesake_in_instansi``: the row carries no NIP digits at all, and the true person's normalised
  name is held by another ASN of their own instansi. The sandbox's ground truth expects an
  ``ambiguous_match`` conflict for each (``sbt_sync.sandbox.generate.truth_identity``).
- ``name_alone_national_namesake``: the row carries no NIP digits and no instansi the registry knows
  (none written, or one that names no instansi), and the true person's normalised name is held by
  another ASN anywhere in the country: a name alone that several ASN hold.

Outsiders (no true person) are decidable: any link there is wrong, so they weigh on precision only.

Steward rows: the rows ours did not link (outcome ``conflict`` or ``unresolved``), decidable or not.
A row's true person is offered when it is among the candidates the conflict shows. An unresolved row
offers nobody: it counts as offered only when the true answer is "no ASN" (an outsider, or a complaint
naming nobody), which the steward can always record; so does a conflict on such a row.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from benchmarks.identity.rows import Row
from benchmarks.identity.score import at_precision, operating_points, score
from sbt_sync.reconcile.identity.resolve import make_query, normalise_instansi

Evidence = Literal["nip_digits", "instansi", "name_alone"]
TARGETS = {"precision": 0.999, "recall": 0.98, "true_person_offered": 0.99}
EXAMPLES_PER_CAUSE = 2
DECIDABLE_RULE = (
    "every row but those nothing in them can separate from a namesake: no NIP digits written and the "
    "true person's normalised name held by another ASN of their instansi (namesake_in_instansi, the "
    "ground truth's ambiguous_match), or no NIP digits, no instansi the registry knows, and the name "
    "held by another ASN nationally (name_alone_national_namesake); outsiders included (precision only)"
)
STEWARD_RULE = (
    "rows ours did not link (conflict or unresolved); the true person is offered when among the "
    "conflict's candidates; a row whose true answer is 'no ASN' counts as offered (the steward can "
    "always record it); an unresolved row with a true person is a miss"
)


def known_instansi(instansi_csv: Path) -> frozenset[str]:
    """Every instansi id and name of the sandbox, normalised as ``instansi_agrees`` compares them."""
    with instansi_csv.open(encoding="utf-8", newline="") as handle:
        return frozenset(
            normalise_instansi(entry[key]) for entry in csv.DictReader(handle) for key in ("id", "nama")
        )


def evidence(row: Row, known: frozenset[str]) -> Evidence:
    """What beyond the name a row gives: NIP digits (a birth date or any digits that survive), or
    else an instansi the registry knows, or else the name alone."""
    query = make_query(nip_raw=row.nip_raw, name=row.name, instansi=row.instansi)
    if query.nip is not None or query.nip_pattern is not None or query.birth_date is not None:
        return "nip_digits"
    return "instansi" if normalise_instansi(row.instansi) in known else "name_alone"


def deferred_reason(
    row: Row, found: Evidence, in_instansi: Mapping[str, int], nationally: Mapping[str, int]
) -> str | None:
    """Why the ground truth leaves ``row`` to a steward (module docstring); None if it is decidable."""
    if row.true_nip is None or found == "nip_digits":
        return None
    if in_instansi.get(row.true_nip, 1) > 1:
        return "namesake_in_instansi"
    if found == "name_alone" and nationally.get(row.true_nip, 1) > 1:
        return "name_alone_national_namesake"
    return None


def _offered(row: Row, shown: Mapping[str, Any]) -> bool:
    return row.true_nip is None or row.true_nip in {c[0] for c in shown.get("candidates", [])}


def _mask(nip: str | None) -> str | None:
    return None if nip is None else re.sub(r"\d", "#", nip)


def recall_miss_cause(found: Evidence, shown: Mapping[str, Any]) -> str:
    """Why ours did not link a decidable row to its true person, from its decision and diagnosis."""
    diagnosis = shown.get("diagnosis", {})
    if shown["outcome"] == "linked":
        return "linked another ASN"
    if not diagnosis.get("true_found_by_search"):
        return "true person not found by the search"
    if shown["rule"] == "ambiguous_match":
        if diagnosis.get("same_name_in_pool"):
            return "tie with an ASN of the same name"
        return "tie with another candidate (within the margin)"
    if found == "name_alone":
        return "name alone, unique nationally: held below auto-accept (UNCORROBORATED)"
    return f"true person below auto-accept ({shown['rule']})"


def steward_miss_cause(shown: Mapping[str, Any], floor: float) -> str:
    """Why a row left to stewards does not offer its true person."""
    diagnosis = shown.get("diagnosis", {})
    if not diagnosis.get("true_found_by_search"):
        where = "not found by the search"
    elif (diagnosis.get("true_score") or 0.0) < floor:
        where = f"found, scored below the candidate floor ({floor:.2f})"
    elif diagnosis.get("true_score") == diagnosis.get("top_score"):
        where = "found, tied with the candidates shown but cut by the cap on tied candidates (ties go by NIP)"
    else:
        where = "found, ranked below the candidates offered (the fifth and those tied with it)"
    return f"{shown['outcome']}: {where}"


def _example(row: Row, shown: Mapping[str, Any], found: Evidence, cause: str) -> dict[str, Any]:
    diagnosis = shown.get("diagnosis", {})
    return {
        "row": row.id,
        "origin": row.origin,
        "nip_as_written": _mask(row.nip_raw),
        "evidence": found,
        "name": row.name,
        "instansi_written": row.instansi is not None,
        "true_name": diagnosis.get("true_name"),
        "outcome": shown["outcome"],
        "rule": shown["rule"],
        "true_score": diagnosis.get("true_score"),
        "true_rank": diagnosis.get("true_rank"),
        "top_name": diagnosis.get("top_name"),
        "top_score": diagnosis.get("top_score"),
        "cause": cause,
    }


def _examples(picked: Sequence[tuple[Row, Mapping[str, Any], Evidence, str]]) -> list[dict[str, Any]]:
    per_cause: Counter[str] = Counter()
    out = []
    for row, shown, found, cause in sorted(picked, key=lambda item: item[0].id):
        if per_cause[cause] < EXAMPLES_PER_CAUSE:
            per_cause[cause] += 1
            out.append(_example(row, shown, found, cause))
    return out


def _only(links: Mapping[str, list[Any]], rows: Sequence[Row]) -> dict[str, list[Any]]:
    wanted = {str(row.id) for row in rows}
    return {key: value for key, value in links.items() if key in wanted}


def decidable(
    rows: Sequence[Row],
    found: Mapping[int, Evidence],
    reasons: Mapping[int, str | None],
    ours: Mapping[str, Any] | None,
    splink: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The decidable rows and each contender on them; ``ours`` holds ``links`` and ``decisions``,
    ``splink`` its ``links`` and best-F1 ``threshold`` (and is also given as precise as ours there)."""
    chosen = [row for row in rows if reasons[row.id] is None]
    deferred = [row for row in rows if reasons[row.id] is not None]
    out: dict[str, Any] = {
        "rule": DECIDABLE_RULE,
        "rows": len(chosen),
        "rows_with_true_person": sum(row.true_nip is not None for row in chosen),
        "outsiders": sum(row.true_nip is None for row in chosen),
        "by_evidence": dict(Counter(found[row.id] for row in chosen)),
        "targets": {"precision": TARGETS["precision"], "recall": TARGETS["recall"]},
        "not_decidable": {
            "rows": len(deferred),
            "by_reason": dict(Counter(str(reasons[row.id]) for row in deferred)),
        },
    }
    if ours is not None:
        links, shown = ours["links"], ours["decisions"]
        quality = score(chosen, links)
        out.update(quality.as_dict())
        out["meets_targets"] = (
            quality.precision >= TARGETS["precision"] and quality.recall >= TARGETS["recall"]
        )
        missed = [
            (row, shown[str(row.id)], found[row.id])
            for row in chosen
            if row.true_nip is not None and links[str(row.id)][0] != row.true_nip
        ]
        causes = [(row, s, f, recall_miss_cause(f, s)) for row, s, f in missed]
        wrong = [
            row
            for row in chosen
            if links[str(row.id)][0] is not None and links[str(row.id)][0] != row.true_nip
        ]
        out["recall_misses"] = {
            "rows": len(missed),
            "by_cause": dict(Counter(cause for *_, cause in causes).most_common()),
            "by_evidence": dict(Counter(f for _, _, f in missed)),
            "by_origin": dict(Counter(row.origin for row, _, _ in missed)),
        }
        out["wrong_links"] = {
            "links": len(wrong),
            "by_evidence": dict(Counter(found[row.id] for row in wrong)),
            "outsiders_linked": sum(row.true_nip is None for row in wrong),
        }
        outsiders = [
            (r, shown[str(r.id)], found[r.id], "outsider linked") for r in wrong if r.true_nip is None
        ]
        out["examples"] = _examples(causes + outsiders)
        made = score(deferred, links)
        out["not_decidable"]["ours"] = {"links": made.links, "correct_links": made.correct}
    if splink is not None:
        links, threshold = splink["links"], splink["threshold"]
        made = score(deferred, links, threshold)
        out["not_decidable"]["splink"] = {"links": made.links, "correct_links": made.correct}
        equal = None
        if ours is not None:
            points = operating_points(chosen, _only(links, chosen))
            equal = at_precision(points, score(chosen, ours["links"]).precision)
        out["splink"] = {
            "at_best_f1": {"threshold": threshold, **score(chosen, links, threshold).as_dict()},
            "at_ours_precision": equal,
        }
    return out


def steward_rows(
    rows: Sequence[Row],
    reasons: Mapping[int, str | None],
    found: Mapping[int, Evidence],
    shown: Mapping[str, Mapping[str, Any]],
    floor: float,
    splink: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The rows ours left to stewards and whether their true person is offered; Splink's five best
    pairs on the same rows, and what it links there at ``splink['threshold']`` (as precise as ours)."""
    left = [row for row in rows if shown[str(row.id)]["outcome"] != "linked"]
    named = [row for row in left if row.true_nip is not None]
    hits = sum(_offered(row, shown[str(row.id)]) for row in left)
    named_hits = sum(_offered(row, shown[str(row.id)]) for row in named)
    share = hits / len(left) if left else 1.0
    missed = [
        (row, shown[str(row.id)], found[row.id], steward_miss_cause(shown[str(row.id)], floor))
        for row in named
        if not _offered(row, shown[str(row.id)])
    ]
    out: dict[str, Any] = {
        "rule": STEWARD_RULE,
        "rows": len(left),
        "by_outcome": dict(Counter(shown[str(row.id)]["outcome"] for row in left)),
        "by_rule": dict(Counter(shown[str(row.id)]["rule"] for row in left)),
        "true_person_offered": round(share, 4),
        "offered": hits,
        "no_asn_rows": len(left) - len(named),
        "with_true_person": {
            "rows": len(named),
            "offered": named_hits,
            "share": round(named_hits / len(named), 4) if named else 1.0,
        },
        "by_decidability": {
            label: {
                "rows": len(part),
                "offered": sum(_offered(row, shown[str(row.id)]) for row in part),
            }
            for label, part in (
                ("decidable", [row for row in left if reasons[row.id] is None]),
                ("not_decidable", [row for row in left if reasons[row.id] is not None]),
            )
        },
        "target": TARGETS["true_person_offered"],
        "meets_target": share >= TARGETS["true_person_offered"],
        "misses": {
            "rows": len(missed),
            "by_cause": dict(Counter(cause for *_, cause in missed).most_common()),
            "not_decidable": sum(reasons[row.id] is not None for row, *_ in missed),
            "by_evidence": dict(Counter(f for _, _, f, _ in missed)),
        },
        "examples": _examples(missed),
    }
    if splink is not None:
        theirs = splink["decisions"]
        in_five = sum(_offered(row, theirs.get(str(row.id), {})) for row in left)
        at = splink.get("threshold")
        made = score(left, splink["links"], at) if at is not None else None
        unlinked = [
            row
            for row in rows
            if at is not None
            and (splink["links"][str(row.id)][1] is None or splink["links"][str(row.id)][1] < at)
        ]
        out["splink"] = {
            "true_person_in_five_best_pairs": round(in_five / len(left), 4) if left else 1.0,
            "at_ours_precision": None
            if made is None
            else {"threshold": at, "links": made.links, "correct_links": made.correct},
            "own_unlinked_rows_at_ours_precision": None
            if at is None
            else {
                "rows": len(unlinked),
                "true_person_in_five_best_pairs": round(
                    sum(_offered(row, theirs.get(str(row.id), {})) for row in unlinked) / len(unlinked), 4
                )
                if unlinked
                else 1.0,
            },
        }
    return out
