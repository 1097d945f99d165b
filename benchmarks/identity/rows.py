"""The rows to resolve: source rows of the sandbox that need identity resolution, topped up with
degraded registry people, each with its true NIP.

1. Source rows (HTTP: each key's latest version; SFTP: every delivered file) whose NIP as written does
   not give a valid NIP: missing or malformed (float-mangled, impossible birth date). Quarantined rows
   are included: the NIP is what makes them malformed, and the benchmark measures resolution, not
   validation. The true NIP is the ground truth's (``truth/source_nips.jsonl``); null for a complaint
   that names nobody ("oknum ASN"), which no system should link.
2. The rest, up to ``--rows``, are registry people (a seeded random sample, ``registry.people``)
   written the way the sandbox generator writes sources, with its own helpers (``nip.render``,
   ``nip.impossible_birth``, ``sources.common.typo``), and the degradations ``DEGRADATION`` lists.
   About 5% are outsiders: a name recombined from two registry people, absent from the registry,
   whose true NIP is null.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from benchmarks.identity.registry import Prepared, name_hash
from sbt_sync.ingest.files import read_csv, read_jsonl_gz
from sbt_sync.reconcile.identity.resolve import canonical_name, make_query
from sbt_sync.sandbox.generate import nip as nipmod
from sbt_sync.sandbox.generate.sources.common import typo
from schemas.feeds import FEEDS

REPO_ROOT = Path(__file__).resolve().parents[2]
HTTP_SOURCES = ("bawaslu", "bkn_wasdal", "idis")

# Shares of the degradations applied to registry people (each drawn independently, seeded).
DEGRADATION: dict[str, Any] = {
    "nip": {"missing": 0.55, "float": 0.07, "impossible_birth": 0.06, "truncated": 0.12, "unknown": 0.20},
    "titles": 0.45,  # the person's own gelar inside the name: "Dr. H. Name, S.Pd."
    "upper": 0.10,
    "typo": 0.20,  # one-letter slip in a word of four letters or more (the generator's ``typo``)
    "abbreviation": 0.60,  # of first names with a short form: "M." / "Moh." / "Muh." Muhammad ...
    "swap": 0.08,  # the last name token moved to the front ("Sutanto Wahyuni Maya")
    "instansi": {"name": 0.80, "id": 0.10, "none": 0.10},
    "outsider": 0.05,
}
_ABBREVIATIONS = {"Muhammad": ("M.", "Moh.", "Muh."), "Abdul": ("Abd.",), "Siti": ("St.",)}


@dataclass(frozen=True, slots=True)
class Row:
    """One row to resolve, as a source writes it, with the truth."""

    id: int
    origin: str
    """``source:<name>`` or ``degraded:<nip variant>`` or ``outsider``."""
    nip_raw: str | None
    name: str | None
    instansi: str | None
    true_nip: str | None


def write_rows(path: Path, rows: list[Row]) -> None:
    path.write_text("".join(json.dumps(asdict(row)) + "\n" for row in rows), encoding="utf-8")


def read_rows(path: Path) -> list[Row]:
    return [Row(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]


def _source_records(
    sandbox: Path,
) -> Iterator[tuple[tuple[str, str, int | None, str | None], dict[str, Any]]]:
    """Every source row as ``((source, key, row, content), row columns)``, as in the ground truth."""
    for source in HTTP_SOURCES:
        latest: dict[str, dict[str, Any]] = {}
        for line in (sandbox / "http" / f"{source}.jsonl").read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            latest[entry["key"]] = entry["record"]
        for key, record in latest.items():
            for item in FEEDS[source].rows(record):
                yield (source, key, int(item["item_no"]) + 1 if source == "bawaslu" else None, None), item
    config = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))["sources"]
    for line in (sandbox / "sftp" / "deliveries.jsonl").read_text(encoding="utf-8").splitlines():
        delivery = json.loads(line)
        source, name, content = delivery["source"], delivery["name"], delivery["content"]
        data = (sandbox / content).read_bytes()
        if config[source]["format"] == "csv":
            options = config[source]["csv"]
            parsed = read_csv(name, data, delimiter=options["delimiter"], encodings=options["encodings"])
        else:
            parsed = read_jsonl_gz(name, data)
        for file_row in parsed.rows:
            yield (source, name, file_row.row, content), FEEDS[source].rows(file_row.payload)[0]


def source_rows(sandbox: Path) -> list[Row]:
    """Source rows whose NIP is missing or malformed, deduplicated, in a stable order."""
    truth = {
        (t["source"], t["key"], t["row"], t["content"]): t
        for t in map(json.loads, (sandbox / "truth" / "source_nips.jsonl").open(encoding="utf-8"))
    }
    found: dict[tuple[str, str | None, str | None, str | None], Row] = {}
    for key, item in _source_records(sandbox):
        entry = truth.get(key)
        if entry is None:
            continue
        written = entry["nip_as_written"]
        nip_raw = None if written is None else str(written)
        if make_query(nip_raw=nip_raw, name=None, instansi=None).nip is not None:
            continue  # a valid NIP: resolution is a lookup, not what is measured here
        # The NIP column is whichever holds the written value; blank it so staging does not refuse it.
        blanked = {k: (None if v == written or v == "" else v) for k, v in item.items()}
        try:
            staged = FEEDS[key[0]].to_staged(blanked)
        except ValueError:
            continue  # quarantined for another defect (an impossible date): validation's business
        if not staged.name:
            continue
        dedupe = (key[0], nip_raw, staged.name, staged.instansi)
        found.setdefault(
            dedupe, Row(0, f"source:{key[0]}", nip_raw, staged.name, staged.instansi, entry["true_nip"])
        )
    return list(found.values())


def _pick(rng: np.random.Generator, shares: dict[str, float]) -> str:
    keys = list(shares)
    weights = np.array([shares[k] for k in keys])
    return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]


def _written_nip(rng: np.random.Generator, nip: str, variant: str, registered: np.ndarray) -> str | None:
    if variant == "missing":
        return None
    if variant == "float":
        return nipmod.render(nip, "float")
    if variant == "impossible_birth":
        return nipmod.impossible_birth(nip, int(rng.integers(2)))
    if variant == "truncated":  # typed in part: the birth date survives, the rest does not
        return nip[: int(rng.integers(8, 17))]
    # unknown: a valid NIP of nobody (the holder's birth date, appointment and gender, another serial)
    for _ in range(100):
        serial = int(rng.integers(1, 1000))
        candidate = f"{nip[:15]}{serial:03d}"
        if candidate != nip and not _member(registered, int(candidate)):
            return candidate
    return None


def _member(sorted_values: np.ndarray, value: int) -> bool:
    at = int(np.searchsorted(sorted_values, value))
    return at < len(sorted_values) and int(sorted_values[at]) == value


def _written_name(rng: np.random.Generator, item: dict[str, Any]) -> str:
    name = str(item["nama"])
    first = name.split(" ")[0]
    if first in _ABBREVIATIONS and rng.random() < DEGRADATION["abbreviation"]:
        options = _ABBREVIATIONS[first]
        name = options[int(rng.integers(len(options)))] + name[len(first) :]
    if rng.random() < DEGRADATION["typo"]:
        name = typo(rng, name)
    tokens = name.split(" ")
    if len(tokens) > 1 and rng.random() < DEGRADATION["swap"]:
        name = " ".join([tokens[-1], *tokens[:-1]])
    if rng.random() < DEGRADATION["titles"]:
        name = " ".join(t for t in (item.get("gelarDepan") or "", name) if t)
        if item.get("gelarBelakang"):
            name = f"{name}, {item['gelarBelakang']}"
    if rng.random() < DEGRADATION["upper"]:
        name = name.upper()
    return name


def _written_instansi(rng: np.random.Generator, item: dict[str, Any]) -> str | None:
    form = _pick(rng, DEGRADATION["instansi"])
    if form == "none":
        return None
    return str(item["instansiIndukNama"] if form == "name" else item["instansiIndukId"])


def degraded_rows(
    prepared: Prepared, count: int, *, seed: int, stream: int, skip_people: int = 0
) -> list[Row]:
    """``count`` degraded registry people, from ``skip_people`` on in the sample (disjoint sets)."""
    people = [json.loads(line) for line in prepared.people.read_text(encoding="utf-8").splitlines()]
    order = np.random.default_rng([seed, 0x5A]).permutation(len(people))
    chosen = [people[i] for i in order[skip_people : skip_people + count]]
    if len(chosen) < count:
        raise ValueError(f"only {len(chosen)} sampled people left for {count} degraded rows")
    rng = np.random.default_rng([seed, stream])
    registered, names = prepared.nips(), prepared.name_hashes()
    rows = []
    for item in chosen:
        if rng.random() < DEGRADATION["outsider"]:
            donor = people[int(rng.integers(len(people)))]
            name = " ".join([str(item["nama"]).split(" ")[0], *str(donor["nama"]).split(" ")[1:]])
            if not _member(names, name_hash(canonical_name(name))):
                instansi = _written_instansi(rng, item)
                rows.append(Row(0, "outsider", None, name, instansi, None))
                continue
        variant = _pick(rng, DEGRADATION["nip"])
        nip = str(item["nipBaru"])
        written = _written_nip(rng, nip, variant, registered)
        name = _written_name(rng, item)
        rows.append(Row(0, f"degraded:{variant}", written, name, _written_instansi(rng, item), nip))
    return rows


def benchmark_rows(sandbox: Path, prepared: Prepared, count: int, *, seed: int) -> tuple[list[Row], int]:
    """The ``count`` rows to resolve (source rows first) and how many came from the sources."""
    from_sources = source_rows(sandbox)[:count]
    topped = degraded_rows(prepared, count - len(from_sources), seed=seed, stream=1)
    rows = [
        Row(i, r.origin, r.nip_raw, r.name, r.instansi, r.true_nip)
        for i, r in enumerate([*from_sources, *topped])
    ]
    return rows, len(from_sources)


def training_rows(prepared: Prepared, count: int, *, seed: int, skip_people: int) -> list[Row]:
    """Splink's training rows: degraded the same way, from people none of the measured rows describe."""
    rows = degraded_rows(prepared, count, seed=seed, stream=2, skip_people=skip_people)
    return [Row(i, r.origin, r.nip_raw, r.name, r.instansi, r.true_nip) for i, r in enumerate(rows)]
