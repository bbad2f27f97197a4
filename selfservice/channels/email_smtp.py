"""Email over SMTP (plain text + HTML with the signed link), sent from a worker thread."""

from __future__ import annotations

import asyncio
import html
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from selfservice.channels.base import Outgoing, SendResult


class SmtpChannel:
    name = "email"

    def __init__(
        self, host: str, port: int, sender: str, username: str = "", password: str = "", starttls: bool = False, timeout: float = 10.0
    ) -> None:
        self.host, self.port, self.sender = host, int(port), sender
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def build(self, outgoing: Outgoing) -> EmailMessage:
        title, body, link = outgoing.parts
        message = EmailMessage()
        message["Subject"] = title
        message["From"] = self.sender
        message["To"] = outgoing.address
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{outgoing.idempotency_key}@selfservice>"
        message.set_content(outgoing.text)
        message.add_alternative(
            f'<p><strong>{html.escape(title)}</strong></p><p>{html.escape(body)}</p><p><a href="{html.escape(link)}">{html.escape(link)}</a></p>',
            subtype="html",
        )
        return message

    def _send_sync(self, outgoing: Outgoing) -> SendResult:
        message = self.build(outgoing)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            return SendResult.failed(f"recipient refused: {error.recipients}")
        except smtplib.SMTPResponseException as error:
            if 400 <= error.smtp_code < 500:
                return SendResult.retry(f"SMTP {error.smtp_code}", response=str(error.smtp_error)[:500])
            return SendResult.failed(f"SMTP {error.smtp_code}", response=str(error.smtp_error)[:500])
        except (OSError, smtplib.SMTPException) as error:
            return SendResult.retry(f"{type(error).__name__}: {error}")
        if refused:
            return SendResult.failed(f"recipient refused: {refused}")
        return SendResult("sent", provider_message_id=message["Message-ID"], response="250 queued")

    async def send(self, outgoing: Outgoing) -> SendResult:
        return await asyncio.to_thread(self._send_sync, outgoing)

    async def aclose(self) -> None:
        return None
