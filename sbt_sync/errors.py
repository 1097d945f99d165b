"""Errors that the CLI and the services report to people as one clear line."""

from __future__ import annotations


class SbtError(Exception):
    """A failure whose message is meant for the operator: one line, names the file/key/row at fault.

    The CLI prints it without a traceback (unless ``--debug``) and exits with status 1.
    """


class ConfigError(SbtError):
    """``sbt.yaml`` or the environment is wrong: unknown key, wrong type, missing secret."""
