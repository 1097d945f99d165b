"""A SIASN registry record (``/pns/data-utama`` shape) for tests that load a few people by hand."""

from __future__ import annotations

from typing import Any


def registry_item(nip: str, name: str, instansi: str = "Sampang", *, back: str = "") -> dict[str, Any]:
    """An active PNS of ``Pemerintah Kabupaten <instansi>`` in Kanreg II; the birth date and gender
    are read off the NIP, as SIASN's own are."""
    return {
        "id": f"{nip:0>32}",
        "nipBaru": nip,
        "nama": name,
        "gelarBelakang": back,
        "tglLahir": f"{nip[6:8]}-{nip[4:6]}-{nip[0:4]}",
        "jenisKelamin": "F" if nip[14] == "2" else "M",
        "jenisPegawai": "PNS",
        "instansiIndukId": f"ID-{instansi}",
        "instansiIndukNama": f"Pemerintah Kabupaten {instansi}",
        "kanregId": "II",
        "kedudukanPnsId": "01",
        "kedudukanPnsNama": "Aktif",
    }
