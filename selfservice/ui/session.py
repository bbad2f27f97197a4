"""The signed-in session as the UI sees it: token and language live in the browser,
everything else is re-read from the database on each event (see ``guard.handler``)."""

from __future__ import annotations

import reflex as rx

from selfservice.domain.actor import Actor
from selfservice.i18n import t
from selfservice.services import auth, home
from selfservice.ui import routes
from selfservice.ui.guard import handler, now, quick, resolve_actor, run


class SessionState(rx.State):
    """Base of every page state. Holds only what the browser may see."""

    session_token: str = rx.LocalStorage("", name="ss_session", sync=True)
    lang: str = rx.LocalStorage("zh-CN", name="ss_lang", sync=True)
    me_name: str = ""
    me_role: str = ""
    unread: int = 0
    approver: bool = False  # the approvals menu only for those who can be asked to decide
    no_recovery_codes: bool = False  # TOTP on and every recovery code used: warned on every page
    to_sign: int = 0  # policies waiting for this person's signature (the header's badge)
    pings: int = 0

    @rx.var
    def is_manager_plus(self) -> bool:
        """Display only: whether to show manager menu items (handlers check for real)."""
        return self.me_role in ("manager", "hr", "admin")

    @rx.var
    def is_hr_plus(self) -> bool:
        return self.me_role in ("hr", "admin")

    @rx.var
    def is_admin(self) -> bool:
        return self.me_role == "admin"

    def _t(self, key: str, **params) -> str:
        return t(self.lang if self.lang in ("zh-CN", "en") else "zh-CN", key, **params)

    async def _fill_shell(self, actor: Actor) -> None:
        """The header's facts, read in one unit of work (services/home.py)."""
        self._apply_shell(actor, await quick(home.shell, actor))

    def _apply_shell(self, actor: Actor, facts: home.Shell) -> None:
        view = facts.profile
        self.me_name = view.name_en if self.lang == "en" and view.name_en else view.name
        self.me_role = actor.role.value
        self.unread, self.to_sign, self.approver, self.no_recovery_codes = (
            facts.unread,
            facts.to_sign,
            facts.approver,
            facts.no_recovery_codes,
        )

    @handler()
    async def ping(self, actor: Actor):
        """The session check and nothing else: what every signed-in event pays before its own
        work (bench/events.py measures it against a blank app's counter)."""
        self.pings += 1

    @handler(public=True)
    async def toggle_language(self):
        """Switch zh-CN ↔ en; remembered in the browser and, when signed in, on the account."""
        self.lang = "en" if self.lang != "en" else "zh-CN"
        actor = await resolve_actor(self.session_token)
        if actor is not None:
            await run(auth.set_language, actor, self.lang)

    @handler()
    async def sign_out(self, actor: Actor):
        await run(auth.sign_out, self.session_token, now())
        self.session_token = ""
        self.me_name = ""
        self.me_role = ""
        return rx.redirect(routes.LOGIN)

    @handler()
    async def sign_out_everywhere(self, actor: Actor):
        await run(auth.sign_out_everywhere, actor, now())
        self.session_token = ""
        return [rx.toast.success(self._t("security.signed_out_all")), rx.redirect(routes.LOGIN)]
