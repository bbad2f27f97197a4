"""The channel interface and the shape of one send attempt's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """One delivery to send. ``text`` is the frozen text; title/body/link are split from it."""

    delivery_id: int
    channel: str
    address: str
    text: str
    idempotency_key: str
    resumed: bool = False  # a previous lease ran out with no recorded outcome: it may have been sent

    @property
    def parts(self) -> tuple[str, str, str]:
        """(title, body, link) of a ``title\\nbody\\nlink`` text."""
        lines = self.text.split("\n")
        if len(lines) >= 3:
            return lines[0], "\n".join(lines[1:-1]), lines[-1]
        return lines[0], "\n".join(lines[1:]), ""


@dataclass(frozen=True)
class SendResult:
    """``sent`` (accepted), ``retry`` (transient) or ``failed`` (permanent)."""

    outcome: str
    provider_message_id: str = ""
    http_status: int | None = None
    response: str = ""
    error: str = ""
    retry_after: float | None = None

    @classmethod
    def retry(cls, error: str, **kwargs) -> SendResult:
        return cls("retry", error=error[:500], **kwargs)

    @classmethod
    def failed(cls, error: str, **kwargs) -> SendResult:
        return cls("failed", error=error[:500], **kwargs)


class Channel(Protocol):
    name: str

    async def send(self, outgoing: Outgoing) -> SendResult: ...

    async def aclose(self) -> None: ...
