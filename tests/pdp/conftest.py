"""Fixtures of the personal-data tests: the sandbox's SFTP server (downloads are owner-only)."""

from tests.sandbox.helpers_sftp import sftp_env

__all__ = ["sftp_env"]
