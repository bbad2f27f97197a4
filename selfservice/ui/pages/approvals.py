"""The approvals inbox (审批), phone and desktop: pending items with what is needed to decide,
approve / reject with a comment, bulk approve, history, and the approver's delegation."""

from __future__ import annotations

from datetime import date

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor
from selfservice.domain.errors import DomainError
from selfservice.services import approvals, cases, leave_requests, overtime, separations
from selfservice.services.attendance import local_text
from selfservice.ui.components.confirm import confirm_button
from selfservice.ui.components.shell import card, page
from selfservice.ui.guard import Form, handler, now, run
from selfservice.ui.i18n import T, T_var
from selfservice.ui.pages.leave import trail_text
from selfservice.ui.session import SessionState


class DelegateForm(Form):
    delegate: str = Field(max_length=32)
    starts_on: str = Field(max_length=10)
    ends_on: str = Field(max_length=10)


def _item_row(entry: leave_requests.InboxItem, t) -> dict[str, str]:  # noqa: ANN001
    request, item = entry.request, entry.item
    return {
        "step_id": str(item.step_id),
        "workflow": item.workflow,
        "requester": item.requester,
        "department": request.department,
        "department_en": request.department_en,
        "type_name": request.type_name,
        "type_name_en": request.type_name_en,
        "start": request.start,
        "start_half": request.start_half,
        "end": request.end,
        "end_half": request.end_half,
        "days": request.days,
        "hours": "",
        "reason": request.reason,
        "balance_after": entry.balance_after,
        "overlapping": "；".join(
            f"{name} {start}–{end}（{t('leave.status.' + status)}）" for name, start, end, status in entry.overlapping
        ),
        "acting_for": item.approver if item.acting else "",
        "trail_zh": trail_text("zh-CN", request.trail),
        "trail_en": trail_text("en", request.trail),
        "due": local_text(item.due_at),
    }


def _overtime_row(entry: overtime.InboxItem) -> dict[str, str]:
    request, item = entry.request, entry.item
    return {
        "step_id": str(item.step_id),
        "workflow": item.workflow,
        "requester": item.requester,
        "department": request.department,
        "department_en": request.department_en,
        "type_name": "加班",
        "type_name_en": "Overtime",
        "start": request.work_date,
        "start_half": "am",
        "end": request.work_date,
        "end_half": "pm",
        "days": request.lieu_days,
        "hours": request.hours,
        "reason": request.reason,
        "balance_after": "",
        "overlapping": "",
        "acting_for": item.approver if item.acting else "",
        "trail_zh": trail_text("zh-CN", request.trail),
        "trail_en": trail_text("en", request.trail),
        "due": local_text(item.due_at),
    }


