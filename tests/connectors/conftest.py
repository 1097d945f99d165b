"""Fixtures of the connector tests, defined in the helpers modules and shared here."""

from tests.connectors.helpers_http import scripted
from tests.connectors.helpers_sandbox import sandbox
from tests.connectors.helpers_sftp import openssh
from tests.sandbox.helpers_sftp import sftp_env

__all__ = ["openssh", "sandbox", "scripted", "sftp_env"]
