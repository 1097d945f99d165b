"""The SFTP reader: pinned host keys, key login, atomic verified downloads, the file manifest."""

from connectors.sftp.hostkeys import PinnedHostKeyPolicy, fingerprint, load_known_hosts
from connectors.sftp.manifest import (
    Decision,
    Delivery,
    FileManifest,
    ManifestEntry,
    decide_downloaded,
    decide_listed,
    new_deliveries,
)
from connectors.sftp.reader import DownloadedFile, RemoteFile, SftpReader, SftpSettings, is_in_progress
from connectors.sftp.transfer import open_payload, verify_gzip

__all__ = [
    "Decision",
    "Delivery",
    "DownloadedFile",
    "FileManifest",
    "ManifestEntry",
    "PinnedHostKeyPolicy",
    "RemoteFile",
    "SftpReader",
    "SftpSettings",
    "decide_downloaded",
    "decide_listed",
    "fingerprint",
    "is_in_progress",
    "load_known_hosts",
    "new_deliveries",
    "open_payload",
    "verify_gzip",
]
