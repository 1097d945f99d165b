"""How the header search reads a typed text (sbt_sync.steward.search_terms): table-driven, no database."""

from __future__ import annotations

import pytest

from sbt_sync.steward.search_terms import (
    MAX_QUERY,
    NAME_FLOOR,
    SearchError,
    SearchTerms,
    name_score,
    number_pattern,
    parse,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # titles before and after the name, punctuation and case go; the name stays as typed
        ("Dr. H. Tri Wijaya, S.Pd.", SearchTerms("TRI WIJAYA", "", ("dr", "h", "tri", "wijaya,", "s", "pd"))),
        # a NIP laid out as printed is one NIP, and also pieces of a number
        ("19850412 201001 2 003", SearchTerms("", "198504122010012003", ("19850412", "201001", "2", "003"))),
        # the last six digits of a NIP
        ("012003", SearchTerms("", "012003", ("012003",))),
        # three digits are too few for a NIP, enough for a number
        ("007", SearchTerms("", "", ("007",))),
        # a register number: no name (it has digits), its pieces between separators
        ("0070/Reg/LP", SearchTerms("", "", ("0070", "reg", "lp"))),
        # a conflict by its number
        ("#12", SearchTerms("", "", ("#12",), 12)),
        # wildcards are characters like any other
        ("%_%", SearchTerms("", "", ("%_%",))),
    ],
)
def test_a_typed_text_is_read_as_a_name_a_nip_and_a_number(typed: str, expected: SearchTerms) -> None:
    assert parse(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("  \x00 ", "empty"),
        ("x" * (MAX_QUERY + 1), "too_long"),
        ("%", "too_short"),
        ("'", "too_short"),
    ],
)
def test_a_text_with_nothing_to_search_by_is_refused_with_a_code(typed: str, code: str) -> None:
    with pytest.raises(SearchError) as refused:
        parse(typed)
    assert refused.value.code == code


def test_a_number_pattern_escapes_wildcards_and_lets_one_separator_stand_for_another() -> None:
    pattern, regex = number_pattern(parse("100%_x/2024"))
    assert pattern == "%100\\%\\_x_2024%"
    assert regex.search("no. 100%_x-2024") and not regex.search("100a_x/2024")


@pytest.mark.parametrize(
    ("typed", "name", "found"),
    [
        ("Tri Wijaya", "Dr. Tri Wijaya, S.Pd.", True),  # titles
        ("wijaya tri", "TRI WIJAYA", True),  # surname first
        ("Tri Wijya", "Tri Wijaya", True),  # a letter left out
        ("Tri Wjiaya", "Tri Wijaya", True),  # two letters swapped
        ("Tri Wijaya", "Tri Wijaya Kusuma", True),  # part of the name
        ("Tri Wijaya", "Budi Santoso", False),
        ("Tri Wijaya", "Tri Susanti", False),  # one token alike is not the person
    ],
)
def test_name_score_tolerates_titles_order_slips_and_part_names(typed: str, name: str, found: bool) -> None:
    assert (name_score(typed, name) >= NAME_FLOOR) is found
