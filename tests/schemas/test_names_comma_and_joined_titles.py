"""Commas and unspaced titles: a part after a comma is a title only if it is a known one ("Santoso,
Budi" is Budi Santoso written surname first, not Santoso with the title "Budi"), and titles written
onto the name ("Hj.Siti") are stripped like spaced ones."""

from __future__ import annotations

import pytest

from schemas.names import normalise_name, split_titles, written_title_keys


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Santoso, Budi", ([], "Budi Santoso", [])),  # surname first: put back in the registry's order
        ("SANTOSO, Budi Agus", ([], "Budi Agus SANTOSO", [])),  # the given names keep their order
        ("Santoso, Budi, S.Pd.", ([], "Budi Santoso", ["S.Pd."])),  # titles after the given name
        ("Santoso, B.", ([], "B. Santoso", [])),  # an initial is not a title
        ("Santoso, Dea", ([], "Dea Santoso", [])),  # a given name that is also a title key (DEA)
        ("Ahmad Fauzi, S.Pd., M.Si.", ([], "Ahmad Fauzi", ["S.Pd.", "M.Si."])),
        ("Ahmad Fauzi,S.Pd M.Si", ([], "Ahmad Fauzi", ["S.Pd M.Si"])),  # two titles in one part
        ("Ahmad Fauzi, S. Pd.", ([], "Ahmad Fauzi", ["S. Pd."])),  # a title with a space inside
        ("Ahmad Fauzi, SE", ([], "Ahmad Fauzi", ["SE"])),  # without dots
        ("Ahmad Fauzi, MA", ([], "Ahmad Fauzi", ["MA"])),
        ("Nur Aini, S.Kep., Ns.", ([], "Nur Aini", ["S.Kep.", "Ns."])),  # Ners, only after a comma
        ("Sri Anisa, S.Farm., Apt.", ([], "Sri Anisa", ["S.Farm.", "Apt."])),
        ("Budi Santoso, dr.", ([], "Budi Santoso", ["dr."])),
        ("Ahmad Fauzi,", ([], "Ahmad Fauzi", [])),  # a stray comma
        ("Hj.Siti Aminah", (["Hj."], "Siti Aminah", [])),  # one title written onto the name
        ("Dr.H.Ahmad Fauzi", (["Dr.", "H."], "Ahmad Fauzi", [])),  # two
        ("Dr.H. Ahmad Fauzi", (["Dr.", "H."], "Ahmad Fauzi", [])),  # two, then a space
        ("Dr. H.Ahmad Fauzi, S.Pd.", (["Dr.", "H."], "Ahmad Fauzi", ["S.Pd."])),
        ("Hj.", ([], "Hj.", [])),  # a lone token is a name, never stripped to nothing
        ("Dr.H.", ([], "Dr.H.", [])),
        ("St.Aminah", ([], "St.Aminah", [])),  # St. is Siti, not a title (``canonical_name``)
        ("M.Yusuf", ([], "M.Yusuf", [])),  # M. is not a title
    ],
)
def test_split_titles_reads_commas_and_joined_titles(
    raw: str, expected: tuple[list[str], str, list[str]]
) -> None:
    assert split_titles(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Santoso, Budi", "BUDI SANTOSO"),
        ("SANTOSO, BUDI", "BUDI SANTOSO"),
        ("Hj.Siti Aminah", "SITI AMINAH"),
        ("Dr.H.Ahmad Fauzi, S.Pd., M.Si.", "AHMAD FAUZI"),
        # Names without a comma or an unspaced title read as before (stored name_normalised holds).
        ("Santoso", "SANTOSO"),
        ("Budi Santoso", "BUDI SANTOSO"),
        ("Ahmad Ns", "AHMAD NS"),  # Ns. is a title only after a comma
        ("Budi M. Santoso", "BUDI M SANTOSO"),
        ("Andi Baso S.Kom", "ANDI BASO"),
    ],
)
def test_normalise_name_of_surname_first_and_joined_titles(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_a_given_name_after_a_comma_is_no_title() -> None:
    assert written_title_keys("Santoso, Budi") == frozenset()
    assert written_title_keys("Dr.H.Ahmad Fauzi, S.Pd.") == {"dr", "h", "spd"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Degrees Indonesian ASN commonly carry that are no name: stripped like S.Pd., never read as
        # a surname written first (which moved the title in front of the name: "S S AHMAD FAUZI").
        ("Ahmad Fauzi, S.S.", "AHMAD FAUZI"),  # Sarjana Sastra
        ("Siti Aminah, S.S., M.Hum.", "SITI AMINAH"),
        ("Ahmad Fauzi, S.E., M.Ak.", "AHMAD FAUZI"),  # Magister Akuntansi
        ("Ahmad Fauzi, S.Hut.", "AHMAD FAUZI"),  # kehutanan
        ("Ahmad Fauzi, S.Pi", "AHMAD FAUZI"),  # perikanan
        ("Ahmad Fauzi, A.Md.Kes.", "AHMAD FAUZI"),  # Ahli Madya Kesehatan
        ("Rina Marlina, S.E.I.", "RINA MARLINA"),
        ("Ahmad Fauzi, S.Sos, M.Sos", "AHMAD FAUZI"),
        ("Ahmad Fauzi, M.Eng", "AHMAD FAUZI"),
        ("Budi Santoso, S.Th.", "BUDI SANTOSO"),  # teologi
        ("Hj. Siti Aminah, S.Pd.SD", "SITI AMINAH"),
        ("dr. Ahmad Fauzi, M.K.M.", "AHMAD FAUZI"),  # Magister Kesehatan Masyarakat
        ("Dr. dr. Ahmad Fauzi, Sp.JP", "AHMAD FAUZI"),  # specialist physicians
        ("dr. Ahmad Fauzi, Sp.JP(K)", "AHMAD FAUZI"),  # ... and consultants
        ("dr. Rina Marlina, Sp.M", "RINA MARLINA"),
        ("Ahmad Fauzi, S.Kep., Ners", "AHMAD FAUZI"),
        ("Ahmad Fauzi, S.Kom., M.Kom.", "AHMAD FAUZI"),
        ("Ahmad Fauzi, S.I.P.", "AHMAD FAUZI"),
        ("drg. Siti Aminah, M.Kes", "SITI AMINAH"),
        ("drh. Ahmad Fauzi", "AHMAD FAUZI"),  # veterinarians, written in front
        ("Bd. Siti Aminah, S.Tr.Keb", "SITI AMINAH"),  # midwives (bidan), written in front
        ("dr. Ahmad Fauzi, Sp.PD-KGEH", "AHMAD FAUZI"),  # a consultant's subspecialty after a dash
        ("Ir. H. Ahmad Fauzi, M.T., IPM", "AHMAD FAUZI"),  # engineers' professional titles
        ("Ahmad Fauzi, S.T., IPU", "AHMAD FAUZI"),
        # Still a name written surname first: a given name, an initial, an abbreviated Muhammad.
        ("Santoso, Budi", "BUDI SANTOSO"),
        ("Santoso, B.", "B SANTOSO"),
        ("Santoso, Moh. Ali", "MOH ALI SANTOSO"),
        ("Santoso, Budi, S.S.", "BUDI SANTOSO"),
    ],
)
def test_normalise_name_strips_degrees_beyond_the_first_list(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # A remark in brackets is no part of a name (SIASN's names hold none): a report that adds the
        # post ("Camat Sampang") must not read as another person than the NIP's holder.
        ("Ahmad Fauzi (Camat Sampang)", "AHMAD FAUZI"),
        ("Dr. Ahmad Fauzi, S.Pd. (Kepala Dinas Pendidikan)", "AHMAD FAUZI"),
        ("Budi Santoso (Kades) , S.E.", "BUDI SANTOSO"),
        ("Siti [Ani] Aminah", "SITI AMINAH"),
        ("(Ahmad Fauzi)", "AHMAD FAUZI"),  # nothing else written: the brackets are the name's
    ],
)
def test_normalise_name_leaves_out_a_remark_in_brackets(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # How reports address the person named ("Terlapor: Sdr. Ahmad Fauzi"): a form of address is
        # no part of the name, any more than a title.
        ("Sdr. Ahmad Fauzi", "AHMAD FAUZI"),
        ("Sdri. Siti Aminah, S.Pd.", "SITI AMINAH"),
        ("Saudara Budi Santoso", "BUDI SANTOSO"),
        ("Bapak Budi", "BUDI"),
        ("Bpk. H. Ahmad Fauzi", "AHMAD FAUZI"),
        ("Ibu Hj. Siti Aminah", "SITI AMINAH"),
        ("Ibu", "IBU"),  # a lone token is a name, never stripped to nothing
    ],
)
def test_normalise_name_leaves_out_a_form_of_address(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_a_form_of_address_is_no_title_the_registry_could_hold() -> None:
    assert written_title_keys("Sdri. Dr. Siti Aminah, S.Pd.") == {"dr", "spd"}
