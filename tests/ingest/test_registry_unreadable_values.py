"""A SIASN registry item whose value could not be read as sent (a name repeated in the object, bytes
that are not UTF-8, NaN, nesting thousands deep: ``connectors.http.jsonbody`` leaves a marker in its
place), or holding a NUL character (which PostgreSQL refuses in text), is refused naming the field, like
any other unreadable item: the marker's own text must never
become an ASN's name or instansi in the mirror, which identity resolution and letters read."""

from __future__ import annotations

import json

import pytest

from connectors.http import jsonbody
from sbt_sync.ingest.registry import registry_row
from tests.support.registry import registry_item

NIP = "199001012015011001"


def _item_from_body(body: bytes) -> dict[str, object]:
    value = jsonbody.loads(body)
    assert isinstance(value, dict)
    return value


def _body_with(field: str, raw_value: bytes) -> bytes:
    """The item as SIASN would send it, with ``field``'s value replaced by ``raw_value`` as written."""
    item = registry_item(NIP, "BUDI SANTOSO")
    key = json.dumps(field).encode() + b": "
    return json.dumps(item).encode().replace(key + json.dumps(item[field]).encode(), key + raw_value, 1)


@pytest.mark.parametrize(
    ("field", "raw_value", "why"),
    [
        ("nama", b'"BUDI SANTOSO", "nama": "SITI AMINAH"', "appears 2 times"),
        ("nama", b'"BUDI SANTOS\xd3"', "not Unicode"),
        ("instansiIndukId", b'"ID-Sampang", "instansiIndukId": "ID-Bangkalan"', "appears 2 times"),
        ("instansiIndukNama", b'"Pemerintah Kabupaten Sampang\\u0000"', "NUL"),
        ("kanregId", b"NaN", "not a JSON number"),
    ],
)
def test_an_item_with_an_unreadable_value_is_refused_naming_the_field(
    field: str, raw_value: bytes, why: str
) -> None:
    item = _item_from_body(_body_with(field, raw_value))
    with pytest.raises(ValueError, match=rf"^{field}: .*{why}"):
        registry_row(item)


def test_an_unreadable_value_in_a_field_the_mirror_does_not_keep_costs_the_item_nothing() -> None:
    body = json.dumps({**registry_item(NIP, "BUDI SANTOSO"), "catatan": "x"}).encode()
    item = _item_from_body(body.replace(b'"catatan": "x"', b'"catatan": "x", "catatan": "y"'))
    row = registry_row(item)
    assert (row["nip"], row["name"]) == (NIP, "BUDI SANTOSO")


REPEATED_UPDATED_AT = b'"2025-01-02T00:00:00Z", "updatedAt": "2025-02-03T00:00:00Z"'


@pytest.mark.parametrize("raw_value", [REPEATED_UPDATED_AT, b"NaN"])
def test_an_unreadable_updated_at_keeps_the_item_undated(raw_value: bytes) -> None:
    """A retirement counts more than its timestamp: an ``updatedAt`` that cannot be read leaves the
    row kept and dated by nothing, as any unreadable ``updatedAt`` does (a refused row would keep
    the ASN active in the mirror, and a block resting on them)."""
    item = {**registry_item(NIP, "BUDI SANTOSO"), "kedudukanPnsId": "99", "updatedAt": "2025-01-02T00:00:00Z"}
    key = b'"updatedAt": '
    body = json.dumps(item).encode().replace(key + b'"2025-01-02T00:00:00Z"', key + raw_value, 1)
    row = registry_row(_item_from_body(body))
    assert (row["nip"], row["status_id"], row["source_updated_at"]) == (NIP, "99", None)
