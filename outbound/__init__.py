"""Outbound channels: email over SMTP and signed webhooks, each returning a Delivery record.

Plain, synchronous senders that never raise for a failed delivery: callers record the Delivery
(on a case, a verification attempt) and decide what to do. Imports nothing else of Firstline.
"""

from outbound.delivery import Delivery
from outbound.email import EmailMessage, SmtpMailer
from outbound.settings import OutboundSettings, admin_webhook_from, mailer_from, sms_webhook_from
from outbound.signing import sign_body, verify_signature
from outbound.webhook import WebhookSender

__all__ = [
    "Delivery",
    "EmailMessage",
    "OutboundSettings",
    "SmtpMailer",
    "WebhookSender",
    "admin_webhook_from",
    "mailer_from",
    "sign_body",
    "sms_webhook_from",
    "verify_signature",
]
