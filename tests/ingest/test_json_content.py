"""``json_content_of`` (orjson where it writes the same text) gives exactly ``content_of``'s text and
hash: a different text would land every unchanged record again as a new version."""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbt_sync.ingest import collector
from sbt_sync.ingest.landing import content_of, json_content_of

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # beyond 64 bits too: orjson refuses those
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),  # any code point, lone surrogates and control characters included
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES)
def test_json_content_of_writes_the_canonical_text_of_any_json_value(value: Any) -> None:
    assert json_content_of(value) == content_of(value)


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


CASES = {
    "a flat record": {"id": "9F2E81087C", "nama": "Siti Ñurhaliza", "nip": None, "n": 3, "ok": True},
    "floats take the canonical path": {"a": 1e16, "b": [0.1, -0.0], "c": {"d": 2.5}},
    "an integer beyond 64 bits": {"big": 2**64},
    "a lone surrogate": {"nama": "Ahmad \ud800"},
    "control characters and separators": {"k": '\x00\x1f"\\/\u2028\u2029\x7f'},
    "keys sorted by code point": {"Z": 1, "a": 2, "é": 3, "\uffff": 4, "\U0001f600": 5},
    "an unreadable marker": {"nama": {"$unreadable": "a number of 5000 digits"}},
    "nested deeper than orjson goes": {"deep": [[[[[[]]]]]] * 2, "x": _nested(300)},
}


@pytest.mark.parametrize("value", CASES.values(), ids=CASES.keys())
def test_json_content_of_matches_content_of(value: Any) -> None:
    assert json_content_of(value) == content_of(value)


def test_the_collector_comes_back_on_when_the_last_of_two_threads_leaves_its_pause() -> None:
    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collector.paused_gc():
            entered.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with collector.paused_gc():
        thread.start()
        entered.wait(5)
    assert not gc.isenabled()  # the other thread is still inside its pause
    leave.set()
    thread.join(5)
    assert gc.isenabled()
