"""Writes ``registry.csv.gz`` in fixed-size chunks, formatting strings with lookups instead of row loops."""

from __future__ import annotations

import binascii
import csv
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sbt_sync.sandbox.generate import names
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.registry import JABATAN_FLAT, KEDUDUKAN, Registry
from sbt_sync.sandbox.generate.writer import OutputDir

COLUMNS = (
    "id",
    "nipBaru",
    "nama",
    "gelarDepan",
    "gelarBelakang",
    "tglLahir",
    "jenisKelamin",
    "jenisPegawai",
    "instansiIndukId",
    "instansiIndukNama",
    "kanregId",
    "kedudukanPnsId",
    "kedudukanPnsNama",
    "jabatanNama",
    "updatedAt",
)
CHUNK_ROWS = 250_000


def _lookup(values: np.ndarray, fmt: Callable[[Any], str]) -> np.ndarray:
    """Format each distinct value once (dates repeat a lot) and map back."""
    uniq, inverse = np.unique(values, return_inverse=True)
    table = np.empty(len(uniq), dtype=object)
    table[:] = [fmt(v) for v in uniq.tolist()]
    out: np.ndarray = table[inverse]
    return out


def _dmy(ymd: int) -> str:
    return f"{ymd % 100:02d}-{ymd // 100 % 100:02d}-{ymd // 10000:04d}"


def chunk_frame(reg: Registry, table: list[Instansi], lo: int, hi: int) -> pd.DataFrame:
    """Rows ``lo:hi`` in SIASN field names, all strings."""
    p = names.pools()
    sl = slice(lo, hi)
    ids = np.frombuffer(binascii.hexlify(reg.guid[sl].tobytes()).upper(), dtype="S32").astype("U32")
    inst_id = np.array([i.id for i in table], dtype=object)
    inst_nama = np.array([i.nama for i in table], dtype=object)
    inst_kanreg = np.array([i.kanreg_id for i in table], dtype=object)
    inst = reg.instansi[sl]
    ked = reg.kedudukan[sl]
    depan = np.append(p.depan, "")
    return pd.DataFrame(
        {
            "id": ids,
            "nipBaru": reg.nip[sl].astype("U18"),
            "nama": names.compose(reg.g1[sl], reg.g2[sl], reg.fam[sl]),
            "gelarDepan": depan[reg.depan[sl]],
            "gelarBelakang": p.belakang[reg.belakang[sl]],
            "tglLahir": _lookup(reg.birth[sl], _dmy),
            "jenisKelamin": np.where(reg.female[sl], "F", "M"),
            "jenisPegawai": np.where(reg.pppk[sl], "PPPK", "PNS"),
            "instansiIndukId": inst_id[inst],
            "instansiIndukNama": inst_nama[inst],
            "kanregId": inst_kanreg[inst],
            "kedudukanPnsId": np.array([k[0] for k in KEDUDUKAN], dtype=object)[ked],
            "kedudukanPnsNama": np.array([k[1] for k in KEDUDUKAN], dtype=object)[ked],
            "jabatanNama": np.array(JABATAN_FLAT, dtype=object)[reg.jabatan[sl]],
            "updatedAt": _lookup(
                reg.updated[sl].astype("datetime64[D]").astype(str), lambda d: f"{d}T08:00:00+07:00"
            ),
        },
        columns=list(COLUMNS),
    )


def write_registry(
    out: OutputDir, reg: Registry, table: list[Instansi], rel: str = "registry.csv.gz"
) -> None:
    """Stream the whole registry to ``rel`` as gzip CSV (comma, ``\\n``, minimal quoting, UTF-8)."""
    sink = out.open_gzip(rel)
    try:
        sink.write_text(",".join(COLUMNS) + "\n")
        for lo in range(0, len(reg), CHUNK_ROWS):
            frame = chunk_frame(reg, table, lo, min(lo + CHUNK_ROWS, len(reg)))
            buf = io.StringIO()
            frame.to_csv(buf, index=False, header=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
            sink.write_text(buf.getvalue())
    finally:
        sink.close()
