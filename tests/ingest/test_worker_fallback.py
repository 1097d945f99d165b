"""The validation worker is a help, never a dependency: when it cannot start, staging checks every
chunk in its own process and gets the same result."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# A program whose main file is gone by the time the worker starts: multiprocessing's fork server
# re-imports the parent's ``__main__`` in every worker, which then fails, and the pool breaks.
_PROGRAM = textwrap.dedent(
    """
    import json
    import os
    import sys

    from sbt_sync.ingest.checking import RawInput, check_chunk, checked_chunks
    from schemas.feeds import FEEDS

    def record(n):
        return {
            "id": f"BKN-{n:05d}",
            "nomor_rekomendasi": f"REK-{n:06d}/BKN/2024",
            "nomor_register_bawaslu": None,
            "pemilihan": "PILKADA-2024",
            "nip": "198001012005011001" if n % 7 else "1.98001012005011e+17",
            "nama": "Dr. H. Ahmad Fauzi, S.Pd.",
            "instansi_id": "A5EB03E23B5AF6A0E040640A040252AD",
            "tanggal_verifikasi": "2024-12-01T10:00:00+07:00",
            "hasil": "terbukti",
            "rekomendasi_sanksi": None,
            "tanggal_rekomendasi": "2024-12-02",
            "batas_tindak_lanjut": "2024-12-12",
            "updated_at": "2024-12-02T09:00:00+07:00",
        }

    if __name__ == "__main__":
        os.remove(__file__)
        feed = FEEDS["bkn_wasdal"]
        chunks = [
            [RawInput(n, f"BKN-{n:05d}", json.dumps(record(n), sort_keys=True), 1, None, None)
             for n in range(start, start + 6)]
            for start in range(1, 31, 6)
        ]
        checked = list(checked_chunks(feed, iter(chunks), parallel=lambda first: True))
        here = [check_chunk(feed, chunk) for chunk in chunks]
        print(json.dumps({
            "chunks": [len(chunk) for chunk, _ in checked],
            "same": [c == h for (_, c), h in zip(checked, here)],
            "staged": sum(len(c.staged) for _, c in checked),
            "failures": sum(len(c.outcome.failures) for _, c in checked),
        }))
    """
)


@pytest.mark.timeout(120)
@pytest.mark.skipif(sys.platform != "linux", reason="multiprocessing's fork server")
def test_a_worker_that_cannot_start_costs_no_chunk(tmp_path: Path) -> None:
    program = tmp_path / "stage_without_worker.py"
    program.write_text(_PROGRAM, encoding="utf-8")
    command = [sys.executable, str(program)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=110, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["chunks"] == [6, 6, 6, 6, 6]
    assert all(result["same"])
    # Four float-mangled NIPs are rejected (a quarantine entry each); their rows are staged without them.
    assert (result["staged"], result["failures"]) == (30, 4)
    assert "the validation worker stopped; checking the rest in this process" in done.stderr
