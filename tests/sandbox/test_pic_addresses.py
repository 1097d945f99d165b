"""Every generated instansi has one PIC mail address, unique and valid, where the demo sends letters."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from sbt_sync.sandbox.generate.config import PIC_FILE
from sbt_sync.sandbox.generate.instansi import PIC_DOMAIN, Instansi, pic_addresses


def _instansi(id_: str, nama: str) -> Instansi:
    return Instansi(id_, nama, "kabupaten", "I", "Kanreg I", "Aceh", "Aceh", 7, 0.1)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        # a regional government: "Pemerintah" dropped, words joined by hyphens
        (["Pemerintah Kabupaten Aceh Besar"], ["pic.kabupaten-aceh-besar"]),
        # a central agency keeps its whole name; punctuation becomes one hyphen
        (["Kementerian Pendidikan, Kebudayaan"], ["pic.kementerian-pendidikan-kebudayaan"]),
        # the same slug twice: the second gets the id's first 8 hex digits
        (["Pemerintah Kota Baru", "Pemerintah Kota  Baru"], ["pic.kota-baru", "pic.kota-baru-abcdef01"]),
        # a local part over 64 characters is cut and made unique the same way
        (
            ["Pemerintah Kabupaten " + "Panjang " * 10],
            ["pic.kabupaten-panjang-panjang-panjang-panjang-panjang-p-abcdef01"],
        ),
    ],
)
def test_pic_addresses_are_slugs_of_the_name_unique_and_valid(names: list[str], expected: list[str]) -> None:
    table = [_instansi(f"ABCDEF01{i:024d}", nama) for i, nama in enumerate(names)]
    got = pic_addresses(table)
    assert [email.removesuffix("@" + PIC_DOMAIN) for _, email in got] == expected
    assert [i for i, _ in got] == [t.id for t in table]
    assert all(len(email.split("@")[0]) <= 64 for _, email in got)


def test_generated_data_gives_every_instansi_one_pic_address(
    small_sandbox: tuple[Path, dict[str, Any]],
) -> None:
    root, manifest = small_sandbox
    with (root / "instansi.csv").open(encoding="utf-8", newline="") as handle:
        instansi = [row["id"] for row in csv.DictReader(handle)]
    with (root / PIC_FILE).open(encoding="utf-8", newline="") as handle:
        pics = list(csv.DictReader(handle))
    assert [p["instansi_id"] for p in pics] == instansi
    assert len({p["email"] for p in pics}) == len(pics) == manifest["counts"]["instansi"]
    assert all(p["email"].startswith("pic.") and p["email"].endswith("@" + PIC_DOMAIN) for p in pics)
    assert PIC_FILE in manifest["files"]
