"""Helpers for tests that sign: a drawn signature as the canvas sends it, and a fresh re-auth."""

from __future__ import annotations

import base64
import io
from datetime import datetime

from PIL import Image, ImageDraw
from sqlmodel import Session

from selfservice.domain.actor import Actor
from selfservice.services import reauth
from selfservice.services.auth import actor_of


def drawing(points: int = 12, dot: bool = False) -> str:
    """A data URL like react-signature-canvas's toDataURL(): a transparent PNG with ink."""
    image = Image.new("RGBA", (340, 160), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if dot:
        pen.ellipse((100, 80, 103, 83), fill=(0, 0, 0, 255))
    else:
        line = [(30 + i * 24, 80 + (30 if i % 2 else -30)) for i in range(points)]
        pen.line(line, fill=(20, 20, 60, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def with_session(session: Session, actor: Actor, now: datetime) -> Actor:
    """The actor with a real session row (re-auth is bound to a session)."""
    from selfservice.persistence.models import UserAccount
    from selfservice.services.auth import _new_session, resolve

    account = session.get(UserAccount, actor.account_id)
    token = _new_session(session, account, "full", now, "pytest")
    session.commit()
    resolved = resolve(session, token, now)
    assert resolved is not None
    return resolved if resolved.session_id else actor_of(account)


def reauthenticate(session: Session, actor: Actor, now: datetime, secret: str = "demo-pass-2026") -> None:
    reauth.confirm(session, actor, secret, now)
