"""``generate_sandbox``: registry, cases, the seven sources' views, the ground truth and the manifest."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from sbt_sync.sandbox.generate import cases as casemod
from sbt_sync.sandbox.generate import instansi, plants, registry
from sbt_sync.sandbox.generate.config import (
    AS_OF,
    CLOCK_START,
    GENERATOR_VERSION,
    PIC_FILE,
    SCALES,
    WIB,
    Scale,
    ScaleSpec,
    iso,
    rng_for,
)
from sbt_sync.sandbox.generate.imut_build import build_imut
from sbt_sync.sandbox.generate.registry_writer import write_registry
from sbt_sync.sandbox.generate.sources.bawaslu import Bawaslu
from sbt_sync.sandbox.generate.sources.bkn_wasdal import BknWasdal
from sbt_sync.sandbox.generate.sources.common import Book
from sbt_sync.sandbox.generate.sources.idis import Idis
from sbt_sync.sandbox.generate.sources.imut import truth_files as imut_truth_files
from sbt_sync.sandbox.generate.sources.kasn import Kasn
from sbt_sync.sandbox.generate.sources.kemendagri import Kemendagri
from sbt_sync.sandbox.generate.sources.kemenpanrb import Kemenpanrb
from sbt_sync.sandbox.generate.sources.sftp import Deliveries
from sbt_sync.sandbox.generate.truth_identity import IdentityTruth
from sbt_sync.sandbox.generate.truth_writer import states_at, write_truth
from sbt_sync.sandbox.generate.writer import OutputDir, dumps, jsonl

log = logging.getLogger(__name__)

HttpLine = tuple[datetime, str, dict[str, Any]]


def _http_feed(lines: list[HttpLine]) -> bytes:
    ordered = sorted(lines, key=lambda line: (line[0], line[1]))
    return jsonl(
        {"available_at": iso(at.astimezone(WIB)), "key": key, "record": rec} for at, key, rec in ordered
    )


World = tuple[list[instansi.Instansi], registry.Registry, list[np.ndarray], list[casemod.Case]]


def build_world(seed: int, spec: ScaleSpec) -> World:
    """The instansi table, the registry, its rows per instansi and the true cases with every plant.

    What the sources then publish is derived from these; tests call this to see the plants of a
    scale without writing its files.
    """
    table = instansi.build(rng_for(seed, "instansi"))
    reg = registry.build(rng_for(seed, "registry"), pns=spec.pns, pppk=spec.pppk, table=table)
    by_inst = registry.rows_by_instansi(reg, len(table))
    cases = casemod.build_cases(rng_for(seed, "cases"), reg, table, by_inst, spec.case_factor)
    plants.plant_repeat_asn(rng_for(seed, "repeat"), cases, spec.case_factor)
    regional = {c.row for c in cases if table[int(reg.instansi[c.row])].jenis != "pusat"}
    plants.plant_conflicts(rng_for(seed, "conflicts"), cases, spec.case_factor, regional)
    plants.plant_identity(rng_for(seed, "identity"), cases, reg, by_inst)
    # retirements first: they need a block dated before the demo's middle cycle, the rarer kind
    plants.plant_retirements(rng_for(seed, "retirements"), cases, spec.case_factor)
    plants.plant_disputes(rng_for(seed, "disputes"), cases, reg, by_inst, spec.case_factor)
    plants.assign_channels(rng_for(seed, "channels"), cases, table, reg)
    plants.plant_revisions(rng_for(seed, "revisions"), cases, spec.case_factor)
    plants.plant_named_other(rng_for(seed, "named_other"), cases, reg, by_inst, spec.case_factor)
    casemod.sync_registry(cases, reg, rng_for(seed, "jabatan"))
    return table, reg, by_inst, cases


def generate_sandbox(
    *, seed: int, scale: Scale, out: Path, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Write a complete sandbox data directory to ``out`` and return its manifest.

    Byte-for-byte deterministic for (seed, scale). ``out`` is emptied of earlier generator output
    (the files listed in DATA_FORMAT.md) first. Raises KeyError on an unknown scale. ``progress`` is
    told each stage as it ends, with its seconds (the national scale takes minutes).
    """
    started = [time.monotonic()]

    def done(stage: str) -> None:
        if progress is not None:
            now = time.monotonic()
            progress(f"  {stage}: {now - started[0]:.1f} s")
            started[0] = now

    spec = SCALES[scale]
    out = Path(out)
    for stale in ("http", "sftp", "truth"):
        shutil.rmtree(out / stale, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    files = OutputDir(out)
    log.info("generating sandbox data: scale=%s seed=%d", scale, seed)

    table, reg, by_inst, cases = build_world(seed, spec)
    done(f"registry and cases ({len(reg):,} ASN, {len(cases):,} cases)")

    book = Book()
    deliveries = Deliveries(files)
    registers = sorted({id(c.register): c.register for c in cases}.values(), key=lambda r: (r.event, r.nomor))
    bawaslu = Bawaslu(rng_for(seed, "bawaslu"), reg, table, book)
    bawaslu.build(registers, spec.case_factor)
    done("bawaslu")
    wasdal = BknWasdal(rng_for(seed, "bkn_wasdal"), reg, table, book)
    wasdal.build(cases, spec.case_factor)
    done("bkn_wasdal")
    idis = Idis(rng_for(seed, "idis"), reg, table, book)
    idis.build(cases, spec.case_factor)
    done("idis")
    Kasn(rng_for(seed, "kasn"), reg, table, book, deliveries).build(cases, spec.case_factor)
    Kemendagri(rng_for(seed, "kemendagri"), reg, table, book, deliveries).build(cases, spec.case_factor)
    Kemenpanrb(rng_for(seed, "kemenpanrb"), reg, table, book, deliveries).build(cases, spec.case_factor)
    done("kasn, kemendagri, kemenpanrb")
    identity = IdentityTruth(reg, by_inst)
    states = states_at(cases, reg, book, AS_OF, identity)
    actions = build_imut(rng_for(seed, "imut"), reg, table, cases, states, book, spec.case_factor)
    imut_lines = [line for action in actions for line in action.lines()]
    done(f"imut ({len(actions):,} actions)")

    files.write("http/bawaslu.jsonl", _http_feed(bawaslu.lines))
    files.write("http/bkn_wasdal.jsonl", _http_feed(wasdal.lines))
    files.write("http/idis.jsonl", _http_feed(idis.lines))
    files.write("http/imut.jsonl", _http_feed(imut_lines))
    files.write("sftp/deliveries.jsonl", jsonl(deliveries.lines()))
    files.write("instansi.csv", _instansi_csv(table))
    files.write(PIC_FILE, _pic_csv(table))
    write_registry(files, reg, table)
    done("source files and the registry written")
    summary = write_truth(files, cases, reg, table, book, identity)
    imut_actions, imut_findings = imut_truth_files(actions)
    files.write("truth/imut_actions.jsonl", imut_actions)
    files.write("truth/imut_findings.jsonl", imut_findings)
    done("ground truth written")

    last = max(
        [at for at, _, _ in bawaslu.lines + wasdal.lines + idis.lines + imut_lines]
        + [datetime.fromisoformat(d["available_at"]) for d in deliveries.log]
    )
    end = (last.astimezone(WIB) + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    manifest: dict[str, Any] = {
        "format": 1,
        "seed": seed,
        "scale": scale,
        "generator_version": GENERATOR_VERSION,
        "clock": {"start": iso(CLOCK_START), "end": iso(end), "as_of": iso(AS_OF)},
        "counts": {
            "asn": len(reg),
            "pns": spec.pns,
            "pppk": spec.pppk,
            "instansi": len(table),
            "cases": len(cases),
            "registers": len(registers),
            "bawaslu_lines": len(bawaslu.lines),
            "bkn_wasdal_lines": len(wasdal.lines),
            "idis_lines": len(idis.lines),
            "imut_actions": len(actions),
            "imut_lines": len(imut_lines),
            "sftp_deliveries": len(deliveries.log),
            "quarantine_rows": len(book.quarantine),
            "recap_total": summary["TOTAL"],
        },
        "files": dict(sorted(files.hashes.items())),
    }
    (out / "manifest.json").write_text(dumps(manifest, sort_keys=True) + "\n", encoding="utf-8")
    log.info("sandbox data written: %d ASN, %d cases, %d files", len(reg), len(cases), len(files.hashes))
    return manifest


def _instansi_csv(table: list[instansi.Instansi]) -> bytes:
    lines = ["id,nama,jenis,kanreg_id,kanreg_nama,provinsi"]
    for i in table:
        cells = [i.id, i.nama, i.jenis, i.kanreg_id, i.kanreg_nama, i.provinsi]
        lines.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _pic_csv(table: list[instansi.Instansi]) -> bytes:
    lines = ["instansi_id,email"] + [f"{i},{email}" for i, email in instansi.pic_addresses(table)]
    return ("\n".join(lines) + "\n").encode("utf-8")
