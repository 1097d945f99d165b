"""The SFTP reader against the sandbox's SFTP server: listing, atomic downloads, drops, pinning."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.errors import HostKeyError, SftpError, SftpTransferError, TruncatedGzipError
from connectors.sftp import Delivery, ManifestEntry, SftpReader, new_deliveries, verify_gzip
from tests.connectors.helpers_sftp import JSONL_GZ, MemoryManifest, sandbox_settings, write_keypair
from tests.sandbox.helpers_sftp import T0, SftpEnv

pytestmark = pytest.mark.integration

BIG = os.urandom(200_000)  # large enough that a drop at half the bytes is really mid-transfer


def test_listing_skips_in_progress_and_unmatched_names_oldest_first(sftp_env: SftpEnv) -> None:
    sftp_env.deliveries.deliver("kemendagri", "tindak_lanjut_20241126.csv", b"a,b\n", T0 - timedelta(hours=2))
    sftp_env.deliveries.deliver("kemendagri", "tindak_lanjut_20241125.csv", b"a,b\n", T0 - timedelta(hours=3))
    sftp_env.deliveries.deliver(
        "kemendagri", "tindak_lanjut_20241127.csv", b"a,b\n", T0 - timedelta(minutes=1)
    )
    sftp_env.deliveries.deliver("kemendagri", "catatan.txt", b"x", T0 - timedelta(hours=1))
    with SftpReader(sandbox_settings(sftp_env)) as reader:
        files = reader.list_files("/kemendagri", "tindak_lanjut_*")
    # The 20241127 drop is still uploading under its .part name: not listed.
    assert [f.name for f in files] == ["tindak_lanjut_20241125.csv", "tindak_lanjut_20241126.csv"]
    assert files[0].path == "/kemendagri/tindak_lanjut_20241125.csv"
    assert files[0].size == 4 and files[0].mtime == T0 - timedelta(hours=3)


def test_download_is_verified_and_lands_atomically(sftp_env: SftpEnv, tmp_path: Path) -> None:
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2020.csv", BIG, T0 - timedelta(hours=1))
    with SftpReader(sandbox_settings(sftp_env)) as reader:
        (remote,) = reader.list_files("/kasn")
        got = reader.download(remote, tmp_path / "in", expected_sha256=hashlib.sha256(BIG).hexdigest())
    assert got.local_path.read_bytes() == BIG
    assert got.sha256 == hashlib.sha256(BIG).hexdigest() and got.remote.size == len(BIG)
    assert [p.name for p in (tmp_path / "in").iterdir()] == ["rekomendasi_2020.csv"]  # no partial left


def test_transfer_dropped_midway_is_retried_from_scratch(sftp_env: SftpEnv, tmp_path: Path) -> None:
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2021.csv", BIG, T0 - timedelta(hours=1))
    sftp_env.faults.set("sftp", disconnect_rate=1.0)

    # The backoff sleep is where the link "comes back": the second attempt gets through.
    def heal(_: float) -> None:
        sftp_env.faults.set("sftp", disconnect_rate=0.0)

    with SftpReader(sandbox_settings(sftp_env), sleep=heal) as reader:
        (remote,) = reader.list_files("/kasn")
        got = reader.download(remote, tmp_path / "in")
    assert got.local_path.read_bytes() == BIG
    assert reader.stats.snapshot() == {"connection": 1}


def test_transfer_dropping_every_time_fails_naming_host_and_file(sftp_env: SftpEnv, tmp_path: Path) -> None:
    sftp_env.deliveries.deliver("kasn", "rekomendasi_2022.csv", BIG, T0 - timedelta(hours=1))
    with SftpReader(sandbox_settings(sftp_env)) as reader:
        (remote,) = reader.list_files("/kasn")
        sftp_env.faults.set("sftp", disconnect_rate=1.0)
        with pytest.raises(
            SftpTransferError, match=r"sftp://sbt@127\.0\.0\.1:\d+/kasn/rekomendasi_2022\.csv"
        ):
            reader.download(remote, tmp_path / "in")
    assert list((tmp_path / "in").iterdir()) == []


def test_truncated_gzip_is_transferred_then_refused_naming_the_file(
    sftp_env: SftpEnv, tmp_path: Path
) -> None:
    # The transfer itself is intact (size and hash match the server); the payload is what is bad, so
    # the reader lands the bytes and verify_gzip refuses them: the agency's file, not a retry.
    sftp_env.deliveries.deliver(
        "kemenpanrb", "pengaduan_20241127.jsonl.gz", JSONL_GZ, T0 - timedelta(hours=2)
    )
    sftp_env.deliveries.deliver(
        "kemenpanrb", "pengaduan_20241126.jsonl.gz", JSONL_GZ[:-12], T0 - timedelta(hours=1)
    )
    with SftpReader(sandbox_settings(sftp_env)) as reader:
        good, bad = reader.list_files("/kemenpanrb", "*.jsonl.gz")
        verify_gzip(reader.download(good, tmp_path / "in").local_path, label=good.path)
        downloaded = reader.download(bad, tmp_path / "in")
        with pytest.raises(
            TruncatedGzipError, match=r"/kemenpanrb/pengaduan_20241126\.jsonl\.gz: truncated gzip"
        ):
            verify_gzip(downloaded.local_path, label=bad.path)
        assert reader.stats.retries == 0  # a bad payload is never retried


def test_corrected_redelivery_is_processed_and_unchanged_files_are_not(
    sftp_env: SftpEnv, tmp_path: Path
) -> None:
    deliveries, manifest = sftp_env.deliveries, MemoryManifest()
    deliveries.deliver("kasn", "a.csv", b"v1\n", T0 - timedelta(hours=3))
    deliveries.deliver("kasn", "b.csv", b"same\n", T0 - timedelta(hours=3))

    def sync() -> list[str]:
        with SftpReader(sandbox_settings(sftp_env)) as reader:
            outcomes = list(
                new_deliveries(
                    reader,
                    manifest,
                    source="kasn",
                    directory="/kasn",
                    pattern="*.csv",
                    dest_dir=tmp_path / "in",
                )
            )
        found = [d for d in outcomes if isinstance(d, Delivery)]
        assert len(found) == len(outcomes)  # nothing here is refused or still being written
        for delivery in found:  # what the core does once the rows are landed
            remote = delivery.file.remote
            entry = ManifestEntry(
                "kasn", remote.path, remote.size, remote.mtime, delivery.file.sha256, "processed"
            )
            manifest.entries.append(entry)
        return [d.file.local_path.read_text() for d in found]

    assert sync() == ["v1\n", "same\n"]
    assert sync() == []  # nothing changed: nothing downloaded or processed
    deliveries.deliver("kasn", "a.csv", b"v2 corrected\n", T0 + timedelta(hours=1))  # same name, new content
    deliveries.deliver("kasn", "b.csv", b"same\n", T0 + timedelta(hours=1))  # re-sent, identical bytes
    sftp_env.clock.set(T0 + timedelta(hours=2), frozen=True)
    assert sync() == ["v2 corrected\n"]


def test_changed_host_key_is_refused_with_both_fingerprints(sftp_env: SftpEnv, tmp_path: Path) -> None:
    public = write_keypair(tmp_path / "impostor").split()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{sftp_env.server.port} {public[0]} {public[1]}\n")
    reader = SftpReader(sandbox_settings(sftp_env, known_hosts_path=known_hosts))
    with pytest.raises(HostKeyError, match="CHANGED") as caught:
        reader.list_files("/kasn")
    assert sftp_env.server.host_key_fingerprint in str(caught.value)
    assert str(caught.value).count("SHA256:") == 2
    assert reader.stats.retries == 0  # never retried


def test_unknown_host_is_refused_and_never_added(sftp_env: SftpEnv, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    pinned = sftp_env.server.known_hosts_path.read_text().split(" ", 1)[1]
    known_hosts.write_text(f"[other.example]:22 {pinned}")  # pins the right key for another host
    reader = SftpReader(sandbox_settings(sftp_env, known_hosts_path=known_hosts))
    with pytest.raises(HostKeyError, match="not pinned") as caught:
        reader.list_files("/kasn")
    assert sftp_env.server.host_key_fingerprint in str(caught.value)
    assert known_hosts.read_text() == f"[other.example]:22 {pinned}"


def test_missing_known_hosts_file_is_a_clear_error(sftp_env: SftpEnv, tmp_path: Path) -> None:
    reader = SftpReader(sandbox_settings(sftp_env, known_hosts_path=tmp_path / "absent"))
    with pytest.raises(SftpError, match="cannot read known_hosts file"):
        reader.list_files("/kasn")
