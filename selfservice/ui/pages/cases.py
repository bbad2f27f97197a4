"""The disappearance case's screens: HR's list with the settings and the company key (/cases), a
case's timeline and actions (/case?c=, desktop, usable on a phone), the employee's notice page
(/notice?n=, phone), and the dashboard panel."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

import reflex as rx
from pydantic import Field

from selfservice.domain import cases as rules
from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.services import case_timeline, cases, company_key, evidence, file_links, leave_requests, policies
from selfservice.services.attendance import local_text
from selfservice.settings import get_settings
from selfservice.ui import routes
from selfservice.ui.components.shell import card, data_table, page, upload_zone
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.pages.hr_dashboard import UiPanel, panel_frame, register
from selfservice.ui.session import SessionState

LABEL = {"display": "flex", "flexDirection": "column", "gap": "4px", "width": "100%"}
SELECT = {"padding": "8px", "borderRadius": "6px"}
RECORDING_UPLOAD, POSTED_UPLOAD, UNION_UPLOAD, KEY_UPLOAD = "case-recording", "case-posted", "case-union", "company-key"
CHANNELS = ("inapp", "wecom", "sms", "email")
STAGE_COLOURS = {
    "open": "gray",
    "notice_sent": "amber",
    "paused": "blue",
    "approval": "orange",
    "approved": "red",
    "terminated": "red",
    "resolved": "green",
}


def _stage_badge(stage: rx.Var) -> rx.Component:
    return rx.match(
        stage,
        *((s, rx.badge(T(f"case.stage.{s}"), color_scheme=c, class_name="case-stage")) for s, c in STAGE_COLOURS.items()),
        rx.badge(T_var("case.stage.", stage.to(str))),
    )


def _local_input(text: str) -> datetime:
    """A datetime-local field ("2026-11-16T09:30") in company time."""
    try:
        value = datetime.fromisoformat(text.strip()[:16])
    except ValueError:
        raise DomainError("case.time_format") from None
    return value.replace(tzinfo=ZoneInfo(get_settings().timezone))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise DomainError("separation.date_format") from None


# ---- /cases ------------------------------------------------------------------------------------


class OpenForm(Form):
    employee_no: str = Field(default="", max_length=32)


class SettingsForm(Form):
    streak_days: str = Field(default="", max_length=4)
    return_days: str = Field(default="", max_length=4)
    approvers: str = Field(default="", max_length=200)
    union_no: str = Field(default="", max_length=32)
    union_name: str = Field(default="", max_length=100)
    policy_id: str = Field(default="", max_length=12)
    rule_text: str = Field(default="", max_length=500)


class KeyForm(Form):
    password: str = Field(default="", max_length=200)


class CasesState(SessionState):
    rows: list[dict[str, str]] = []
    candidates: list[dict[str, str]] = []
    closed: bool = False
    settings: dict[str, str] = {}
    policies: list[dict[str, str]] = []
    keys: list[dict[str, str]] = []
    error: str = ""
    settings_error: str = ""
    key_error: str = ""
    key_files: list[str] = []
    form_key: int = 0
    _key_bytes: list[tuple[str, bytes]] = []

    async def _refresh(self, actor: Actor) -> None:
        moment = now()
        self.rows = [
            {
                "id": str(r.id),
                "number": r.number,
                "name": r.name,
                "employee_no": r.employee_no,
                "stage": r.stage,
                "opened": local_text(r.opened_at),
                "deadline": rules.deadline_text(r.next_deadline, ZoneInfo(get_settings().timezone)) if r.next_deadline else "",
                "overdue": "1" if r.overdue else "",
            }
            for r in await run(case_timeline.listing, actor, moment, self.closed)
        ]
        _, candidates = await run(case_timeline.panel, actor, moment)
        self.candidates = [
            {
                "streak": str(c.streak_id),
                "name": c.name,
                "employee_no": c.employee_no,
                "days": str(c.days),
                "since": c.start_date.isoformat(),
            }
            for c in candidates
        ]

    async def _refresh_settings(self, actor: Actor) -> None:
        config = await run(cases.settings)
        approvers, union_no = await run(cases.settings_numbers)
        self.settings = {
            "streak_days": str(config.streak_days),
            "return_days": str(config.return_days),
            "approvers": approvers,
            "union_no": union_no,
            "union_name": config.union_name,
            "policy_id": str(config.policy_id or ""),
            "rule_text": config.rule_text,
        }
        self.policies = [{"id": str(p.id), "title": p.title} for p in await run(policies.list_policies, actor) if p.version]
        self.keys = [
            {
                "key_id": k.key_id,
                "algorithm": k.algorithm,
                "source": k.source,
                "subject": k.subject,
                "fingerprint": k.fingerprint,
                "created": local_text(k.created_at),
                "not_after": k.not_after.date().isoformat(),
                "retired": local_text(k.retired_at) if k.retired_at else "",
            }
            for k in await run(company_key.listing, actor)
        ]

    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        self.error = self.settings_error = self.key_error = ""
        self.key_files, self._key_bytes = [], []
        await run(company_key.ensure, now())
        await self._refresh(actor)
        await self._refresh_settings(actor)
        self.form_key += 1
        await self._fill_shell(actor)

    @handler(Role.hr)
    async def show_closed(self, actor: Actor, value: bool):
        self.closed = value
        await self._refresh(actor)

    @handler(Role.hr)
    async def open_for(self, actor: Actor, form: OpenForm):
        try:
            case_id = await run(cases.open_case, actor, now(), employee_no=form.employee_no)
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return None
        return rx.redirect(f"{routes.CASE}?c={case_id}")

    @handler(Role.hr)
    async def open_streak(self, actor: Actor, streak_id: str):
        if not streak_id.isdigit():
            return None
        try:
            case_id = await run(cases.open_case, actor, now(), streak_id=int(streak_id))
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return None
        return rx.redirect(f"{routes.CASE}?c={case_id}")

    @handler(Role.hr)
    async def save_settings(self, actor: Actor, form: SettingsForm):
        try:
            await run(cases.save_settings, actor, form.model_dump(), now())
        except DomainError as error:
            self.settings_error = self._t(error.key, **error.params)
            return None
        self.settings_error = ""
        await self._refresh_settings(actor)
        return rx.toast.success(self._t("case.settings_saved"))

    @handler(Role.hr)
    async def rotate_key(self, actor: Actor):
        await run(company_key.rotate, actor, now())
        await self._refresh_settings(actor)
        return rx.toast.success(self._t("key.rotated"))

    @handler(Role.hr)
    async def add_key_files(self, actor: Actor, files: list[rx.UploadFile]):
        self.key_error = ""
        for upload in files[:2]:
            data = await upload.read(company_key.MAX_UPLOAD + 1)
            self._key_bytes = [*self._key_bytes[-1:], ((upload.filename or "")[:120], data)]
        self.key_files = [name for name, _ in self._key_bytes]
        return rx.clear_selected_files(KEY_UPLOAD)

    @handler(Role.hr)
    async def upload_key(self, actor: Actor, form: KeyForm):
        if len(self._key_bytes) != 2:
            self.key_error = self._t("key.two_files")
            return None
        first, second = self._key_bytes[0][1], self._key_bytes[1][1]
        certificate, private_key = (second, first) if b"PRIVATE KEY" in first else (first, second)
        try:
            await run(company_key.upload, actor, certificate, private_key, form.password, now())
        except DomainError as error:
            self.key_error = self._t(error.key, **error.params)
            return None
        self.key_error, self.key_files, self._key_bytes = "", [], []
        await self._refresh_settings(actor)
        return rx.toast.success(self._t("key.uploaded"))


def _candidates() -> rx.Component:
    return rx.cond(
        CasesState.candidates.length() > 0,
        card(
            rx.heading(T("case.candidates_title"), size="4"),
            rx.text(T("case.candidates_hint"), size="1", color_scheme="gray"),
            rx.foreach(
                CasesState.candidates,
                lambda c: rx.hstack(
                    rx.text(c["name"], " ", rx.text(c["employee_no"], as_="span", size="1", color_scheme="gray"), size="2"),
                    rx.text(T_fmt("case.candidate_days", days=c["days"], since=c["since"]), size="2", color_scheme="red"),
                    rx.spacer(),
                    rx.button(T("case.open_case"), size="1", on_click=CasesState.open_streak(c["streak"]), class_name="case-open-streak"),
                    width="100%",
                    align="center",
                    class_name="case-candidate",
                ),
            ),
        ),
    )


def _open_card() -> rx.Component:
    return card(
        rx.heading(T("case.open_by_hand"), size="4"),
        rx.form(
            rx.hstack(
                rx.el.label(rx.text(T("field.employee_no"), size="2"), rx.input(name="employee_no", max_length=32), style=LABEL),
                rx.button(T("case.open_case"), type="submit", id="case-open-submit"),
                align="end",
                width="100%",
            ),
            on_submit=CasesState.open_for,
            reset_on_submit=False,
            width="100%",
        ),
    )


def _settings_card() -> rx.Component:
    s = CasesState.settings
    return card(
        rx.heading(T("case.settings_title"), size="4"),
        rx.form(
            rx.vstack(
                rx.grid(
                    rx.el.label(
                        rx.text(T("case.streak_days"), size="2"),
                        rx.input(name="streak_days", default_value=s.get("streak_days", "3"), type="number", min=1, max=30),
                        style=LABEL,
                    ),
                    rx.el.label(
                        rx.text(T("case.return_days"), size="2"),
                        rx.input(name="return_days", default_value=s.get("return_days", "3"), type="number", min=1, max=30),
                        style=LABEL,
                    ),
                    rx.el.label(
                        rx.text(T("case.approvers"), size="2"),
                        rx.input(name="approvers", default_value=s.get("approvers", ""), max_length=200, placeholder="E4001, E1001"),
                        rx.text(T("case.approvers_hint"), size="1", color_scheme="gray"),
                        style=LABEL,
                    ),
                    rx.el.label(
                        rx.text(T("case.union_no"), size="2"),
                        rx.input(name="union_no", default_value=s.get("union_no", ""), max_length=32),
                        style=LABEL,
                    ),
                    rx.el.label(
                        rx.text(T("case.union_name"), size="2"),
                        rx.input(name="union_name", default_value=s.get("union_name", ""), max_length=100),
                        style=LABEL,
                    ),
                    rx.el.label(
                        rx.text(T("case.policy"), size="2"),
                        rx.el.select(
                            rx.el.option(T("case.policy_none"), value=""),
                            rx.foreach(CasesState.policies, lambda p: rx.el.option(p["title"], value=p["id"])),
                            name="policy_id",
                            default_value=s.get("policy_id", ""),
                            style=SELECT,
                        ),
                        style=LABEL,
                    ),
                    columns=rx.breakpoints(initial="1", md="3"),
                    spacing="3",
                    width="100%",
                ),
                rx.el.label(
                    rx.text(T("case.rule_text"), size="2"),
                    rx.text_area(name="rule_text", default_value=s.get("rule_text", ""), max_length=500, rows="2", width="100%"),
                    rx.text(T("case.rule_text_hint"), size="1", color_scheme="gray"),
                    style=LABEL,
                ),
                rx.cond(
                    CasesState.settings_error != "",
                    rx.callout(CasesState.settings_error, color_scheme="red", size="1", id="settings-error"),
                ),
                rx.button(T("employee.save"), type="submit", id="case-settings-save"),
                spacing="3",
                width="100%",
            ),
            on_submit=CasesState.save_settings,
            reset_on_submit=False,
            width="100%",
            key=CasesState.form_key,
        ),
        id="case-settings",
    )


def _key_card() -> rx.Component:
    return card(
        rx.heading(T("key.title"), size="4"),
        rx.text(T("key.hint"), size="1", color_scheme="gray"),
        rx.foreach(
            CasesState.keys,
            lambda k: rx.vstack(
                rx.hstack(
                    rx.text(k["subject"], size="2", weight="medium"),
                    rx.cond(
                        k["retired"] == "", rx.badge(T("key.active"), color_scheme="green"), rx.badge(T("key.retired"), color_scheme="gray")
                    ),
                    rx.badge(T_var("key.source.", k["source"].to(str)), variant="outline"),
                    wrap="wrap",
                ),
                rx.text(T("key.fingerprint"), " ", rx.code(k["fingerprint"], size="1", style={"wordBreak": "break-all"}), size="1"),
                rx.text(T_fmt("key.valid", created=k["created"], until=k["not_after"]), size="1", color_scheme="gray"),
                spacing="1",
                width="100%",
                class_name="company-key",
            ),
        ),
        rx.hstack(
            rx.button(T("key.rotate"), variant="soft", on_click=CasesState.rotate_key, id="key-rotate"),
            spacing="2",
        ),
        rx.form(
            rx.vstack(
                rx.text(T("key.upload_hint"), size="1", color_scheme="gray"),
                upload_zone(
                    rx.hstack(rx.icon("key-round", size=16), rx.text(T("key.choose_files"), size="2"), align="center", spacing="2"),
                    upload_id=KEY_UPLOAD,
                    padding="0.6em",
                    max_files=2,
                    on_drop=CasesState.add_key_files(rx.upload_files(upload_id=KEY_UPLOAD)),
                ),
                rx.foreach(CasesState.key_files, lambda n: rx.text(n, size="1")),
                rx.el.label(rx.text(T("key.password"), size="2"), rx.input(name="password", type="password", max_length=200), style=LABEL),
                rx.cond(CasesState.key_error != "", rx.callout(CasesState.key_error, color_scheme="red", size="1", id="key-error")),
                rx.button(T("key.upload"), type="submit", variant="soft", id="key-upload"),
                spacing="2",
                width="100%",
            ),
            on_submit=CasesState.upload_key,
            reset_on_submit=True,
            width="100%",
        ),
        id="company-key-card",
    )


def cases_page() -> rx.Component:
    return page(
        rx.hstack(
            rx.text(T("case.list_hint"), size="2", color_scheme="gray"),
            rx.spacer(),
            rx.el.label(
                rx.hstack(
                    rx.switch(checked=CasesState.closed, on_change=CasesState.show_closed, aria_label=T("case.show_closed")),
                    rx.text(T("case.show_closed"), size="2"),
                    align="center",
                ),
            ),
            width="100%",
            align="center",
        ),
        rx.cond(CasesState.error != "", rx.callout(CasesState.error, color_scheme="red", size="1", id="cases-error")),
        _candidates(),
        rx.cond(CasesState.rows.length() == 0, rx.text(T("case.none"), size="2", color_scheme="gray")),
        data_table(
            ("case.number_col", "field.name", "case.stage_col", "case.opened_col", "case.deadline_col"),
            CasesState.rows,
            lambda r: rx.table.row(
                rx.table.cell(rx.link(r["number"], href=f"{routes.CASE}?c=" + r["id"].to(str), underline="always")),
                rx.table.cell(r["name"], " ", rx.text(r["employee_no"], as_="span", size="1", color_scheme="gray")),
                rx.table.cell(_stage_badge(r["stage"])),
                rx.table.cell(r["opened"]),
                rx.table.cell(rx.cond(r["overdue"] != "", rx.text(r["deadline"], color_scheme="red", weight="bold"), r["deadline"])),
                class_name="case-row",
            ),
        ),
        _open_card(),
        _settings_card(),
        _key_card(),
        title_key="case.list_title",
        wide=True,
    )


# ---- /case?c= ----------------------------------------------------------------------------------


class ChannelsForm(Form):
    ch_inapp: str = Field(default="", max_length=4)
    ch_wecom: str = Field(default="", max_length=4)
    ch_sms: str = Field(default="", max_length=4)
    ch_email: str = Field(default="", max_length=4)

    def picked(self) -> list[str]:
        return [c for c in CHANNELS if getattr(self, f"ch_{c}") == "on"]


class TextForm(Form):
    text: str = Field(default="", max_length=1000)


class ResolveForm(Form):
    resolution: str = Field(default="", max_length=16)
    text: str = Field(default="", max_length=1000)


class RecordForm(Form):
    kind: str = Field(default="", max_length=24)
    at: str = Field(default="", max_length=16)
    number: str = Field(default="", max_length=32)
    outcome: str = Field(default="", max_length=16)
    text: str = Field(default="", max_length=1000)


class PostedForm(Form):
    notice: str = Field(default="", max_length=12)
    tracking_no: str = Field(default="", max_length=32)


class UnionForm(Form):
    reason: str = Field(default="", max_length=1000)
    reply_by: str = Field(default="", max_length=10)


class UnionReplyForm(Form):
    replied_on: str = Field(default="", max_length=10)
    text: str = Field(default="", max_length=1000)


class CaseState(SessionState):
    view: dict[str, str] = {}
    confirmed: list[dict[str, str]] = []
    phones: list[dict[str, str]] = []
    notices: list[dict[str, str]] = []
    entries: list[dict[str, str]] = []
    exports: list[dict[str, str]] = []
    error: str = ""
    file_name: str = ""
    form_key: int = 0
    _case_id: int = 0
    _file: tuple[str, str] = ("", "")

    async def _show(self, actor: Actor) -> None:
        moment = now()
        v = await run(case_timeline.view, actor, self._case_id, moment)
        lang = self.lang
        zone = ZoneInfo(get_settings().timezone)
        self.view = {
            "id": str(v.id),
            "number": v.number,
            "name": v.name,
            "employee_no": v.employee_no,
            "department": v.department,
            "stage": v.stage,
            "opened": local_text(v.opened_at),
            "first_missing": v.first_missing.isoformat(),
            "days": str(v.days),
            "deadline": rules.deadline_text(v.deadline_at, zone) if v.deadline_at else "",
            "deadline_passed": "1" if v.deadline_passed else "",
            "reaction": v.reaction,
            "outcome": case_timeline.outcome_text(v.outcome, self.lang),
            "union_notified": "1" if v.union_notified else "",
            "union_replied": "1" if v.union_replied else "",
            "rule": (f"《{v.rule_title}》v{v.rule_version}" if v.rule_title else ""),
            "rule_signed": local_text(v.rule_signed_at) if v.rule_signed_at else "",
            "separation": f"{routes.SEPARATION}?s={v.separation_id}" if v.separation_id else "",
            "is_hr": "1" if v.is_hr else "",
            "may_record": "1" if v.may_record else "",
            "my_step": "1" if v.my_step_id else "",
            "closed": "1" if v.stage in rules.CLOSED_STAGES else "",
        }
        self.confirmed = [{"value": c, "label": self._t(f"channel.name.{c}")} for c in v.confirmed if c in CHANNELS]
        self.phones = [{"value": n, "label": f"{self._t(k)} {n}"} for k, n in v.phones]
        self.notices = [
            {
                "id": str(n.id),
                "number": n.number,
                "kind": n.kind,
                "sent": local_text(n.sent_at),
                "sha": n.sha256,
                "url": file_links.link("case_notice", n.id, actor, moment),
                "page": f"{routes.NOTICE}?n={n.number}",
            }
            for n in v.notices
        ]
        entries = []
        for e in v.entries:
            title, lines = case_timeline.describe(e, lang)
            entries.append(
                {
                    "at": f"{e.at.astimezone(zone):%Y-%m-%d %H:%M}" if e.kind != "missing" else e.at.astimezone(zone).date().isoformat(),
                    "title": title,
                    "lines": "\n".join(lines),
                    "kind": e.kind.split(".")[0],
                    "url": file_links.link(e.file[0], e.file[1], actor, moment) if e.file else "",
                }
            )
        self.entries = list(reversed(entries))
        if v.is_hr:
            self.exports = [
                {
                    "name": x.file_name,
                    "size": f"{x.size / 1024:.0f} KB",
                    "created": local_text(x.created_at),
                    "url": file_links.link("evidence", x.id, actor, moment),
                }
                for x in await run(evidence.exports, actor, self._case_id)
            ]

    @handler(page_load=True)
    async def load(self, actor: Actor):
        raw = self.router.url.query_parameters.get("c", "")
        if not raw.isdigit():
            return rx.redirect(routes.CASES if actor.has_role(Role.hr) else routes.HOME)
        self._case_id = int(raw)
        self.error, self.file_name, self._file = "", "", ("", "")
        await self._show(actor)
        self.form_key += 1
        await self._fill_shell(actor)

    async def _do(self, actor: Actor, fn, *args, done_key: str = "", **kwargs):  # noqa: ANN001, ANN202
        try:
            await run(fn, actor, self._case_id, *args, **kwargs)
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return None
        self.error, self.file_name, self._file = "", "", ("", "")
        self.form_key += 1
        await self._show(actor)
        return rx.toast.success(self._t(done_key or "case.saved"))

    @handler()
    async def approve(self, actor: Actor, form: TextForm):
        return await self._do(actor, cases.decide, True, form.text, now(), done_key="approval.approved_done")

    @handler()
    async def reject(self, actor: Actor, form: TextForm):
        return await self._do(actor, cases.decide, False, form.text, now(), done_key="approval.rejected_done")

    @handler(Role.hr)
    async def send_return(self, actor: Actor, form: ChannelsForm):
        return await self._do(actor, cases.send_return_notice, form.picked(), now(), done_key="case.notice_sent")

    @handler(Role.hr)
    async def terminate(self, actor: Actor, form: ChannelsForm):
        return await self._do(actor, cases.send_termination, form.picked(), now(), done_key="case.notice_sent")

    @handler(Role.hr)
    async def propose(self, actor: Actor, form: TextForm):
        return await self._do(actor, cases.propose, form.text, now(), done_key="case.proposed")

    @handler(Role.hr)
    async def go_on(self, actor: Actor, form: TextForm):
        return await self._do(actor, cases.continue_case, form.text, now())

    @handler(Role.hr)
    async def resolve(self, actor: Actor, form: ResolveForm):
        return await self._do(actor, cases.resolve, form.resolution, form.text, now(), done_key="case.resolved")

    @handler()
    async def add_file(self, actor: Actor, files: list[rx.UploadFile]):
        self.error = ""
        limit = leave_requests.get_settings().attachment_max_bytes
        for upload in files[:1]:
            data = await upload.read(limit + 1)
            try:
                await run(cases.visible, actor, self._case_id)
                checked = await asyncio.to_thread(leave_requests.stage_attachment, actor, data, upload.filename or "", True)
            except DomainError as error:
                self.error = self._t(error.key, **error.params)
                continue
            self._file, self.file_name = (checked.sha256, checked.name), checked.name
        return [rx.clear_selected_files(RECORDING_UPLOAD), rx.clear_selected_files(POSTED_UPLOAD), rx.clear_selected_files(UNION_UPLOAD)]

    @handler()
    async def add_record(self, actor: Actor, form: RecordForm):
        try:
            at = _local_input(form.at) if form.at.strip() else now()
        except DomainError as error:
            self.error = self._t(error.key)
            return None
        return await self._do(
            actor,
            cases.add_event,
            form.kind,
            at,
            form.text,
            now(),
            number=form.number,
            outcome=form.outcome,
            file_sha256=self._file[0],
            file_name=self._file[1],
        )

    @handler(Role.hr)
    async def posted(self, actor: Actor, form: PostedForm):
        if not form.notice.isdigit():
            self.error = self._t("case.choose_notice")
            return None
        return await self._do(actor, cases.add_posted, int(form.notice), form.tracking_no, self._file[0], self._file[1], now())

    @handler(Role.hr)
    async def union_notice(self, actor: Actor, form: UnionForm):
        try:
            reply_by = _day(form.reply_by) if form.reply_by.strip() else None
        except DomainError as error:
            self.error = self._t(error.key)
            return None
        return await self._do(actor, cases.notify_union, form.reason, reply_by, now(), file_sha256=self._file[0], file_name=self._file[1])

    @handler(Role.hr)
    async def union_reply(self, actor: Actor, form: UnionReplyForm):
        try:
            replied_on = _day(form.replied_on)
        except DomainError as error:
            self.error = self._t(error.key)
            return None
        return await self._do(actor, cases.union_reply, replied_on, form.text, now(), file_sha256=self._file[0], file_name=self._file[1])

    @handler(Role.hr)
    async def export(self, actor: Actor, english: bool):
        try:
            await run(evidence.export, actor, self._case_id, now(), english)
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return None
        self.error = ""
        await self._show(actor)
        return rx.toast.success(self._t("case.exported"))


def _field(label_key: str, control: rx.Component, hint_key: str = "") -> rx.Component:
    return rx.el.label(
        rx.text(T(label_key), size="2"), control, *([rx.text(T(hint_key), size="1", color_scheme="gray")] if hint_key else []), style=LABEL
    )


def _channels_form(handler, submit_key: str, submit_id: str, hint_key: str) -> rx.Component:  # noqa: ANN001
    return rx.form(
        rx.vstack(
            rx.text(T(hint_key), size="1", color_scheme="gray"),
            rx.hstack(
                rx.foreach(
                    CaseState.confirmed,
                    lambda c: rx.el.label(
                        rx.hstack(
                            rx.checkbox(name="ch_" + c["value"].to(str), default_checked=True, aria_label=c["label"]),
                            rx.text(c["label"], size="2"),
                            align="center",
                        )
                    ),
                ),
                rx.cond(CaseState.confirmed.length() == 0, rx.text(T("case.no_confirmed_channels"), size="2", color_scheme="red")),
                wrap="wrap",
                spacing="4",
            ),
            rx.button(T(submit_key), type="submit", id=submit_id, color_scheme="red" if "termination" in submit_key else "blue"),
            spacing="2",
            width="100%",
        ),
        on_submit=handler,
        reset_on_submit=False,
        width="100%",
        key=CaseState.form_key,
    )


def _text_form(handler, label_key: str, submit_key: str, submit_id: str, colour: str = "blue") -> rx.Component:  # noqa: ANN001
    return rx.form(
        rx.vstack(
            _field(label_key, rx.text_area(name="text", max_length=1000, rows="2", width="100%")),
            rx.button(T(submit_key), type="submit", id=submit_id, color_scheme=colour),
            spacing="2",
            width="100%",
        ),
        on_submit=handler,
        reset_on_submit=True,
        width="100%",
        key=CaseState.form_key,
    )


def _upload(upload_id: str, label_key: str, accept: dict) -> rx.Component:
    return rx.vstack(
        upload_zone(
            rx.hstack(rx.icon("paperclip", size=16), rx.text(T(label_key), size="2"), align="center", spacing="2"),
            upload_id=upload_id,
            padding="0.5em",
            accept=accept,
            max_files=1,
            on_drop=CaseState.add_file(rx.upload_files(upload_id=upload_id)),
        ),
        rx.cond(CaseState.file_name != "", rx.text(CaseState.file_name, size="1", class_name="case-file-name")),
        width="100%",
        spacing="1",
    )


def _actions() -> rx.Component:
    v = CaseState.view
    stage = v.get("stage", "")
    return card(
        rx.heading(T("case.next_step"), size="4"),
        rx.cond(CaseState.error != "", rx.callout(CaseState.error, color_scheme="red", size="1", id="case-error")),
        rx.match(
            stage,
            (
                "open",
                rx.vstack(
                    rx.text(T_fmt("case.return_hint", days=v.get("days", "")), size="2"),
                    _channels_form(CaseState.send_return, "case.send_return", "case-send-return", "case.channels_hint"),
                    width="100%",
                ),
            ),
            (
                "notice_sent",
                rx.cond(
                    v.get("deadline_passed", "") != "",
                    rx.vstack(
                        rx.callout(T_fmt("case.deadline_passed", deadline=v.get("deadline", "")), color_scheme="red", size="1"),
                        _text_form(CaseState.propose, "case.proposal_reason", "case.propose", "case-propose", "red"),
                        width="100%",
                    ),
                    rx.callout(
                        T_fmt("case.deadline_running", deadline=v.get("deadline", "")), color_scheme="amber", size="1", id="case-deadline"
                    ),
                ),
            ),
            (
                "paused",
                rx.vstack(
                    rx.callout(T("case.paused_hint"), color_scheme="blue", size="1"),
                    _text_form(CaseState.go_on, "case.continue_reason", "case.continue", "case-continue"),
                    width="100%",
                ),
            ),
            ("approval", rx.callout(T("case.approval_hint"), color_scheme="amber", size="1", id="case-approval-hint")),
            (
                "approved",
                rx.vstack(
                    rx.cond(
                        v.get("union_notified", "") == "",
                        rx.vstack(
                            rx.heading(T("case.union_title"), size="3"),
                            rx.text(T("case.union_hint"), size="1", color_scheme="gray"),
                            rx.form(
                                rx.vstack(
                                    _field("case.union_reason", rx.text_area(name="reason", max_length=1000, rows="2", width="100%")),
                                    _field("case.union_reply_by", rx.input(name="reply_by", type="date")),
                                    _upload(UNION_UPLOAD, "case.union_upload", {"image/*": [], "application/pdf": []}),
                                    rx.button(T("case.union_send"), type="submit", id="case-union-send"),
                                    spacing="2",
                                    width="100%",
                                ),
                                on_submit=CaseState.union_notice,
                                reset_on_submit=False,
                                width="100%",
                                key=CaseState.form_key,
                            ),
                            width="100%",
                        ),
                        rx.vstack(
                            rx.callout(T("case.union_done"), color_scheme="green", size="1"),
                            rx.cond(
                                v.get("union_replied", "") == "",
                                rx.form(
                                    rx.hstack(
                                        _field("case.union_replied_on", rx.input(name="replied_on", type="date")),
                                        _field("case.union_reply_text", rx.input(name="text", max_length=1000)),
                                        rx.button(T("case.union_reply_save"), type="submit", variant="soft", id="case-union-reply"),
                                        align="end",
                                        width="100%",
                                        wrap="wrap",
                                    ),
                                    on_submit=CaseState.union_reply,
                                    reset_on_submit=False,
                                    width="100%",
                                    key=CaseState.form_key,
                                ),
                            ),
                            rx.heading(T("case.termination_title"), size="3"),
                            _channels_form(CaseState.terminate, "case.send_termination", "case-send-termination", "case.termination_hint"),
                            width="100%",
                        ),
                    ),
                    width="100%",
                ),
            ),
            (
                "terminated",
                rx.vstack(
                    rx.callout(T("case.terminated_hint"), color_scheme="red", size="1"),
                    rx.cond(
                        v.get("separation", "") != "",
                        rx.link(T("case.to_separation"), href=v.get("separation", ""), underline="always", id="case-separation-link"),
                    ),
                ),
            ),
            ("resolved", rx.callout(v.get("outcome", ""), color_scheme="green", size="1")),
            rx.fragment(),
        ),
        rx.cond(
            (v.get("closed", "") == "") & (stage != "open"),
            rx.el.details(
                rx.el.summary(T("case.resolve_title"), style={"cursor": "pointer"}),
                rx.form(
                    rx.vstack(
                        _field(
                            "case.resolution",
                            rx.el.select(
                                *(rx.el.option(T(f"case.value.{r.value}"), value=r.value) for r in rules.Resolution),
                                name="resolution",
                                style=SELECT,
                            ),
                        ),
                        _field("case.resolution_text", rx.text_area(name="text", max_length=1000, rows="2", width="100%")),
                        rx.button(T("case.resolve"), type="submit", variant="soft", color_scheme="green", id="case-resolve"),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=CaseState.resolve,
                    reset_on_submit=False,
                    width="100%",
                    key=CaseState.form_key,
                ),
            ),
        ),
        id="case-actions",
    )


def _record_card() -> rx.Component:
    return card(
        rx.heading(T("case.record_title"), size="4"),
        rx.text(T("case.record_hint"), size="1", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.grid(
                    _field(
                        "case.record_kind",
                        rx.el.select(
                            *(rx.el.option(T(f"case.tl.event.{k.value}"), value=k.value) for k in rules.MANUAL_KINDS),
                            name="kind",
                            style=SELECT,
                        ),
                    ),
                    _field("case.record_at", rx.input(name="at", type="datetime-local"), "case.record_at_hint"),
                    _field(
                        "case.record_number",
                        rx.el.select(
                            rx.el.option("—", value=""),
                            rx.foreach(CaseState.phones, lambda p: rx.el.option(p["label"], value=p["value"])),
                            name="number",
                            style=SELECT,
                        ),
                    ),
                    _field(
                        "case.record_outcome",
                        rx.el.select(
                            rx.el.option("—", value=""),
                            *(rx.el.option(T(f"case.value.{o.value}"), value=o.value) for o in rules.CallOutcome),
                            name="outcome",
                            style=SELECT,
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="3",
                    width="100%",
                ),
                _field("case.record_text", rx.text_area(name="text", max_length=1000, rows="2", width="100%")),
                _upload(RECORDING_UPLOAD, "case.record_file", {"audio/*": [], "image/*": [], "application/pdf": []}),
                rx.button(T("case.record_save"), type="submit", id="case-record-save"),
                spacing="2",
                width="100%",
            ),
            on_submit=CaseState.add_record,
            reset_on_submit=False,
            width="100%",
            key=CaseState.form_key,
        ),
        id="case-record",
    )


def _decision_card() -> rx.Component:
    """An approver of the termination decides here, with the case's record in front of them."""
    return rx.cond(
        CaseState.view.get("my_step", "") != "",
        card(
            rx.heading(T("case.decide_title"), size="4"),
            rx.text(T("case.decide_hint"), size="2"),
            rx.cond(CaseState.error != "", rx.callout(CaseState.error, color_scheme="red", size="1")),
            rx.form(
                rx.vstack(
                    _field("case.decide_comment", rx.text_area(name="text", max_length=1000, rows="2", width="100%")),
                    rx.hstack(
                        rx.button(T("approval.approve"), type="submit", color_scheme="green", id="case-approve"),
                        spacing="2",
                    ),
                    width="100%",
                ),
                on_submit=CaseState.approve,
                reset_on_submit=False,
                width="100%",
                key=CaseState.form_key,
            ),
            rx.el.details(
                rx.el.summary(T("approval.reject"), style={"cursor": "pointer"}),
                rx.form(
                    rx.vstack(
                        _field("approval.comment_hint", rx.text_area(name="text", max_length=1000, rows="2", width="100%")),
                        rx.button(T("approval.reject"), type="submit", color_scheme="red", variant="soft", id="case-reject"),
                        width="100%",
                    ),
                    on_submit=CaseState.reject,
                    reset_on_submit=False,
                    width="100%",
                    key=CaseState.form_key,
                ),
            ),
            id="case-decision",
        ),
    )


