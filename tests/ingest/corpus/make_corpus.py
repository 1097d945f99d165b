"""Write the hostile-input corpus: small files, as the agencies' tools really produce them.

Run ``python -m tests.ingest.corpus.make_corpus`` after changing a file here; the bytes are committed
so that a reviewer sees exactly what the readers get, and ``test_hostile_inputs`` checks they still
match this script. What a correct system must do with each file is in README.md beside it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent

KASN_HEADER = [
    "No",
    "Nomor Rekomendasi",
    "Tanggal Rekomendasi",
    "Pemilihan",
    "NIP",
    "Nama",
    "Jabatan",
    "Instansi",
    "Jenis Pelanggaran",
    "Hasil",
    "Rekomendasi Sanksi",
    "Keterangan",
]
KEMENDAGRI_HEADER = [
    "nomor_rekomendasi",
    "nip",
    "nama",
    "pemda",
    "status_tindak_lanjut",
    "jenis_hukuman_id",
    "nomor_sk",
    "tanggal_sk",
    "tanggal_laporan",
]

# Valid NIPs (PNS men and women, one PPPK); see schemas/nip.py for the layout.
NIP_A = "198001012005011001"
NIP_B = "198505052010012003"
NIP_C = "199203152019032001"
NIP_PPPK = "199001012022211005"

CRLF = "\r\n"
LF = "\n"


def kasn_row(no: int, nip: str, nama: str, **override: str) -> list[str]:
    """One KASN sheet row; ``override`` replaces cells by column name (spaces as underscores)."""
    cells = {
        "No": str(no),
        "Nomor Rekomendasi": f"B-{100 + no}/KASN/01/2021",
        "Tanggal Rekomendasi": "14-01-2021",
        "Pemilihan": "PILKADA-2020",
        "NIP": nip,
        "Nama": nama,
        "Jabatan": "Kepala Bidang Perencanaan",
        "Instansi": "Pemerintah Kabupaten Sleman",
        "Jenis Pelanggaran": "MEDSOS",
        "Hasil": "Terbukti",
        "Rekomendasi Sanksi": "TEGURAN TERTULIS",
        "Keterangan": "Sudah dikirim ke PPK",
    }
    for key, value in override.items():
        cells[key.replace("_", " ")] = value
    return [cells[column] for column in KASN_HEADER]


def kemendagri_row(no: int, **override: str) -> list[str]:
    cells = {
        "nomor_rekomendasi": f"B-{100 + no}/KASN/01/2021",
        "nip": NIP_A,
        "nama": "Budi Santoso",
        "pemda": "Kabupaten Sleman",
        "status_tindak_lanjut": "dalam_proses",
        "jenis_hukuman_id": "",
        "nomor_sk": "",
        "tanggal_sk": "",
        "tanggal_laporan": "02-12-2024",
        **override,
    }
    return [cells[column] for column in KEMENDAGRI_HEADER]


def quote(cell: str, delimiter: str) -> str:
    """Quote a cell the way Excel does: only when it holds the delimiter, a quote or a line break."""
    if any(ch in cell for ch in (delimiter, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_text(rows: list[list[str]], *, delimiter: str, end: str) -> str:
    return "".join(delimiter.join(quote(c, delimiter) for c in row) + end for row in rows)


def raw_line(cells: list[str], delimiter: str) -> str:
    """A row joined without any quoting: how a hand-made or broken export writes it."""
    return delimiter.join(cells)


def kasn_csv(rows: list[list[str]], *, end: str = CRLF) -> str:
    return csv_text([KASN_HEADER, *rows], delimiter=";", end=end)


def complaint(seq: int, **override: object) -> dict[str, object]:
    return {
        "id_pengaduan": f"SP4N-2024-{seq:06d}",
        "tanggal": "2024-11-20T09:15:00+07:00",
        "judul": "ASN ikut kampanye",
        "isi": "Saya melihat seorang ASN ikut mengkampanyekan salah satu pasangan calon.",
        "terlapor_nama": "Budi Santoso",
        "terlapor_instansi": "Pemerintah Kabupaten Sleman",
        "nip": None,
        "lokasi": "Sleman, DI Yogyakarta",
        "kategori": "Netralitas ASN",
        **override,
    }


def jsonl(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # mtime 0: the same bytes on every run


def dump(record: object) -> str:
    return json.dumps(record, ensure_ascii=False)


def _kasn_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    files["kasn_utf8_bom_crlf.csv"] = b"\xef\xbb\xbf" + kasn_csv(
        [
            kasn_row(1, NIP_A, "Dr. Ir. José Sitompul, M.Si."),
            kasn_row(2, NIP_B, "Siti Aminah, S.Pd."),
        ]
    ).encode("utf-8")
    files["kasn_cp1252_names.csv"] = kasn_csv(
        [
            kasn_row(1, NIP_A, "Aisyah Nur'aini"),
            kasn_row(2, NIP_B, "José Manuel Ximenes"),
            kasn_row(3, NIP_C, "Siti Mu’minah"),  # U+2019 is byte 0x92 in cp1252
        ]
    ).encode("cp1252")
    files["kasn_mixed_encoding.csv"] = (
        b"\xef\xbb\xbf"
        + kasn_csv([kasn_row(1, NIP_A, "José Sitompul")]).encode("utf-8")
        + csv_text([kasn_row(2, NIP_B, "José Manuel")], delimiter=";", end=CRLF).encode("cp1252")
    )
    # Excel's "Unicode Text": UTF-16 little-endian with its byte-order mark
    files["kasn_utf16.csv"] = b"\xff\xfe" + kasn_csv([kasn_row(1, NIP_A, "Budi Santoso")]).encode("utf-16-le")
    files["kasn_embedded_newlines.csv"] = kasn_csv(
        [
            kasn_row(1, NIP_A, "Budi Santoso", Keterangan="Sudah dikirim ke PPK;\r\ntembusan: Bawaslu"),
            kasn_row(2, NIP_B, "Siti Aminah", Instansi="Pemerintah Kabupaten\nSleman"),
            kasn_row(3, NIP_C, "Rina Wulandari"),
        ]
    ).encode("utf-8")
    files["kasn_formula_cells.csv"] = kasn_csv(
        [
            kasn_row(1, NIP_A, "@SUM(A1:A9)", Keterangan='=HYPERLINK("https://kasn.go.id/r/1";"lihat")'),
            kasn_row(2, NIP_B, "Siti Aminah", Jabatan="+62 812-3456-7890", Keterangan='="Dikirim ke PPK"'),
            kasn_row(3, "+6281234567890", "Rina Wulandari"),
            kasn_row(4, NIP_C, "Dewi Lestari", Hasil='=IF(1;"Terbukti")'),
            kasn_row(5, "=198001012005011001", "Agus Salim", Keterangan="-"),
        ]
    ).encode("utf-8")
    extra_header = [*KASN_HEADER[:6], "Catatan Internal", *KASN_HEADER[6:], "Verifikator"]
    extra_rows = [
        [*row[:6], note, *row[6:], who]
        for row, note, who in (
            (kasn_row(1, NIP_A, "Budi Santoso"), "cek ulang", "Andi"),
            (kasn_row(2, NIP_B, "Siti Aminah"), "", "Rahmat"),
        )
    ]
    files["kasn_extra_columns.csv"] = csv_text([extra_header, *extra_rows], delimiter=";", end=CRLF).encode(
        "utf-8"
    )
    hasil = KASN_HEADER.index("Hasil")
    files["kasn_missing_required_column.csv"] = csv_text(
        [
            [c for i, c in enumerate(row) if i != hasil]
            for row in (KASN_HEADER, kasn_row(1, NIP_A, "Budi Santoso"), kasn_row(2, NIP_B, "Siti Aminah"))
        ],
        delimiter=";",
        end=CRLF,
    ).encode("utf-8")
    files["kasn_trailing_empty_columns.csv"] = csv_text(
        [
            [*KASN_HEADER, "", "", ""],
            [*kasn_row(1, NIP_A, "Budi Santoso"), "", "", ""],
            kasn_row(2, NIP_B, "Siti Aminah"),  # this row lost its padding
            [*kasn_row(3, NIP_C, "Rina Wulandari"), "", "", ""],
        ],
        delimiter=";",
        end=CRLF,
    ).encode("utf-8")
    files["kasn_nip_floats_and_apostrophes.csv"] = kasn_csv(
        [
            kasn_row(1, "'" + NIP_A, "Budi Santoso"),
            kasn_row(2, "1.98001012005011E+17", "Agus Salim"),
            kasn_row(3, NIP_B + ".0", "Siti Aminah"),
            kasn_row(4, "'19850505 201001 2 003", "Siti Aminah"),
            kasn_row(5, "", "Rina Wulandari"),
        ]
    ).encode("utf-8")
    files["kasn_ragged_rows.csv"] = (
        kasn_csv([kasn_row(1, NIP_A, "Budi Santoso")])
        + raw_line(kasn_row(2, NIP_B, "Siti Aminah; S.Pd."), ";")
        + CRLF
        + raw_line(kasn_row(3, NIP_C, "Rina Wulandari")[:7], ";")
        + CRLF
        + csv_text([kasn_row(4, NIP_PPPK, "Dewi Lestari")], delimiter=";", end=CRLF)
    ).encode("utf-8")
    files["kasn_stray_quote.csv"] = (
        kasn_csv([kasn_row(1, NIP_A, "Budi Santoso")])
        + raw_line(kasn_row(2, NIP_B, "Siti Aminah", Instansi='"PT "Maju" Jaya"'), ";")
        + CRLF
        + csv_text([kasn_row(3, NIP_C, "Rina Wulandari")], delimiter=";", end=CRLF)
    ).encode("utf-8")
    files["kasn_unterminated_quote.csv"] = (
        kasn_csv([kasn_row(1, NIP_A, "Budi Santoso")])
        + raw_line(kasn_row(2, NIP_B, "Siti Aminah", Keterangan='"Menunggu jawaban PPK'), ";")
        + CRLF
        + csv_text(
            [kasn_row(3, NIP_C, "Rina Wulandari"), kasn_row(4, NIP_PPPK, "Dewi Lestari")],
            delimiter=";",
            end=CRLF,
        )
    ).encode("utf-8")
    files["kasn_empty.csv"] = b""
    files["kasn_bom_only.csv"] = b"\xef\xbb\xbf\r\n"
    files["kasn_header_only.csv"] = kasn_csv([]).encode("utf-8")
    return files


def _kemendagri_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    files["kemendagri_semicolons_in_cells.csv"] = (
        csv_text(
            [
                KEMENDAGRI_HEADER,
                kemendagri_row(1, nama="Drs. Budi Santoso; M.Si.", pemda="Kabupaten Bogor; Jawa Barat"),
                kemendagri_row(2, nip=NIP_B, nama="Siti Aminah", pemda="Kota Bandung, Jawa Barat"),
            ],
            delimiter=",",
            end=LF,
        )
        + raw_line(kemendagri_row(3, nip=NIP_C, nama="Rina", pemda="Kota Bandung, Jawa Barat"), ",")
        + LF
    ).encode("utf-8")
    done = {
        "status_tindak_lanjut": "sudah_dijatuhi_hukuman",
        "jenis_hukuman_id": "22",
        "nomor_sk": "800/123/BKPSDM/2024",
        "tanggal_sk": "28-11-2024",
    }
    files["kemendagri_bad_values.csv"] = csv_text(
        [
            KEMENDAGRI_HEADER,
            kemendagri_row(1),
            kemendagri_row(2, **{**done, "tanggal_sk": "31-04-2024"}),
            kemendagri_row(3, nomor_rekomendasi=""),
            kemendagri_row(4, **{**done, "jenis_hukuman_id": "99"}),
            kemendagri_row(5, nip="1.98001012005011e+17"),
            kemendagri_row(6, nip=NIP_B, nama="Siti Aminah", **done),
            kemendagri_row(7, nama="   "),
        ],
        delimiter=",",
        end=CRLF,
    ).encode("utf-8")
    return files


def _kemenpanrb_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    complete = gz(jsonl(*(dump(complaint(seq)) for seq in range(1, 40))))
    files["kemenpanrb_truncated.jsonl.gz"] = complete[: len(complete) // 2]
    files["kemenpanrb_bad_lines.jsonl.gz"] = gz(
        jsonl(
            dump(complaint(1)),
            dump(complaint(2))[:60],  # the writer died mid-line
            dump(["SP4N-2024-000003", "not an object"]),
            # U+2028 and U+0085 are legal unescaped inside a JSON string and are not line ends here
            dump(complaint(4, isi="Baris satu\u2028baris dua\x85baris tiga")),
            dump(complaint(5, nip=1.98001012005011e17)),  # a NIP that went through a spreadsheet
            "",
            json.dumps(complaint(7, isi="teks\u0000rusak")),  # escaped as \u0000
            dump(complaint(8, nip="'" + NIP_C, tanggal="2024-11-21T01:00:00Z")),
        )
    )
    files["kemenpanrb_empty.jsonl.gz"] = b""
    files["kemenpanrb_not_gzip.jsonl.gz"] = jsonl(dump(complaint(1)))
    return files


def corpus() -> dict[str, bytes]:
    """Every corpus file by name, as bytes."""
    return {**_kasn_files(), **_kemendagri_files(), **_kemenpanrb_files()}


def main() -> None:
    for name, data in sorted(corpus().items()):
        (CORPUS_DIR / name).write_bytes(data)


if __name__ == "__main__":
    main()
