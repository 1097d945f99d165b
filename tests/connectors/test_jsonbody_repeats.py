"""A name repeated in one JSON object is never silently last-wins (``connectors.http.jsonbody``).

``json.loads`` keeps the last of two values for one name, so an answer holding ``"nip"`` twice would
land one of two NIPs as if the agency had sent only that one. The reader replaces the value of a
repeated name by an unreadable marker naming it (validation then quarantines the record, the paginator
refuses a page whose envelope holds one) and says that it did (``Parsed.repeated``).

The hostile cases below are shaped to fool a reader that counted names instead of reading them (a
whitespace before one colon, a ``\\":`` inside a string, a repeat nested where the first record has no
object) and the property test renders random documents in random layouts.
"""

from __future__ import annotations

import codecs
import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.http import jsonbody
from connectors.http.jsonbody import parse, repeated_name, unreadable_values


def repeats(value: Any) -> list[tuple[str, str]]:
    """``(path, reason)`` of every repeated-name marker in ``value``."""
    return sorted((path, why) for path, why in unreadable_values(value) if "times in one object" in why)


HOSTILE = {
    # The second "a" has a space before its colon: a count of '":' alone sees one name, as read.
    "space before the repeat's colon": (b'{"a": 1, "a" : 2}', [("a", "a", 2)]),
    "line break and tab before it": (b'{"a": 1, "b": 2, "a"\n\t: 3}', [("a", "a", 2)]),
    # An escaped quote followed by a colon inside a string looks like the end of a name.
    '\\": inside a string': (b'{"t": "say \\": hi", "b": 1, "b": 2}', [("b", "b", 2)]),
    "the name itself holds a quote and a colon": (b'{"a\\":": 1, "a\\":": 2}', [('a":', 'a":', 2)]),
    "three times": (b'{"a": 1, "a": 2, "a": 3, "b": 0}', [("a", "a", 3)]),
    "the same value twice": (b'{"a": 1, "a": 1}', [("a", "a", 2)]),
    # The first record has no object under "x": a shortcut that learns shapes from it misses this.
    "nested where the first record is flat": (
        b'{"items": [{"x": null}, {"x": {"n": 1, "n": 2}}], "next": null}',
        [("items[1].x.n", "n", 2)],
    ),
    "in a list of objects, deep": (
        b'{"items": [{"t": []}, {"t": [{"n": {"d": [{"k": 1, "k": 2}]}}]}]}',
        [("items[1].t[0].n.d[0].k", "k", 2)],
    ),
    "in the envelope": (b'{"items": [], "items": [{"a": 1}], "next_cursor": null}', [("items", "items", 2)]),
    "in a bare list": (b'[{"a": 1}, {"b": 1, "b": 2}]', [("[1].b", "b", 2)]),
    "two objects, two names": (
        b'{"p": {"a": 1, "a": 2}, "q": {"z": 0, "z": 0}}',
        [("p.a", "a", 2), ("q.z", "z", 2)],
    ),
    "pretty-printed, every name spaced": (
        b'{\n  "a" : 1,\n  "b" : {\n    "c" : 1,\n    "c" : 2\n  }\n}',
        [("b.c", "c", 2)],
    ),
    # The careful reader (a lone surrogate elsewhere in the body) finds repeats too.
    "careful reader": (b'{"s": "\\ud800", "a": 1, "a": 2}', [("a", "a", 2)]),
    "careful reader, deep number": (
        b'{"n": ' + b"9" * 5000 + b', "x": {"a": 1, "a": [1]}}',
        [("x.a", "a", 2)],
    ),
}


