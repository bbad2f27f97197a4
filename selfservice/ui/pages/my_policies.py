"""Employee (phone): policies to read and sign (/policies/mine), the reading view with the sign
step (/policies/read), and the public verification page a receipt's QR code opens (/verify)."""

from __future__ import annotations

import reflex as rx
from pydantic import Field

from selfservice.auth import gate
from selfservice.domain.actor import Actor
from selfservice.domain.errors import DomainError
from selfservice.domain.signatures import MAX_IMAGE_BYTES
from selfservice.services import policies, reauth, signatures
from selfservice.ui import routes
from selfservice.ui.components.shell import card, page
from selfservice.ui.components.signature import signature_pad
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.session import SessionState


class SignForm(Form):
    typed_name: str = Field(default="", max_length=64)
    secret: str = Field(default="", max_length=64)
    drawing: str = Field(default="", max_length=MAX_IMAGE_BYTES * 4 // 3 + 100)


class MyPoliciesState(SessionState):
    rows: list[dict[str, str]] = []

    @handler(page_load=True)
    async def load(self, actor: Actor):
        rows = await run(policies.mine, actor, now())
        self.rows = [
            {
                "version_id": str(r.version_id),
                "title": r.title,
                "number": str(r.number),
                "published": r.published,
                "due": r.due,
                "state": "signed" if r.signed_at else ("read" if not r.requires_ack else ("overdue" if r.overdue else "to_sign")),
                "signed_at": r.signed_at,
            }
            for r in rows
        ]
        await self._fill_shell(actor)


class SigningMixin(SessionState, mixin=True):
    """The sign step shared by every page where an employee signs: the drawn signature, the
    typed name, and the fresh re-authentication (TOTP code if enrolled, else the password)."""

    reauth_method: str = "password"
    sign_error: str = ""

    def _context(self) -> signatures.Context:
        return signatures.Context(ip=(self.router.session.client_ip or "")[:64], user_agent=(self.router.headers.user_agent or "")[:255])

    async def _reauthenticate(self, actor: Actor, secret: str) -> None:
        if secret.strip():  # blank: a proof made by an earlier try of this form is still fresh
            await gate.run_checked(reauth.confirm, actor, secret, now(), self._context().ip)


class PolicyReadState(SigningMixin, SessionState):
    view: dict[str, str] = {}
    html: str = ""
    form_key: int = 0
    _version_id: int = 0

    async def _show(self, actor: Actor) -> None:
        view = await run(policies.reading, actor, self._version_id, now())
        self.view = {
            "title": view.title,
            "number": str(view.number),
            "published": view.published,
            "kind": view.kind,
            "pdf_url": view.pdf_url,
            "sha256": view.sha256,
            "statement": view.statement,
            "can_sign": "1" if view.requires_ack and view.latest and not view.signed_at else "",
            "requires_ack": "1" if view.requires_ack else "",
            "latest": "1" if view.latest else "",
            "latest_id": str(view.latest_id),
            "signed_at": view.signed_at,
            "receipt_url": view.receipt_url,
            "verify_url": view.verify_url,
            "due": view.due,
        }
        self.html = view.html

    @handler(page_load=True)
    async def load(self, actor: Actor):
        raw = self.router.url.query_parameters.get("v", "")
        if not raw.isdigit():
            return rx.redirect(routes.POLICIES_MINE)
        self._version_id = int(raw)
        self.sign_error = ""
        self.reauth_method = await run(reauth.method_for, actor)
        await self._show(actor)
        self.form_key += 1
        await self._fill_shell(actor)

    @handler()
    async def sign(self, actor: Actor, form: SignForm):
        try:
            await self._reauthenticate(actor, form.secret)
            await run(policies.sign, actor, self._version_id, form.typed_name, form.drawing, self._context(), now())
        except DomainError as error:
            self.sign_error = self._t(error.key, **error.params)  # shown above the button (a toast would cover it on a phone)
            return None
        self.sign_error = ""
        await self._show(actor)
        await self._fill_shell(actor)
        return rx.toast.success(self._t("sign.done"))


def my_policies_page() -> rx.Component:
    colour = {"to_sign": "amber", "overdue": "red", "signed": "green", "read": "gray"}
    return page(
        rx.cond(MyPoliciesState.rows.length() == 0, rx.text(T("policy.mine_none"), size="2", color_scheme="gray")),
        rx.foreach(
            MyPoliciesState.rows,
            lambda r: rx.link(
                card(
                    rx.hstack(
                        rx.text(r["title"], weight="bold", size="3"),
                        rx.spacer(),
                        rx.badge(T_var("policy.mine.", r["state"].to(str)), color_scheme=rx.Var.create(colour).get(r["state"], "gray")),
                        width="100%",
                        align="center",
                    ),
                    rx.text(T_fmt("policy.version_line", number=r["number"], date=r["published"]), size="1", color_scheme="gray"),
                    rx.cond(r["signed_at"] != "", rx.text(T_fmt("policy.signed_line", at=r["signed_at"]), size="1")),
                    rx.cond((r["due"] != "") & (r["signed_at"] == ""), rx.text(T_fmt("policy.due_line", due=r["due"]), size="1")),
                    class_name="my-policy",
                ),
                href=f"{routes.POLICY_READ}?v=" + r["version_id"].to(str),
                underline="none",
                color="inherit",
                width="100%",
            ),
        ),
        title_key="policy.mine_title",
    )


def sign_card(state, statement: rx.Var, button_key: str = "sign.submit", title_key: str = "sign.title", before: tuple = ()) -> rx.Component:
    """The sign step: the statement, the typed name, the drawing, and the re-authentication
    (``before``: more fields of the same form, e.g. the channels a confirmation accepts)."""
    return card(
        rx.heading(T(title_key), size="4"),
        rx.blockquote(rx.text(statement, white_space="pre-line", size="2"), id="sign-statement"),
        rx.form(
            rx.vstack(
                *before,
                rx.el.label(
                    rx.text(T("sign.typed_name"), size="2", weight="medium"),
                    rx.input(name="typed_name", max_length=64, auto_complete="off", width="100%"),
                    style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
                ),
                signature_pad(),
                rx.el.label(
                    rx.text(
                        rx.cond(state.reauth_method == "totp", T("sign.reauth_totp"), T("sign.reauth_password")), size="2", weight="medium"
                    ),
                    rx.input(
                        name="secret",
                        type=rx.cond(state.reauth_method == "totp", "text", "password"),
                        input_mode=rx.cond(state.reauth_method == "totp", "numeric", "text"),
                        auto_complete=rx.cond(state.reauth_method == "totp", "one-time-code", "current-password"),
                        max_length=64,
                        width="100%",
                    ),
                    rx.text(T("sign.reauth_hint"), size="1", color_scheme="gray"),
                    style={"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"},
                ),
                rx.cond(
                    state.sign_error != "",
                    rx.callout(state.sign_error, icon="triangle_alert", color_scheme="red", size="1", id="sign-error-text"),
                ),
                rx.button(rx.icon("pen-line", size=16), T(button_key), type="submit", size="3", width="100%", id="sign-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=state.sign,
            reset_on_submit=False,
            width="100%",
        ),
        id="sign-card",
    )


def policy_read_page() -> rx.Component:
    view = PolicyReadState.view
    return page(
        rx.link(T("policy.back_mine"), href=routes.POLICIES_MINE, size="2"),
        rx.vstack(
            rx.heading(view.get("title", ""), size="5", id="policy-title"),
            rx.text(
                T_fmt("policy.version_line", number=view.get("number", ""), date=view.get("published", "")), size="2", color_scheme="gray"
            ),
            rx.text(T("policy.sha256"), " ", rx.code(view.get("sha256", ""), size="1", word_break="break-all"), size="1", id="policy-sha"),
            spacing="1",
            width="100%",
        ),
        rx.cond(
            (view.get("latest", "") == "") & (view.get("requires_ack", "") != ""),
            rx.callout(
                rx.hstack(
                    rx.text(T("policy.not_latest")),
                    rx.link(T("policy.open_latest"), href=f"{routes.POLICY_READ}?v=" + view.get("latest_id", "").to(str)),
                    wrap="wrap",
                    spacing="2",
                ),
                icon="info",
                color_scheme="amber",
                size="1",
            ),
        ),
        card(
            rx.cond(
                view.get("kind", "markdown") == "pdf",
                rx.vstack(
                    rx.el.iframe(
                        src=view.get("pdf_url", ""), title=view.get("title", ""), style={"width": "100%", "height": "70vh", "border": "0"}
                    ),
                    rx.link(T("policy.open_pdf"), href=view.get("pdf_url", ""), is_external=True, size="2", id="policy-pdf-link"),
                    width="100%",
                ),
                rx.box(rx.html(PolicyReadState.html), class_name="policy-body", id="policy-body-view", width="100%"),
            ),
        ),
        rx.cond(
            view.get("signed_at", "") != "",
            card(
                rx.callout(
                    T_fmt("policy.signed_line", at=view.get("signed_at", "")),
                    icon="check",
                    color_scheme="green",
                    size="1",
                    id="policy-signed",
                ),
                rx.hstack(
                    rx.link(
                        rx.button(rx.icon("download", size=14), T("sign.receipt"), variant="soft", size="2"),
                        href=view.get("receipt_url", ""),
                        id="receipt-link",
                    ),
                    rx.link(T("sign.verify"), href=view.get("verify_url", ""), size="2", id="verify-link"),
                    align="center",
                    wrap="wrap",
                ),
            ),
        ),
        rx.cond(
            view.get("can_sign", "") != "",
            rx.box(sign_card(PolicyReadState, view.get("statement", "")), key=PolicyReadState.form_key, width="100%"),
        ),
        title_key="policy.read_title",
    )


class VerifyState(SessionState):
    result: dict[str, str] = {}
    checks: list[dict[str, str]] = []

    @handler(public=True, page_load=True)
    async def load(self):
        token = self.router.url.query_parameters.get("t", "")[:32]
        found = await run(signatures.verify, token)
        self.result = {
            "found": "1" if found.found else "",
            "ok": "1" if found.ok else "",
            "title": (found.title_en if self.lang == "en" else found.title_zh) or found.title_zh,
            "signer": found.signer,
            "signed_at": found.signed_at,
            "record": found.record_sha256,
            "content": found.content_sha256,
        }
        self.checks = [{"key": c.key.removeprefix("verify."), "ok": "1" if c.ok else ""} for c in found.checks]


def verify_page() -> rx.Component:
    result = VerifyState.result
    return page(
        rx.cond(
            result.get("found", "") == "",
            rx.callout(T("verify.not_found"), icon="circle_x", color_scheme="red", id="verify-result"),
            rx.vstack(
                rx.cond(
                    result.get("ok", "") != "",
                    rx.callout(T("verify.ok"), icon="shield-check", color_scheme="green", id="verify-result"),
                    rx.callout(T("verify.failed"), icon="shield-alert", color_scheme="red", id="verify-result"),
                ),
                card(
                    rx.text(result.get("title", ""), weight="bold"),
                    rx.text(T("verify.signer"), " ", result.get("signer", ""), size="2"),
                    rx.text(T("verify.signed_at"), " ", result.get("signed_at", ""), size="2"),
                    rx.text(T("verify.record"), " ", rx.code(result.get("record", ""), size="1", word_break="break-all"), size="2"),
                    rx.text(T("verify.content"), " ", rx.code(result.get("content", ""), size="1", word_break="break-all"), size="2"),
                    rx.foreach(
                        VerifyState.checks,
                        lambda c: rx.hstack(
                            rx.cond(
                                c["ok"] != "",
                                rx.icon("check", color="var(--green-11)", size=16),
                                rx.icon("x", color="var(--red-11)", size=16),
                            ),
                            rx.text(T_var("verify.", c["key"]), size="2"),
                            rx.text(rx.cond(c["ok"] != "", T("verify.matches"), T("verify.differs")), size="2", weight="medium"),
                            align="center",
                            class_name="verify-check",
                        ),
                    ),
                ),
                width="100%",
            ),
        ),
        signed_in=False,
        title_key="verify.title",
    )