class ApprovalsState(SessionState):
    items: list[dict[str, str]] = []
    resignations: list[dict[str, str]] = []  # acknowledged on the separation page
    terminations: list[dict[str, str]] = []  # decided on the case's page, with its record
    handover: list[dict[str, str]] = []  # checklist items this person confirms
    files: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    selected: list[str] = []
    commenting: str = ""  # the step whose comment area is open
    comment: str = ""
    comment_error: str = ""
    delegations: list[dict[str, str]] = []
    delegate_error: str = ""
    tab: str = "pending"

    async def _refresh(self, actor: Actor) -> None:
        moment = now()
        entries = await run(leave_requests.inbox, actor, moment)
        self.items = [_item_row(e, self._t) for e in entries] + [_overtime_row(e) for e in await run(overtime.inbox, actor)]
        self.files = [
            {
                "step_id": str(e.item.step_id),
                "name": a.name,
                "image": "1" if a.content_type.startswith("image/") else "",
                "url": leave_requests.attachment_link(a.id, actor, moment),
            }
            for e in entries
            for a in e.request.attachments
        ]
        summary_key = "summary_en" if self.lang == "en" else "summary_zh"
        self.resignations = [
            {"id": str(i.subject_id), "requester": i.requester, "summary": about.get(summary_key, ""), "due": local_text(i.due_at)}
            for i, about in await run(separations.inbox, actor)
        ]
        self.terminations = [
            {"id": str(i.subject_id), "requester": i.requester, "summary": about.get(summary_key, ""), "due": local_text(i.due_at)}
            for i, about in await run(cases.inbox, actor)
        ]
        en = self.lang == "en"
        self.handover = [
            {
                "separation_id": str(h.separation_id),
                "employee": h.employee,
                "last_day": h.last_day.isoformat(),
                "stage": h.stage_name_en if en else h.stage_name,
                "title": h.title_en if en else h.title,
                "status": h.status,
                "overdue": "1" if h.overdue else "",
            }
            for h in await run(separations.my_items, actor, moment)
        ]
        live = {row["step_id"] for row in self.items}
        self.selected = [s for s in self.selected if s in live]
        history = await run(approvals.history_for, actor)
        about = await run(approvals.summaries, history)
        self.history = [
            {
                "step_id": str(h.step_id),
                "requester": h.requester,
                "status": h.status,
                "decided_by": h.decided_by,
                "on_behalf": h.on_behalf_of,
                "comment": h.comment,
                "decided_at": local_text(h.decided_at),  # the company's time zone, not raw UTC
                "workflow": h.workflow,
                "what_zh": about.get(h.step_id, {}).get("what_zh", ""),
                "what_en": about.get(h.step_id, {}).get("what_en", ""),
                "summary_zh": about.get(h.step_id, {}).get("summary_zh", ""),
                "summary_en": about.get(h.step_id, {}).get("summary_en", ""),
            }
            for h in history
        ]
        self.delegations = [
            {"id": str(d.id), "delegate": d.delegate, "starts_on": d.starts_on.isoformat(), "ends_on": d.ends_on.isoformat()}
            for d in await run(approvals.delegations, actor, moment)
        ]

    @handler(page_load=True)
    async def load(self, actor: Actor):
        self.commenting, self.comment, self.comment_error, self.delegate_error, self.selected, self.tab = "", "", "", "", [], "pending"
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler()
    async def show(self, actor: Actor, tab: str):
        self.tab = "history" if tab == "history" else "pending"

    async def _decide(self, actor: Actor, step_id: int, approve: bool):
        comment = self.comment if self.commenting == str(step_id) else ""
        try:
            await run(approvals.decide, actor, step_id, approve, comment, now())
        except DomainError as error:
            if self.commenting != str(step_id):
                raise
            self.comment_error = self._t(error.key, **error.params)
            return
        self.commenting, self.comment, self.comment_error = "", "", ""
        await self._refresh(actor)
        await self._fill_shell(actor)
        return rx.toast.success(self._t("approval.approved_done" if approve else "approval.rejected_done"), id="approval-done")

    @handler()
    async def approve(self, actor: Actor, step_id: int):
        """Approve; with the comment typed in the item's comment area, if it is open."""
        return await self._decide(actor, step_id, True)

    @handler()
    async def reject(self, actor: Actor, step_id: int):
        """Reject with the comment typed in the item's comment area (required)."""
        return await self._decide(actor, step_id, False)

    @handler()
    async def open_comment(self, actor: Actor, step_id: str):
        self.commenting, self.comment, self.comment_error = step_id[:12], "", ""

    @handler()
    async def close_comment(self, actor: Actor):
        self.commenting, self.comment, self.comment_error = "", "", ""

    @handler()
    async def set_comment(self, actor: Actor, text: str):
        self.comment = text[:500]

    @handler()
    async def toggle(self, actor: Actor, step_id: str):
        self.selected = [s for s in self.selected if s != step_id] if step_id in self.selected else [*self.selected, step_id[:12]]

    @handler()
    async def approve_selected(self, actor: Actor):
        """Bulk approve: each item decided on its own; one refusal does not undo the others."""
        done = failed = 0
        for step_id in self.selected:
            try:
                await run(approvals.decide, actor, int(step_id), True, "", now())
                done += 1
            except (DomainError, ValueError):
                failed += 1
        self.selected = []
        await self._refresh(actor)
        await self._fill_shell(actor)
        message = self._t("approval.bulk_done", done=done, failed=failed)
        return rx.toast.success(message, id="approval-bulk") if not failed else rx.toast.warning(message, id="approval-bulk")

    @handler()
    async def delegate(self, actor: Actor, form: DelegateForm):
        self.delegate_error = ""
        try:
            starts, ends = date.fromisoformat(form.starts_on), date.fromisoformat(form.ends_on)
        except ValueError:
            self.delegate_error = self._t("field.date_format", value=form.starts_on[:10])
            return
        try:
            await run(approvals.delegate, actor, form.delegate, starts, ends, now())
        except DomainError as error:
            self.delegate_error = self._t(error.key, **error.params)
            return
        await self._refresh(actor)
        return rx.toast.success(self._t("approval.delegation_saved"))

    @handler()
    async def revoke(self, actor: Actor, delegation_id: int):
        await run(approvals.revoke_delegation, actor, delegation_id, now())
        await self._refresh(actor)


