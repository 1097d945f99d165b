"""``assign_row_keys``: a re-delivered file's rows keep their keys wherever they move."""

from __future__ import annotations

from sbt_sync.ingest.file_keys import KeyedRow, assign_row_keys, is_row_key_of

NAME = "rekomendasi.csv"


def _earlier(*rows: tuple[str, str, str | None]) -> list[KeyedRow]:
    return [KeyedRow(0, digest, natural, key) for key, digest, natural in rows]


def _rows(*rows: tuple[int, str, str | None]) -> list[KeyedRow]:
    return [KeyedRow(row, digest, natural) for row, digest, natural in rows]


def test_a_first_delivery_is_keyed_by_position() -> None:
    assert assign_row_keys(NAME, _rows((1, "a", "R1"), (2, "b", "R2")), []) == [f"{NAME}#1", f"{NAME}#2"]


def test_rows_moved_or_shifted_keep_their_keys() -> None:
    earlier = _earlier((f"{NAME}#1", "a", "R1"), (f"{NAME}#2", "b", "R1"))
    # reordered: a recommendation and its annulment swap places
    assert assign_row_keys(NAME, _rows((1, "b", "R1"), (2, "a", "R1")), earlier) == [f"{NAME}#2", f"{NAME}#1"]
    # a row inserted above both: the new row takes a key of its own, not row 1's
    keys = assign_row_keys(NAME, _rows((1, "n", "R9"), (2, "a", "R1"), (3, "b", "R1")), earlier)
    assert keys == [f"{NAME}#1.1", f"{NAME}#1", f"{NAME}#2"]


def test_a_corrected_row_takes_the_key_of_the_row_it_corrects() -> None:
    earlier = _earlier((f"{NAME}#1", "a", "R1"), (f"{NAME}#2", "b", "R2"))
    # R2 corrected and moved first; R1 unchanged
    assert assign_row_keys(NAME, _rows((1, "b2", "R2"), (2, "a", "R1")), earlier) == [
        f"{NAME}#2",
        f"{NAME}#1",
    ]
    # a row whose natural key itself was corrected, in place: the same record
    assert assign_row_keys(NAME, _rows((1, "a", "R1"), (2, "c", "R3")), earlier) == [f"{NAME}#1", f"{NAME}#2"]


def test_repeated_natural_keys_and_identical_rows_each_get_one_key() -> None:
    earlier = _earlier((f"{NAME}#1", "a", "R1"), (f"{NAME}#2", "a", "R1"), (f"{NAME}#3", "x", "R1"))
    keys = assign_row_keys(
        NAME, _rows((1, "a", "R1"), (2, "y", "R1"), (3, "a", "R1"), (4, "z", "R1")), earlier
    )
    assert keys[0] == f"{NAME}#1" and keys[2] == f"{NAME}#2" and keys[1] == f"{NAME}#3"
    assert len(set(keys)) == 4 and keys[3] == f"{NAME}#4"


def test_a_row_key_belongs_to_one_file_only() -> None:
    assert is_row_key_of("laporan.csv", "laporan.csv#12")
    assert is_row_key_of("laporan.csv", "laporan.csv#12.1")
    assert not is_row_key_of("laporan.csv", "laporan.csv#koreksi.csv#1")  # another file's row
    assert is_row_key_of("laporan.csv#koreksi.csv", "laporan.csv#koreksi.csv#1")
    assert not is_row_key_of("laporan.csv", "laporan.csv#")
    assert not is_row_key_of("laporan.csv", "laporan.csv#1.")
    assert not is_row_key_of("lap", "laporan.csv#1")
