"""Delivering block flags to SIASN: the outbox queue, the pusher, the readback and steward actions."""

from sbt_sync.push.admin import approve, outbox_status, planned_pushes, reject, retry, withdraw
from sbt_sync.push.client import siasn_push_client
from sbt_sync.push.pusher import Pusher, PushOptions, PushReport
from sbt_sync.push.readback import ReadbackReport, readback

__all__ = [
    "PushOptions",
    "PushReport",
    "Pusher",
    "ReadbackReport",
    "approve",
    "outbox_status",
    "planned_pushes",
    "readback",
    "reject",
    "retry",
    "siasn_push_client",
    "withdraw",
]