def _half(half: rx.Var) -> rx.Var:
    return T_var("calendar.", half.to(str))


def _attachment(f: rx.Var) -> rx.Component:
    return rx.cond(
        f["image"] != "",
        rx.link(
            rx.image(src=f["url"], alt=f["name"], max_height="180px", border_radius="6px", class_name="approval-image"),
            href=f["url"],
            is_external=True,
        ),
        rx.link(
            rx.hstack(rx.icon("file-text", size=14), rx.text(f["name"], size="2")),
            href=f["url"],
            is_external=True,
            class_name="approval-file",
        ),
    )


def _item(row: rx.Var) -> rx.Component:
    step_id = row["step_id"]
    return card(
        rx.hstack(
            rx.checkbox(
                checked=ApprovalsState.selected.contains(step_id),
                aria_label=T("approval.select"),
                on_change=lambda _v: ApprovalsState.toggle(step_id),
                class_name="approval-select",
            ),
            rx.text(row["requester"], weight="bold"),
            rx.text(rx.cond(SessionState.lang == "en", row["department_en"], row["department"]), size="1", color_scheme="gray"),
            rx.spacer(),
            rx.badge(T_var("approval.kind.", row["workflow"].to(str))),
            width="100%",
            align="center",
        ),
        rx.cond(
            row["workflow"] == "overtime",
            rx.text(
                row["start"],
                " · ",
                rx.text.strong(row["hours"]),
                " ",
                T("overtime.hours_unit"),
                " · ",
                T("overtime.lieu"),
                " ",
                row["days"],
                " ",
                T("leave.days_unit"),
                size="2",
            ),
            rx.text(
                rx.cond(SessionState.lang == "en", row["type_name_en"], row["type_name"]),
                " · ",
                row["start"],
                " ",
                _half(row["start_half"]),
                " – ",
                row["end"],
                " ",
                _half(row["end_half"]),
                " · ",
                rx.text.strong(row["days"]),
                " ",
                T("leave.days_unit"),
                size="2",
            ),
        ),
        rx.cond(
            row["balance_after"] != "",
            rx.text(T("approval.balance_after"), " ", rx.text.strong(row["balance_after"]), size="2", class_name="approval-balance"),
        ),
        rx.text(row["reason"], size="2", color_scheme="gray"),
        rx.cond(
            row["overlapping"] != "",
            rx.callout(
                rx.text(T("approval.overlapping"), " ", row["overlapping"]),
                icon="users",
                color_scheme="orange",
                size="1",
                class_name="approval-overlap",
            ),
        ),
        rx.cond(row["acting_for"] != "", rx.text(T("approval.acting_for"), " ", row["acting_for"], size="1", color_scheme="blue")),
        rx.hstack(rx.foreach(ApprovalsState.files, lambda f: rx.cond(f["step_id"] == step_id, _attachment(f))), wrap="wrap", spacing="2"),
        rx.text(rx.cond(SessionState.lang == "en", row["trail_en"], row["trail_zh"]), size="1", color_scheme="gray"),
        rx.cond(
            ApprovalsState.commenting == step_id,
            rx.vstack(
                rx.text_area(
                    placeholder=T("approval.comment_hint"),
                    aria_label=T("approval.comment_hint"),
                    on_change=ApprovalsState.set_comment,
                    width="100%",
                    max_length=500,
                    class_name="approval-comment",
                ),
                rx.cond(
                    ApprovalsState.comment_error != "",
                    rx.text(ApprovalsState.comment_error, color_scheme="red", size="2", class_name="approval-reject-error"),
                ),
                rx.hstack(
                    confirm_button(
                        T("approval.approve"),
                        "confirm.approve",
                        ApprovalsState.approve(step_id.to(int)),
                        "approval-approve",
                        confirm_key="approval.approve",
                        color_scheme="green",
                        variant="solid",
                        size="2",
                    ),
                    confirm_button(
                        T("approval.confirm_reject"),
                        "confirm.reject",
                        ApprovalsState.reject(step_id.to(int)),
                        "approval-confirm-reject",
                        confirm_key="approval.reject",
                        color_scheme="red",
                        variant="solid",
                        size="2",
                    ),
                    rx.button(T("approval.back"), variant="soft", color_scheme="gray", on_click=ApprovalsState.close_comment),
                    wrap="wrap",
                ),
                width="100%",
            ),
            rx.hstack(
                confirm_button(
                    T("approval.approve"),
                    "confirm.approve",
                    ApprovalsState.approve(step_id.to(int)),
                    "approval-approve",
                    confirm_key="approval.approve",
                    color_scheme="green",
                    variant="solid",
                    size="3",
                ),
                rx.button(
                    T("approval.reject"),
                    on_click=ApprovalsState.open_comment(step_id),
                    color_scheme="red",
                    variant="soft",
                    size="3",
                    class_name="approval-reject",
                ),
                rx.button(
                    T("approval.add_comment"),
                    on_click=ApprovalsState.open_comment(step_id),
                    variant="ghost",
                    size="3",
                    class_name="approval-add-comment",
                ),
                width="100%",
                align="center",
            ),
        ),
        class_name="approval-item",
    )


