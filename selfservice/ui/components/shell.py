"""The app shell: a header that fits 390 px (name, language switch, menu) and the page body."""

from __future__ import annotations

import reflex as rx

from selfservice.ui import routes
from selfservice.ui.i18n import T
from selfservice.ui.session import SessionState


def language_button() -> rx.Component:
    return rx.button(
        T("lang.switch"),
        on_click=SessionState.toggle_language,
        variant="soft",
        size="2",
        id="lang-switch",
    )


def inbox_button() -> rx.Component:
    """The inbox with its unread count, always in reach on a phone."""
    return rx.link(
        rx.button(
            rx.icon("bell", size=18),
            rx.cond(
                SessionState.unread > 0,
                rx.badge(SessionState.unread, color_scheme="red", variant="solid", radius="full", id="unread-badge"),
            ),
            variant="soft",
            size="2",
            aria_label=T("nav.inbox"),
        ),
        href=routes.INBOX,
        id="nav-inbox-button",
    )


def to_sign_button() -> rx.Component:
    """Policies waiting for a signature: shown only while there are some."""
    return rx.cond(
        SessionState.to_sign > 0,
        rx.link(
            rx.button(
                rx.icon("signature", size=18),
                rx.badge(SessionState.to_sign, color_scheme="amber", variant="solid", radius="full", id="to-sign-badge"),
                variant="soft",
                size="2",
                aria_label=T("nav.policies_mine"),
            ),
            href=routes.POLICIES_MINE,
            id="nav-to-sign-button",
        ),
    )


def _item(label: str, href: str, test_id: str) -> rx.Component:
    return rx.menu.item(rx.link(T(label), href=href, underline="none", color="inherit", width="100%"), id=test_id)


def menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(rx.button(rx.icon("menu", size=18), T("nav.menu"), variant="soft", size="2", id="nav-menu")),
        rx.menu.content(
            rx.cond(SessionState.is_hr_plus, _item("nav.hr_dashboard", routes.HR_DASHBOARD, "nav-hr-dashboard")),
            _item("nav.home", routes.HOME, "nav-home"),
            _item("nav.inbox", routes.INBOX, "nav-inbox"),
            _item("nav.attendance", routes.ATTENDANCE, "nav-attendance"),
            _item("nav.policies_mine", routes.POLICIES_MINE, "nav-policies-mine"),
            _item("nav.contact", routes.CONTACT, "nav-contact"),
            rx.cond(SessionState.is_manager_plus, _item("nav.team", routes.TEAM, "nav-team")),
            _item("nav.leave", routes.LEAVE, "nav-leave"),
            rx.cond(SessionState.approver, _item("nav.approvals", routes.APPROVALS, "nav-approvals")),
            _item("nav.calendar", routes.CALENDAR, "nav-calendar"),
            rx.cond(SessionState.is_manager_plus, _item("nav.leave_calendar", routes.LEAVE_CALENDAR, "nav-leave-calendar")),
            rx.cond(SessionState.is_hr_plus, _item("nav.leave_settings", routes.LEAVE_SETTINGS, "nav-leave-settings")),
            rx.cond(SessionState.is_manager_plus, _item("nav.directory", routes.DIRECTORY, "nav-directory")),
            rx.cond(SessionState.is_hr_plus, _item("nav.import", routes.IMPORT, "nav-import")),
            rx.cond(SessionState.is_hr_plus, _item("nav.policies", routes.POLICIES, "nav-policies")),
            rx.cond(SessionState.is_hr_plus, _item("nav.outbox", routes.OUTBOX, "nav-outbox")),
            rx.cond(SessionState.is_hr_plus, _item("nav.attendance_sources", routes.ATTENDANCE_SOURCES, "nav-attendance-sources")),
            rx.cond(SessionState.is_hr_plus, _item("nav.attendance_settings", routes.ATTENDANCE_SETTINGS, "nav-attendance-settings")),
            rx.cond(SessionState.is_hr_plus, _item("nav.separations", routes.SEPARATIONS, "nav-separations")),
            rx.cond(SessionState.is_hr_plus, _item("nav.cases", routes.CASES, "nav-cases")),
            rx.cond(SessionState.is_admin, _item("nav.channels", routes.CHANNELS, "nav-channels")),
            rx.cond(SessionState.is_admin, _item("nav.sso", routes.SSO_ADMIN, "nav-sso")),
            rx.cond(SessionState.is_admin, _item("nav.backups", routes.BACKUPS, "nav-backups")),
            _item("nav.security", routes.SECURITY, "nav-security"),
            _item("nav.resign", routes.RESIGN, "nav-resign"),
            rx.menu.separator(),
            rx.menu.item(T("nav.sign_out"), on_click=SessionState.sign_out, color="tomato", id="nav-sign-out"),
        ),
    )


