"""The policy and contact-details panels of the HR dashboard: per current version and department,
signed / unsigned / overdue; the unsigned list with "remind now" (audited); the people whose
contact details are stale. Each exports to XLSX."""

from __future__ import annotations

import reflex as rx

from selfservice.domain.actor import Actor, Role
from selfservice.services import contacts, policies, policy_dashboard
from selfservice.ui import routes
from selfservice.ui.components.shell import data_table
from selfservice.ui.guard import handler, now, run
from selfservice.ui.i18n import T, T_fmt
from selfservice.ui.pages.hr_dashboard import UiPanel, panel_frame, register
from selfservice.ui.session import SessionState


class PolicyPanelsState(SessionState):
    status: list[dict[str, str]] = []
    unsigned: list[dict[str, str]] = []
    unsigned_total: int = 0
    stale: list[dict[str, str]] = []

    async def _refresh(self, actor: Actor) -> None:
        moment = now()
        self.status = [
            {
                "version_id": str(r.version_id),
                "policy": f"{r.title} v{r.number}",
                "department": r.department,
                "signed": str(r.signed),
                "unsigned": str(r.unsigned),
                "overdue": str(r.overdue),
            }
            for r in await run(policies.status_by_department, actor, moment)
        ]
        rows = await run(policies.unsigned, actor, moment)
        self.unsigned_total = len(rows)
        self.unsigned = [
            {
                "version_id": str(r.version_id),
                "employee_id": str(r.employee_id),
                "employee_no": r.employee_no,
                "name": r.name,
                "department": r.department,
                "policy": r.policy,
                "due": r.due,
                "overdue": "1" if r.overdue else "",
                "last_reminded": r.last_reminded,
            }
            for r in rows[:50]
        ]
        self.stale = [
            {
                "employee_id": str(r.employee_id),
                "name": r.name,
                "employee_no": r.employee_no,
                "department": r.department,
                "manager": r.manager,
                "confirmed_at": r.confirmed_at,
                "asked_at": r.asked_at,
            }
            for r in await run(contacts.stale, actor, moment, 50)
        ]

    @handler(Role.hr)
    async def load(self, actor: Actor):
        await self._refresh(actor)

    @handler(Role.hr)
    async def remind(self, actor: Actor, version_id: int, employee_id: int):
        count = await run(policies.remind_now, actor, version_id, [employee_id], now())
        await self._refresh(actor)
        return rx.toast.success(self._t("dashboard.reminded", count=count))

    @handler(Role.hr)
    async def remind_all(self, actor: Actor, version_id: int):
        count = await run(policies.remind_now, actor, version_id, [], now())
        await self._refresh(actor)
        return rx.toast.success(self._t("dashboard.reminded", count=count))


S = PolicyPanelsState


def status_panel() -> rx.Component:
    return panel_frame(
        policy_dashboard.POLICY_STATUS,
        "dashboard.policy_status",
        rx.cond(S.status.length() == 0, rx.text(T("dashboard.no_policies"), size="2", color_scheme="gray")),
        data_table(
            ("policy.col.title", "field.department", "policy.mine.signed", "dashboard.unsigned", "policy.mine.overdue", ""),
            S.status,
            lambda r: rx.table.row(
                rx.table.cell(r["policy"]),
                rx.table.cell(r["department"]),
                rx.table.cell(r["signed"]),
                rx.table.cell(r["unsigned"]),
                rx.table.cell(rx.cond(r["overdue"] != "0", rx.badge(r["overdue"], color_scheme="red"), "0")),
                rx.table.cell(
                    rx.cond(
                        r["unsigned"] != "0",
                        rx.button(T("dashboard.remind_all"), size="1", variant="soft", on_click=S.remind_all(r["version_id"].to(int))),
                    )
                ),
                class_name="policy-status-row",
            ),
        ),
        rx.link(T("nav.policies"), href=routes.POLICIES, size="2"),
    )


def unsigned_panel() -> rx.Component:
    return panel_frame(
        policy_dashboard.POLICY_UNSIGNED,
        "dashboard.policy_unsigned",
        rx.cond(S.unsigned_total == 0, rx.text(T("dashboard.all_signed"), size="2", color_scheme="gray")),
        rx.cond(
            S.unsigned_total > 50,
            rx.text(T_fmt("dashboard.first_of", shown=rx.Var.create("50"), total=S.unsigned_total.to(str)), size="1", color_scheme="gray"),
        ),
        data_table(
            ("field.name", "field.department", "policy.col.title", "policy.col.deadline", "dashboard.last_reminded", ""),
            S.unsigned,
            lambda r: rx.table.row(
                rx.table.cell(r["name"], " ", rx.text(r["employee_no"], as_="span", size="1", color_scheme="gray")),
                rx.table.cell(r["department"]),
                rx.table.cell(r["policy"]),
                rx.table.cell(rx.cond(r["overdue"] != "", rx.badge(r["due"], color_scheme="red"), r["due"])),
                rx.table.cell(r["last_reminded"]),
                rx.table.cell(
                    rx.button(
                        T("dashboard.remind_now"),
                        size="1",
                        variant="soft",
                        on_click=S.remind(r["version_id"].to(int), r["employee_id"].to(int)),
                        aria_label=T("dashboard.remind_now") + " " + r["name"].to(str),
                    )
                ),
                class_name="policy-unsigned-row",
            ),
        ),
    )


def stale_panel() -> rx.Component:
    return panel_frame(
        policy_dashboard.STALE_CONTACTS,
        "dashboard.stale_contacts",
        rx.cond(S.stale.length() == 0, rx.text(T("dashboard.no_stale"), size="2", color_scheme="gray")),
        data_table(
            ("field.name", "field.department", "field.manager", "dashboard.confirmed_at", "dashboard.asked_at"),
            S.stale,
            lambda r: rx.table.row(
                rx.table.cell(
                    rx.link(r["name"], href=f"{routes.EMPLOYEE_EDIT}?id=" + r["employee_id"].to(str)),
                    " ",
                    rx.text(r["employee_no"], as_="span", size="1", color_scheme="gray"),
                ),
                rx.table.cell(r["department"]),
                rx.table.cell(r["manager"]),
                rx.table.cell(rx.cond(r["confirmed_at"] != "", r["confirmed_at"], T("dashboard.never"))),
                rx.table.cell(r["asked_at"]),
                class_name="stale-contact-row",
            ),
        ),
        hint_key="dashboard.stale_hint",
    )


register(UiPanel(policy_dashboard.POLICY_STATUS, 60, status_panel, S.load))
register(UiPanel(policy_dashboard.POLICY_UNSIGNED, 70, unsigned_panel, S.load, wide=True))
register(UiPanel(policy_dashboard.STALE_CONTACTS, 80, stale_panel, S.load))