def _history_row(h: rx.Var) -> rx.Component:
    return card(
        rx.hstack(
            rx.text(h["requester"], weight="bold"),
            rx.badge(T_var("approval.status.", h["status"].to(str))),
            rx.spacer(),
            rx.text(h["decided_at"], size="1", color_scheme="gray"),
            width="100%",
        ),
        rx.text(
            rx.cond(SessionState.lang == "en", h["what_en"], h["what_zh"]),
            "：",
            rx.cond(SessionState.lang == "en", h["summary_en"], h["summary_zh"]),
            size="2",
            class_name="approval-history-what",
        ),
        rx.text(
            h["decided_by"],
            rx.cond(h["on_behalf"] != "", rx.text.span(" (", T("approval.on_behalf_short"), " ", h["on_behalf"], ")")),
            rx.cond(h["comment"] != "", rx.text.span(" · ", h["comment"])),
            size="2",
        ),
        class_name="approval-history",
    )


def _delegation() -> rx.Component:
    return card(
        rx.heading(T("approval.delegation"), size="3"),
        rx.text(T("approval.delegation_hint"), size="1", color_scheme="gray"),
        rx.foreach(
            ApprovalsState.delegations,
            lambda d: rx.hstack(
                rx.text(d["delegate"], " · ", d["starts_on"], " – ", d["ends_on"], size="2", class_name="approval-delegation"),
                rx.spacer(),
                rx.button(
                    T("approval.revoke"), size="1", variant="soft", color_scheme="gray", on_click=ApprovalsState.revoke(d["id"].to(int))
                ),
                width="100%",
            ),
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="delegate", placeholder=T("approval.delegate_no"), aria_label=T("approval.delegate_no"), max_length=32, width="8em"
                ),
                rx.input(name="starts_on", type="date", aria_label=T("approval.delegation_from")),
                rx.input(name="ends_on", type="date", aria_label=T("approval.delegation_to")),
                rx.button(T("approval.delegate"), type="submit", id="approval-delegate"),
                wrap="wrap",
                spacing="2",
            ),
            on_submit=ApprovalsState.delegate,
            reset_on_submit=True,
        ),
        rx.cond(
            ApprovalsState.delegate_error != "",
            rx.text(ApprovalsState.delegate_error, color_scheme="red", size="2", id="approval-delegate-error"),
        ),
    )


