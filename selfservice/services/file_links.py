"""Short-lived download links signed for one account (an <img>, <iframe> or a download cannot
send the session token). The serving route re-checks, on every request, that the account is
still active and may still see the file; the link alone grants nothing after it expires."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlmodel import Session

from selfservice.domain.actor import Actor
from selfservice.domain.errors import NotPermitted
from selfservice.persistence.models import UserAccount
from selfservice.settings import get_settings

LINK_SECONDS = 600


def _mac(kind: str, object_id: int, account_id: int, expires: int) -> str:
    key = (f"{kind}:" + get_settings().secret_key).encode()
    return hmac.new(key, f"{object_id}.{account_id}.{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def link(kind: str, object_id: int, actor: Actor, now: datetime, seconds: int = LINK_SECONDS) -> str:
    """``/files/<kind>/<id>?a=…&e=…&m=…`` for ``actor`` only, valid ``seconds``."""
    expires = int(now.timestamp()) + seconds
    return f"/files/{kind}/{object_id}?a={actor.account_id}&e={expires}&m={_mac(kind, object_id, actor.account_id, expires)}"


def account_of(session: Session, kind: str, object_id: int, account_id: int, expires: int, mac: str, now: datetime) -> Actor:
    """The actor a link was made for, if it is genuine, unexpired and the account still active."""
    if expires < now.timestamp() or not hmac.compare_digest(_mac(kind, object_id, account_id, expires), mac):
        raise NotPermitted()
    account = session.get(UserAccount, account_id)
    if account is None or not account.active:
        raise NotPermitted()
    from selfservice.services.auth import actor_of

    return actor_of(account)
