"""``python -m benchmarks.freshness``: how fast the running daemon reflects a source change.

(a) a sanction published in the I'DIS simulator for a blocked NIP's case, until SIASN shows the
unblock; (b) a new kemendagri CSV on the SFTP server, until its rows are in ``staged_records``.
"""