def _decided_on_its_page(r: rx.Var, badge: rx.Component, href: rx.Var, class_name: str) -> rx.Component:
    """An item decided on its own page (where its whole record is): who, what, when due."""
    return rx.link(
        card(
            rx.hstack(
                rx.text(r["requester"], weight="bold"),
                badge,
                rx.spacer(),
                rx.icon("chevron-right", size=16),
                width="100%",
                align="center",
            ),
            rx.text(r["summary"], size="2"),
            rx.cond(r["due"] != "", rx.text(T("approval.due"), " ", r["due"], size="1", color_scheme="gray")),
            class_name=class_name,
        ),
        href=href,
        underline="none",
        color="inherit",
        width="100%",
    )


def _termination(r: rx.Var) -> rx.Component:
    """A termination to decide: on the case's page."""
    badge = rx.badge(T("approval.kind.termination"), color_scheme="red")
    return _decided_on_its_page(r, badge, "/case?c=" + r["id"].to(str), "approval-termination")


def _resignation(r: rx.Var) -> rx.Component:
    """A resignation to acknowledge: decided on its own page (the last day, the successor)."""
    badge = rx.badge(T("approval.resignation"), color_scheme="amber")
    return _decided_on_its_page(r, badge, "/separation?s=" + r["id"].to(str), "approval-resignation")


def _handover(h: rx.Var) -> rx.Component:
    """A handover item this person confirms, on the separation's page."""
    return rx.link(
        card(
            rx.hstack(
                rx.text(h["employee"], weight="bold"),
                rx.badge(T("approval.handover"), color_scheme="blue"),
                rx.cond(h["overdue"] != "", rx.badge(T("checklist.overdue"), color_scheme="red")),
                rx.spacer(),
                rx.icon("chevron-right", size=16),
                width="100%",
                align="center",
            ),
            rx.text(h["stage"], "：", h["title"], size="2"),
            rx.text(T("separation.last_day_label"), " ", h["last_day"], size="1", color_scheme="gray"),
            class_name="approval-handover",
        ),
        href="/separation?s=" + h["separation_id"].to(str),
        underline="none",
        color="inherit",
        width="100%",
    )


def approvals_page() -> rx.Component:
    return page(
        rx.hstack(
            rx.button(
                T("approval.pending"),
                " (",
                ApprovalsState.items.length()
                + ApprovalsState.resignations.length()
                + ApprovalsState.terminations.length()
                + ApprovalsState.handover.length(),
                ")",
                variant=rx.cond(ApprovalsState.tab == "pending", "solid", "soft"),
                on_click=ApprovalsState.show("pending"),
                id="approvals-tab-pending",
            ),
            rx.button(
                T("approval.history"),
                variant=rx.cond(ApprovalsState.tab == "history", "solid", "soft"),
                on_click=ApprovalsState.show("history"),
                id="approvals-tab-history",
            ),
            spacing="2",
        ),
        rx.cond(
            ApprovalsState.tab == "pending",
            rx.vstack(
                rx.cond(
                    ApprovalsState.selected.length() > 0,
                    confirm_button(
                        rx.fragment(T("approval.approve_selected"), " (", ApprovalsState.selected.length(), ")"),
                        "confirm.approve_selected",
                        ApprovalsState.approve_selected,
                        "approvals-bulk",
                        confirm_key="approval.approve",
                        color_scheme="green",
                        variant="solid",
                        size="2",
                        width="100%",
                        id="approvals-bulk",
                    ),
                ),
                rx.cond(
                    (
                        ApprovalsState.items.length()
                        + ApprovalsState.resignations.length()
                        + ApprovalsState.terminations.length()
                        + ApprovalsState.handover.length()
                    )
                    == 0,
                    rx.text(T("approval.nothing_pending"), color_scheme="gray", id="approvals-empty"),
                ),
                rx.foreach(ApprovalsState.resignations, _resignation),
                rx.foreach(ApprovalsState.terminations, _termination),
                rx.foreach(ApprovalsState.handover, _handover),
                rx.foreach(ApprovalsState.items, _item),
                width="100%",
                spacing="3",
            ),
            rx.vstack(
                rx.cond(ApprovalsState.history.length() == 0, rx.text(T("approval.no_history"), color_scheme="gray")),
                rx.foreach(ApprovalsState.history, _history_row),
                width="100%",
                spacing="3",
            ),
        ),
        rx.cond(SessionState.approver, _delegation()),
        title_key="approval.title",
    )