def header(signed_in: bool = True) -> rx.Component:
    return rx.hstack(
        rx.link(
            rx.hstack(
                rx.icon("shield-check", size=22),
                rx.text(T("app.name"), weight="bold", size="4", white_space="nowrap", class_name="app-name"),
                align="center",
                spacing="2",
            ),
            href=routes.HOME if signed_in else routes.LOGIN,
            underline="none",
            color="inherit",
        ),
        rx.spacer(),
        language_button(),
        to_sign_button() if signed_in else rx.fragment(),
        inbox_button() if signed_in else rx.fragment(),
        menu() if signed_in else rx.fragment(),
        align="center",
        spacing="2",
        padding_x="1em",
        padding_y="0.6em",
        border_bottom="1px solid var(--gray-a5)",
        background="var(--color-panel-solid)",
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def page(*children: rx.Component, signed_in: bool = True, title_key: str | None = None, wide: bool = False) -> rx.Component:
    """A page: header, then a single column body (max 960 px; ``wide`` dashboards 1280 px)."""
    body = [rx.heading(T(title_key), size="6", id="page-title")] if title_key else []
    if signed_in:
        body.insert(
            0,
            rx.cond(
                SessionState.no_recovery_codes,
                rx.callout(
                    rx.text(
                        T("security.no_recovery_codes"), " ", rx.link(T("nav.security"), href=routes.SECURITY, id="recovery-warning-link")
                    ),
                    icon="triangle_alert",
                    color_scheme="red",
                    id="recovery-warning",
                    role="alert",
                ),
            ),
        )
    return rx.box(
        header(signed_in),
        rx.box(
            rx.vstack(*body, *children, spacing="4", width="100%"),
            padding="1em",
            max_width="1280px" if wide else "960px",
            margin_x="auto",
            width="100%",
        ),
        min_height="100vh",
        background="var(--gray-2)",
    )


def field_row(label_key: str, value: rx.Var | str, test_id: str = "") -> rx.Component:
    return rx.hstack(
        rx.text(T(label_key), color_scheme="gray", size="2", min_width="7em"),
        rx.text(value, size="2", weight="medium", id=test_id or None),
        spacing="3",
        width="100%",
        align="start",
    )


def card(*children: rx.Component, **props) -> rx.Component:
    return rx.card(rx.vstack(*children, spacing="2", width="100%"), width="100%", **props)


def data_table(header_keys: tuple[str, ...], rows: rx.Var, render_row, **props) -> rx.Component:
    """A table that scrolls sideways on a phone instead of squeezing its columns."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(T(key) if key else "") for key in header_keys))),
            rx.table.body(rx.foreach(rows, render_row)),
            variant="surface",
            size="1",
            width="100%",
            **props,
        ),
        overflow_x="auto",
        tab_index=0,  # keyboard users can scroll it
        width="100%",
    )


def visually_hidden(text: rx.Var | str) -> rx.Component:
    """Text for screen readers only (a column header over buttons, say)."""
    return rx.el.span(
        text,
        style={
            "position": "absolute",
            "width": "1px",
            "height": "1px",
            "padding": "0",
            "margin": "-1px",
            "overflow": "hidden",
            "clip": "rect(0, 0, 0, 0)",
            "whiteSpace": "nowrap",
            "border": "0",
        },
    )


SPREADSHEETS = {"text/csv": [".csv"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"]}


def upload_zone(*children: rx.Component, upload_id: str, padding: str = "1em", **props) -> rx.Component:
    """A drop zone whose file input sits inside a label: the label opens the picker (so the
    zone itself does not, ``no_click``) and names the input for screen readers."""
    return rx.el.label(
        rx.upload(*children, id=upload_id, no_click=True, border="1px dashed var(--gray-a7)", padding=padding, width="100%", **props),
        display="block",
        width="100%",
        cursor="pointer",
    )
