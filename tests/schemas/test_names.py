"""Name normalisation: titles, punctuation and spacing never decide a match."""

from __future__ import annotations

import pytest

from schemas.names import normalise_name, split_titles


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ahmad Fauzi", "AHMAD FAUZI"),
        ("Dr. H. Ahmad Fauzi, S.Pd., M.Si.", "AHMAD FAUZI"),  # front and back titles
        ("Hj. Siti Rahmawati, S.E", "SITI RAHMAWATI"),  # religious title, back title without final dot
        ("Ir. Bambang  Sutrisno,M.T.", "BAMBANG SUTRISNO"),  # double space, no space after comma
        ("Drs. I Gede Made Putra", "I GEDE MADE PUTRA"),
        ("Nur'aini", "NURAINI"),  # apostrophe inside a name
        ("MUH. RIDWAN", "MUH RIDWAN"),  # an abbreviation that is not a title stays
        ("Andi Baso S.Kom", "ANDI BASO"),  # back title without a comma
        ("H", "H"),  # a lone token is a name, never stripped to nothing
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_name(raw: str | None, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_split_titles_keeps_them_apart_like_siasn() -> None:
    assert split_titles("Dr. H. Ahmad Fauzi, S.Pd., M.Si.") == (
        ["Dr.", "H."],
        "Ahmad Fauzi",
        ["S.Pd.", "M.Si."],
    )
