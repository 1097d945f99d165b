"""The SFTP reader: pinned host keys, key login, atomic verified downloads, the file manifest."""

from connectors.sftp.hostkeys import PinnedHostKeyPolicy, fingerprint, load_known_hosts
from connectors.sftp.manifest import (
    Decision,
    Deferral,
    Delivery,
    FileManifest,
    ManifestEntry,
    Outcome,
    Refusal,
    decide_downloaded,
    decide_listed,
    new_deliveries,
)
from connectors.sftp.naming import UnsafeName, printable, shown, unsafe_name_reason
from connectors.sftp.reader import (
    DownloadedFile,
    RemoteFile,
    SftpReader,
    SftpSettings,
    is_in_progress,
)
from connectors.sftp.transfer import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    PayloadRefused,
    RemoteFileChanged,
    RemoteFileUnreadable,
    open_payload,
    verify_gzip,
)

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "Decision",
    "Deferral",
    "Delivery",
    "DownloadedFile",
    "FileManifest",
    "ManifestEntry",
    "Outcome",
    "PayloadRefused",
    "PinnedHostKeyPolicy",
    "Refusal",
    "RemoteFile",
    "RemoteFileChanged",
    "RemoteFileUnreadable",
    "SftpReader",
    "SftpSettings",
    "UnsafeName",
    "decide_downloaded",
    "decide_listed",
    "fingerprint",
    "is_in_progress",
    "load_known_hosts",
    "new_deliveries",
    "open_payload",
    "printable",
    "shown",
    "unsafe_name_reason",
    "verify_gzip",
]
