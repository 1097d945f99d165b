"""The reports and letters tests use the notification tests' real SMTP server on loopback and its settings."""

from tests.notify.conftest import mail_server, notify_settings, smtp_config

__all__ = ["mail_server", "notify_settings", "smtp_config"]
