"""Pure helpers of the generator: NIP rendering and parsing, name normalisation, reference data."""

from __future__ import annotations

from datetime import date

import pytest

from sbt_sync.sandbox.generate import nip
from sbt_sync.sandbox.generate.names import normalise_name
from schemas import reference

PNS = "198001012005011001"


@pytest.mark.parametrize(
    ("style", "written"),
    [
        ("clean", PNS),
        ("spaced", "19800101 200501 1 001"),  # the layout printed on SK letters
        ("dotted", "19800101.200501.1.001"),
        ("apostrophe", "'198001012005011001"),  # Excel's text marker
        ("padded", " 198001012005011001 "),
        ("float", "1.98001012005011e+17"),  # 15 significant digits: digits are lost for good
        ("missing", None),
    ],
)
def test_render_writes_nip_the_way_sources_do(style: nip.NipStyle, written: str | None) -> None:
    assert nip.render(PNS, style) == written


def test_parse_reads_pns_and_pppk_nips() -> None:
    pns = nip.parse(PNS)
    assert (pns.birth, pns.pppk, pns.tmt_year, pns.tmt_month, pns.female, pns.serial) == (
        date(1980, 1, 1), False, 2005, 1, False, 1,
    )  # fmt: skip
    pppk = nip.parse("199002022022232045")
    assert (pppk.pppk, pppk.tmt_year, pppk.tmt_month, pppk.female) == (True, 2022, None, True)


@pytest.mark.parametrize("bad", ["19800101200501100", "1980010120050110x1", nip.impossible_birth(PNS, 0),
                                 nip.impossible_birth(PNS, 1)])  # fmt: skip
def test_parse_rejects_wrong_length_and_impossible_birth_dates(bad: str) -> None:
    with pytest.raises(ValueError):
        nip.parse(bad)


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("Dr. H. Ahmad Fauzi, S.Pd., M.Si.", "ahmad fauzi"),
        ("HJ. SITI AMINAH", "siti aminah"),
        ("Dédé  Kurniawan", "dede kurniawan"),
        ("I Made Sudarsana, S.T.", "i made sudarsana"),
    ],
)
def test_normalise_name_drops_titles_case_accents_and_spacing(written: str, normal: str) -> None:
    assert normalise_name(written) == normal


def test_reference_data_holds_the_codes_domain_md_lists() -> None:
    ids = {code.id for code in reference.sanction_codes()}
    assert {1, 2, 3, 10, 11, 21, 22, 23, 24, 25, 27, 28} <= ids
    assert [k.id for k in reference.kanreg()][:3] == ["I", "II", "III"] and reference.kanreg()[
        -1
    ].id == "PUSAT"
    assert len(reference.kanreg()) == 15
    assert sum(f.share for f in reference.violation_forms()) == pytest.approx(1.0)
    assert {k.id for k in reference.kedudukan() if k.meninggalkan_dinas} == {"66", "77", "88", "99"}
