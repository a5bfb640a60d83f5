"""Slack: alerts as Block Kit, `/denialwatch`, feedback buttons; HTTP or Socket Mode."""

from adapters.slack.adapter import (
    InboundClaim,
    SlackAdapter,
    SlackDeliveryError,
    SlackStartError,
)
from adapters.slack.blocks import format_alert, format_verdict

__all__ = [
    "InboundClaim",
    "SlackAdapter",
    "SlackDeliveryError",
    "SlackStartError",
    "format_alert",
    "format_verdict",
]
