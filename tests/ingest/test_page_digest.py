"""``landing.page_digest`` (orjson) tells pages apart exactly as ``paging.page_digest`` does: a page
judged equal to an earlier one stops the run as a paging loop, so two different pages must never
share a digest, and a page served again must always get the same one."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.http import paging
from sbt_sync.ingest.landing import page_digest

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # beyond 64 bits too: orjson refuses those
    | st.floats()  # NaN and infinities included: orjson writes them as null
    | st.text(max_size=8)  # lone surrogates included: orjson refuses those
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)
PAGES = st.lists(st.dictionaries(st.text(max_size=4), VALUES, max_size=4), min_size=1, max_size=3)


def _same(a: Any, b: Any) -> bool:
    return page_digest(a) == page_digest(b)


@settings(max_examples=400, deadline=None)
@given(PAGES, PAGES)
def test_two_pages_share_a_digest_exactly_when_paging_page_digest_says_they_are_the_same(
    first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> None:
    assert _same(first, second) == (paging.page_digest(first) == paging.page_digest(second))
    assert _same(first, copy.deepcopy(first))


CASES = {
    # orjson writes NaN, Infinity and null alike; the pages are not the same.
    "NaN against null": ([{"x": math.nan}], [{"x": None}]),
    "infinity against null": ([{"x": [1, {"y": math.inf}]}], [{"x": [1, {"y": None}]}]),
    "an integer against the same number as a float": ([{"x": 1}], [{"x": 1.0}]),
    "a float page against a text page": ([{"x": 0.5}], [{"x": "0.5"}]),
    "negative zero against zero": ([{"x": -0.0}], [{"x": 0.0}]),
    "two floats one step apart": ([{"x": 0.1}], [{"x": math.nextafter(0.1, 1.0)}]),
    "a large float against the next": ([{"x": 1e16}], [{"x": math.nextafter(1e16, math.inf)}]),
    "beyond 64 bits": ([{"x": 2**64}], [{"x": 2**64 + 1}]),
    "a lone surrogate": ([{"x": "\ud800"}], [{"x": "\ud801"}]),
    "key order does not matter, key case does": ([{"a": 1, "B": 2}], [{"b": 2, "a": 1}]),
}


@pytest.mark.parametrize(("first", "second"), CASES.values(), ids=CASES.keys())
def test_different_pages_get_different_digests(first: list[Any], second: list[Any]) -> None:
    assert not _same(first, second)
    assert _same(first, copy.deepcopy(first))
    assert _same(second, copy.deepcopy(second))


def test_the_same_records_in_another_key_order_are_the_same_page() -> None:
    assert _same([{"a": 1, "b": [1, 2]}], [{"b": [1, 2], "a": 1}])
    assert not _same([{"a": 1}, {"b": 2}], [{"b": 2}, {"a": 1}])  # record order is the page's


def test_a_page_with_finite_floats_takes_the_fast_path_and_nan_does_not() -> None:
    """A source sending one number as a float (a NIP as 1.97e17) is common; its page keeps orjson's
    digest. NaN and infinities would be written as null, so their pages take the canonical one."""
    assert str(page_digest([{"nip": 1.9720618199407208e17}, {"nip": "197206181994072088"}])).startswith(
        "orjson:"
    )
    assert not str(page_digest([{"x": [math.nan]}])).startswith("orjson:")
    assert not str(page_digest([{"x": {"y": -math.inf}}])).startswith("orjson:")