def _notices_card() -> rx.Component:
    return card(
        rx.heading(T("case.notices_title"), size="4"),
        rx.foreach(
            CaseState.notices,
            lambda n: rx.vstack(
                rx.hstack(
                    rx.link(n["number"], href=n["url"], is_external=True, underline="always", class_name="case-notice-link"),
                    rx.text(T_var("case.notice_kind.", n["kind"].to(str)), size="2"),
                    rx.text(n["sent"], size="1", color_scheme="gray"),
                    wrap="wrap",
                    align="center",
                ),
                rx.text("SHA-256 ", rx.code(n["sha"], size="1"), size="1", style={"wordBreak": "break-all"}),
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(
            (CaseState.notices.length() > 0) & (CaseState.view.get("is_hr", "") != ""),
            rx.el.details(
                rx.el.summary(T("case.posted_title"), style={"cursor": "pointer"}),
                rx.form(
                    rx.vstack(
                        _field(
                            "case.detail.notice",
                            rx.el.select(
                                rx.foreach(CaseState.notices, lambda n: rx.el.option(n["number"], value=n["id"])),
                                name="notice",
                                style=SELECT,
                            ),
                        ),
                        _field("case.detail.tracking_no", rx.input(name="tracking_no", max_length=32)),
                        _upload(POSTED_UPLOAD, "case.posted_photo", {"image/*": [], "application/pdf": []}),
                        rx.button(T("case.record_save"), type="submit", variant="soft", id="case-posted-save"),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=CaseState.posted,
                    reset_on_submit=False,
                    width="100%",
                    key=CaseState.form_key,
                ),
            ),
        ),
    )


def _evidence_card() -> rx.Component:
    return rx.cond(
        CaseState.view.get("is_hr", "") != "",
        card(
            rx.heading(T("case.evidence_title"), size="4"),
            rx.text(T("case.evidence_hint"), size="1", color_scheme="gray"),
            rx.hstack(
                rx.button(
                    rx.icon("package", size=14),
                    T("case.export"),
                    on_click=CaseState.export(False),
                    id="case-export",
                ),
                rx.button(T("case.export_bilingual"), variant="soft", on_click=CaseState.export(True), id="case-export-bilingual"),
                spacing="2",
                wrap="wrap",
            ),
            rx.foreach(
                CaseState.exports,
                lambda x: rx.hstack(
                    rx.link(
                        rx.icon("download", size=14),
                        x["name"],
                        href=x["url"],
                        is_external=True,
                        underline="always",
                        class_name="case-bundle",
                    ),
                    rx.text(x["size"], " · ", x["created"], size="1", color_scheme="gray"),
                    align="center",
                    wrap="wrap",
                ),
            ),
            id="case-evidence",
        ),
    )


def _timeline() -> rx.Component:
    return card(
        rx.heading(T("case.timeline_title"), size="4"),
        rx.foreach(
            CaseState.entries,
            lambda e: rx.hstack(
                rx.text(e["at"], size="1", color_scheme="gray", min_width="8.5em", font_family="monospace"),
                rx.vstack(
                    rx.text(e["title"], size="2", weight="medium"),
                    rx.cond(e["lines"] != "", rx.text(e["lines"], size="1", color_scheme="gray", style={"whiteSpace": "pre-wrap"})),
                    rx.cond(e["url"] != "", rx.link(T("case.open_file"), href=e["url"], is_external=True, size="1", underline="always")),
                    spacing="0",
                    width="100%",
                ),
                width="100%",
                align="start",
                padding_y="0.35em",
                border_bottom="1px solid var(--gray-a4)",
                class_name=rx.cond(e["kind"] == "missing", "case-entry case-entry-missing", "case-entry"),
            ),
        ),
        id="case-timeline",
    )


def case_page() -> rx.Component:
    v = CaseState.view
    return page(
        rx.hstack(
            rx.link(T("case.list_title"), href=routes.CASES, size="2"),
            width="100%",
        ),
        card(
            rx.hstack(
                rx.heading(v.get("name", ""), " ", rx.text(v.get("employee_no", ""), as_="span", size="2", color_scheme="gray"), size="5"),
                _stage_badge(v.get("stage", "")),
                rx.spacer(),
                rx.text(v.get("number", ""), size="2", font_family="monospace", id="case-number"),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                v.get("department", ""),
                " · ",
                T_fmt("case.missing_summary", days=v.get("days", ""), since=v.get("first_missing", "")),
                size="2",
            ),
            rx.cond(v.get("deadline", "") != "", rx.text(T_fmt("case.deadline_line", deadline=v.get("deadline", "")), size="2")),
            rx.cond(
                v.get("rule", "") != "",
                rx.text(
                    T("case.rule_cited"),
                    " ",
                    v.get("rule", ""),
                    " · ",
                    rx.cond(
                        v.get("rule_signed", "") != "", T_fmt("case.rule_signed_at", at=v.get("rule_signed", "")), T("case.rule_unsigned")
                    ),
                    size="1",
                    color_scheme="gray",
                ),
            ),
        ),
        rx.grid(
            rx.vstack(
                _decision_card(),
                rx.cond(CaseState.view.get("is_hr", "") != "", _actions()),
                _notices_card(),
                _evidence_card(),
                spacing="3",
                width="100%",
            ),
            rx.vstack(
                rx.cond((CaseState.view.get("may_record", "") != "") & (CaseState.view.get("closed", "") == ""), _record_card()),
                spacing="3",
                width="100%",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        _timeline(),
        title_key="case.title",
        wide=True,
    )


# ---- /notice?n= (the employee, on a phone) ----------------------------------------------------------


class ReplyForm(Form):
    text: str = Field(default="", max_length=1000)


class NoticeState(SessionState):
    notice: dict[str, str] = {}
    error: str = ""
    form_key: int = 0
    _number: str = ""

    async def _show(self, actor: Actor) -> None:
        moment = now()
        v = await run(cases.notice_view, actor, self._number, moment)
        zone = ZoneInfo(get_settings().timezone)
        self.notice = {
            "number": v.number,
            "kind": v.kind,
            "text": v.text_en if self.lang == "en" else v.text_zh,
            "other": v.text_zh if self.lang == "en" else v.text_en,
            "sha": v.sha256,
            "sent": local_text(v.sent_at),
            "deadline": rules.deadline_text(v.deadline_at, zone) if v.deadline_at else "",
            "acknowledged": local_text(v.acknowledged_at) if v.acknowledged_at else "",
            "replied": "1" if v.replied else "",
            "mine": "1" if v.is_recipient else "",
            "url": file_links.link("case_notice", v.id, actor, moment),
        }

    @handler(page_load=True)
    async def load(self, actor: Actor):
        self._number = self.router.url.query_parameters.get("n", "")[:16]
        self.error = ""
        await self._show(actor)
        self.form_key += 1
        await self._fill_shell(actor)

    @handler()
    async def acknowledge(self, actor: Actor):
        try:
            await run(cases.acknowledge_notice, actor, self._number, now())
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return None
        await self._show(actor)
        return rx.toast.success(self._t("case.acknowledged"))

    @handler()
    async def reply(self, actor: Actor, form: ReplyForm):
        try:
            await run(cases.reply, actor, self._number, form.text, now())
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return None
        self.error = ""
        self.form_key += 1
        await self._show(actor)
        return rx.toast.success(self._t("case.reply_sent"))


def notice_page() -> rx.Component:
    n = NoticeState.notice
    return page(
        card(
            rx.hstack(
                rx.heading(T_var("case.notice_kind.", n.get("kind", "return").to(str)), size="5"),
                rx.spacer(),
                rx.text(n.get("number", ""), size="1", font_family="monospace"),
                width="100%",
                align="center",
            ),
            rx.text(T_fmt("case.notice_sent_at", at=n.get("sent", "")), size="1", color_scheme="gray"),
            rx.cond(
                n.get("deadline", "") != "",
                rx.callout(T_fmt("case.notice_deadline", deadline=n.get("deadline", "")), color_scheme="amber", size="1"),
            ),
            rx.text(n.get("text", ""), size="3", style={"whiteSpace": "pre-wrap"}, id="notice-text"),
            rx.el.details(
                rx.el.summary(T("case.notice_other_language"), style={"cursor": "pointer"}),
                rx.text(n.get("other", ""), size="2", color_scheme="gray", style={"whiteSpace": "pre-wrap"}),
            ),
            rx.link(
                rx.icon("file-text", size=14),
                T("case.notice_pdf"),
                href=n.get("url", ""),
                style={"display": "inline-flex", "alignItems": "center", "gap": "4px"},
                is_external=True,
                underline="always",
                id="notice-pdf",
            ),
            rx.text("SHA-256 ", rx.code(n.get("sha", ""), size="1"), size="1", style={"wordBreak": "break-all"}),
        ),
        rx.cond(
            n.get("mine", "") != "",
            card(
                rx.cond(NoticeState.error != "", rx.callout(NoticeState.error, color_scheme="red", size="1", id="notice-error")),
                rx.cond(
                    n.get("acknowledged", "") != "",
                    rx.callout(
                        T_fmt("case.acknowledged_at", at=n.get("acknowledged", "")),
                        color_scheme="green",
                        size="1",
                        id="notice-acknowledged",
                    ),
                    rx.button(T("case.acknowledge"), on_click=NoticeState.acknowledge, size="3", width="100%", id="notice-acknowledge"),
                ),
                rx.form(
                    rx.vstack(
                        _field("case.reply_label", rx.text_area(name="text", max_length=1000, rows="3", width="100%"), "case.reply_hint"),
                        rx.button(T("case.reply_send"), type="submit", variant="soft", width="100%", id="notice-reply"),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=NoticeState.reply,
                    reset_on_submit=True,
                    width="100%",
                    key=NoticeState.form_key,
                ),
                rx.cond(n.get("replied", "") != "", rx.text(T("case.replied"), size="1", color_scheme="gray", id="notice-replied")),
            ),
        ),
        title_key="case.notice_title",
    )


# ---- the dashboard panel --------------------------------------------------------------------------


class CasePanelState(SessionState):
    stages: list[dict[str, str]] = []
    candidates: list[dict[str, str]] = []
    error: str = ""

    @handler(Role.hr)
    async def load(self, actor: Actor):
        rows, candidates = await run(case_timeline.panel, actor, now())
        self.stages = [
            {"stage": r.stage, "count": str(r.count), "deadline": local_text(r.next_deadline) if r.next_deadline else ""} for r in rows
        ]
        self.candidates = [{"streak": str(c.streak_id), "name": c.name, "days": str(c.days)} for c in candidates[:5]]

    @handler(Role.hr)
    async def open_streak(self, actor: Actor, streak_id: str):
        if not streak_id.isdigit():
            return None
        try:
            case_id = await run(cases.open_case, actor, now(), streak_id=int(streak_id))
        except DomainError as error:
            self.error = self._t(error.key, **error.params)
            return None
        return rx.redirect(f"{routes.CASE}?c={case_id}")


def case_panel() -> rx.Component:
    return panel_frame(
        case_timeline.CASES,
        "dashboard.cases",
        rx.foreach(
            CasePanelState.stages,
            lambda s: rx.hstack(
                rx.text(T_var("case.stage.", s["stage"].to(str)), size="2"),
                rx.spacer(),
                rx.cond(s["deadline"] != "", rx.text(T_fmt("case.next_deadline", at=s["deadline"]), size="1", color_scheme="gray")),
                rx.badge(s["count"], color_scheme=rx.cond(s["count"] != "0", "red", "gray")),
                width="100%",
                class_name="case-panel-stage",
            ),
        ),
        rx.cond(CasePanelState.error != "", rx.callout(CasePanelState.error, color_scheme="red", size="1")),
        rx.foreach(
            CasePanelState.candidates,
            lambda c: rx.hstack(
                rx.text(T_fmt("case.candidate_line", name=c["name"], days=c["days"]), size="2", color_scheme="red"),
                rx.spacer(),
                rx.button(T("case.open_case"), size="1", on_click=CasePanelState.open_streak(c["streak"]), class_name="case-panel-open"),
                width="100%",
                align="center",
            ),
        ),
        rx.link(T("case.list_title"), href=routes.CASES, size="2", id="cases-link"),
    )


register(UiPanel(case_timeline.CASES, 15, case_panel, CasePanelState.load))
