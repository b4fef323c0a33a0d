"""Channels beyond the widget: inbound adapters that turn requests into conversations, outbound connectors for replies.

The public channel (posts about the company, forwarded by a listening tool) is the first; email or
another chat channel plugs in with its own adapter and connector. Uses crm, escalation, core and
outbound (signatures and the webhook sender); never imports web.
"""

from typing import Any

from channels.base import ChannelError, Contact, InboundAdapter, OutboundConnector, OutboundReply
from channels.intake import Received, receive
from channels.public import PublicAdapter, PublicPost, PublicReplyConnector
from channels.replies import ReplyDispatcher
from channels.settings import ChannelsSettings
from channels.urgency import Urgency, score

__all__ = [
    "ChannelError",
    "ChannelsSettings",
    "Contact",
    "InboundAdapter",
    "OutboundConnector",
    "OutboundReply",
    "PublicAdapter",
    "PublicPost",
    "PublicReplyConnector",
    "Received",
    "ReplyDispatcher",
    "Urgency",
    "install",
    "receive",
    "score",
]


def install(rt: Any, settings: ChannelsSettings | None = None) -> None:
    """Register the inbound adapters and the reply dispatcher on a started runtime (bot.runtime.Runtime)."""
    s = settings or ChannelsSettings()
    rt.extras["channels_settings"] = s
    rt.extras["inbound"] = {PublicAdapter.channel: PublicAdapter(s)}
    dispatcher = ReplyDispatcher(rt.db, rt.bus, {PublicReplyConnector.channel: PublicReplyConnector(s)})
    dispatcher.register()
    rt.extras["reply_dispatcher"] = dispatcher