@pytest.mark.parametrize(("body", "expected"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_repeated_name_becomes_a_marker_naming_it(
    body: bytes, expected: list[tuple[str, str, int]]
) -> None:
    """``expected``: (path, name, times) of each repeat."""
    parsed = parse(body)
    assert parsed.repeated
    assert repeats(parsed.value) == sorted(
        (path, repeated_name(name, count)[jsonbody.UNREADABLE_KEY]) for path, name, count in expected
    )


def test_a_repeat_in_a_body_in_utf_16_is_found() -> None:
    body = codecs.BOM_UTF16_LE + '{"a": 1, "a": 2}'.encode("utf-16-le")
    parsed = parse(body)
    assert parsed.repeated and repeats(parsed.value) == [("a", repeated_name("a", 2)["$unreadable"])]


ORDINARY = [
    b'{"items": [{"id": "1", "t": [{"n": 1}]}, {"id": "2", "t": null}], "next_cursor": "a:b"}',
    b'{"a" : "x : y", "b": "\\": not a name", "c": {"d" : [ {} , {"e": 1} ]}}',
    b"[]",
    b"12",
    b'"text"',
    '{"nama": "Jos\u00e9 \u2014 \\ud83d\\ude00", "n": 1e2}'.encode(),
]


@pytest.mark.parametrize("body", ORDINARY)
def test_a_body_without_repeats_reads_as_json_loads_reads_it(body: bytes) -> None:
    parsed = parse(body)
    assert not parsed.repeated
    assert parsed.value == json.loads(body)


# --- random documents in random layouts ---------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "id", "nip", 'q"', "c:", "\\", "x y", "\u00e9"])
TEXT = st.text(alphabet='ab :"\\\n\u00e9', max_size=6)
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), TEXT)
Tree = Any


def _trees(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    objects = st.lists(st.tuples(NAMES, children), max_size=5).map(lambda pairs: ("obj", pairs))
    arrays = st.lists(children, max_size=4).map(lambda items: ("arr", items))
    return st.one_of(objects, arrays)


TREES = st.recursive(LEAVES, _trees, max_leaves=30)
SPACE = st.sampled_from(["", "", "", " ", "\n", " \t", "\r\n  "])


def render(draw: st.DrawFn, tree: Tree) -> str:
    def pad() -> str:
        return draw(SPACE)

    if isinstance(tree, tuple) and tree[0] == "obj":
        parts = [
            pad() + json.dumps(name) + pad() + ":" + pad() + render(draw, value) for name, value in tree[1]
        ]
        return "{" + ",".join(parts) + pad() + "}"
    if isinstance(tree, tuple) and tree[0] == "arr":
        return "[" + ",".join(pad() + render(draw, item) for item in tree[1]) + pad() + "]"
    return json.dumps(tree, ensure_ascii=draw(st.booleans()))


def expected(tree: Tree) -> Any:
    """The value the reader must give: each repeated name's value a marker, the rest as sent."""
    if isinstance(tree, tuple) and tree[0] == "obj":
        counts = Counter(name for name, _ in tree[1])
        return {
            name: repeated_name(name, counts[name]) if counts[name] > 1 else expected(value)
            for name, value in tree[1]
        }
    if isinstance(tree, tuple) and tree[0] == "arr":
        return [expected(item) for item in tree[1]]
    return tree


def has_repeat(tree: Tree) -> bool:
    if isinstance(tree, tuple) and tree[0] == "obj":
        names = [name for name, _ in tree[1]]
        return len(set(names)) != len(names) or any(has_repeat(value) for _, value in tree[1])
    if isinstance(tree, tuple) and tree[0] == "arr":
        return any(has_repeat(item) for item in tree[1])
    return False


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, Tree]:
    tree = draw(TREES)
    return (draw(SPACE) + render(draw, tree) + draw(SPACE)).encode(), tree


@settings(max_examples=1500, deadline=None)
@given(documents())
def test_every_repeat_in_a_random_document_is_found_and_nothing_else_changes(
    document: tuple[bytes, Tree],
) -> None:
    body, tree = document
    parsed = parse(body)
    assert parsed.repeated == has_repeat(tree)
    assert parsed.value == expected(tree)


# --- the byte pass itself -----------------------------------------------------------------------
