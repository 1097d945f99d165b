"""Errors that the CLI and the services report to people as one clear line."""

from __future__ import annotations


class SbtError(Exception):
    """A failure whose message is meant for the operator: one line, names the file/key/row at fault.

    The CLI prints it without a traceback (unless ``--debug``) and exits with status 1. A refusal a
    person can cause also carries a stable ``code`` and its ``params``, from which the console says it
    in its own language (:func:`sbt_sync.console.labels.error_text`); the message stays English.
    """

    def __init__(self, message: str = "", *, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class ConfigError(SbtError):
    """``sbt.yaml`` or the environment is wrong: unknown key, wrong type, missing secret."""
