"""Letters to PPKs delivered by mail: the notification outbox, the SMTP seam and the notifier."""

from sbt_sync.notify.notifier import Notifier, NotifyOptions, NotifyReport
from sbt_sync.notify.smtp import SmtpConfig, SmtpSender

__all__ = ["Notifier", "NotifyOptions", "NotifyReport", "SmtpConfig", "SmtpSender"]
