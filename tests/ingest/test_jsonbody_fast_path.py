"""The HTTP reader takes its fast path (``json.loads``) for every body that holds no hostile value,
whatever its strings look like, and still marks the hostile numbers it used to find by pattern."""

from __future__ import annotations

import json

import pytest

from connectors.http import jsonbody

FAST = [
    # An id or a text that merely looks like an exponent, NaN or Infinity inside a string.
    b'{"items": [{"id": "9F2E81087C", "nama": "NaN Infinity", "kode": "1e999"}]}',
    b'{"items": [{"n": 1.5e3, "m": -2E-5, "z": 1e-400}]}',
]


@pytest.mark.parametrize("body", FAST)
def test_a_body_without_hostile_values_is_read_by_json_loads_alone(
    body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def careful(text: str) -> object:
        raise AssertionError("the careful reader was used")

    monkeypatch.setattr(jsonbody, "_careful_loads", careful)
    assert jsonbody.loads(body) == json.loads(body)


MARKED = [
    # (body, the value the reader gives back): each hostile number becomes a marker naming why.
    (b"[1e999, 2]", [jsonbody.unreadable("a number too large for a decimal"), 2]),
    (b'{"a": NaN}', {"a": jsonbody.unreadable("NaN is not a JSON number")}),
    (b"[-Infinity]", [jsonbody.unreadable("-Infinity is not a JSON number")]),
    (b'["E123", Infinity]', ["E123", jsonbody.unreadable("Infinity is not a JSON number")]),
]


@pytest.mark.parametrize(("body", "expected"), MARKED)
def test_a_hostile_number_is_still_marked_unreadable(body: bytes, expected: object) -> None:
    assert jsonbody.loads(body) == expected
