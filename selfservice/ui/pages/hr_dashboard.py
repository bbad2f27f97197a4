"""The HR dashboard (/hr, 人事看板): the page HR opens every morning, made of panels that the
workflow modules register (attendance today; unsigned policies, stale contacts and open cases
later). A panel is a component, the event that loads it, and an export: every panel's rows can
be downloaded as XLSX through :mod:`selfservice.services.dashboard`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from selfservice.domain.actor import Actor, Role
from selfservice.services import dashboard
from selfservice.ui.components.shell import card, page
from selfservice.ui.guard import handler, now, run
from selfservice.ui.i18n import T
from selfservice.ui.session import SessionState


@dataclass(frozen=True)
class UiPanel:
    key: str  # also the key of the export registered with services.dashboard
    order: int
    render: Callable[[], rx.Component]
    load: Any  # the event handler that loads the panel's data (called only for HR)
    wide: bool = False


_PANELS: dict[str, UiPanel] = {}


def register(panel: UiPanel) -> None:
    _PANELS[panel.key] = panel


def panels() -> list[UiPanel]:
    return sorted(_PANELS.values(), key=lambda p: p.order)


class DashboardState(SessionState):
    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        """HR only: then every registered panel loads its own data."""
        await self._fill_shell(actor)
        return list(dict.fromkeys(p.load for p in panels()))

    @handler(Role.hr)
    async def export(self, actor: Actor, key: str):
        name, data = await run(dashboard.export_xlsx, actor, key, self.lang, now())
        return rx.download(data=data, filename=name)


def panel_frame(key: str, title_key: str, *children: rx.Component, hint_key: str = "") -> rx.Component:
    """A panel's card: its title, the XLSX export, then its content."""
    return card(
        rx.hstack(
            rx.heading(T(title_key), size="4"),
            rx.spacer(),
            rx.button(
                rx.icon("download", size=14),
                T("dashboard.export"),
                size="1",
                variant="soft",
                on_click=DashboardState.export(key),
                id=f"export-{key}",
            ),
            width="100%",
            align="center",
        ),
        *([rx.text(T(hint_key), size="1", color_scheme="gray")] if hint_key else []),
        *children,
        id=f"panel-{key}",
        class_name="dashboard-panel",
    )


def hr_dashboard_page() -> rx.Component:
    return rx.box(
        page(
            rx.grid(
                *(rx.box(p.render(), grid_column=rx.breakpoints(initial="span 1", md="span 2") if p.wide else "span 1") for p in panels()),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            title_key="dashboard.title",
            wide=True,
        ),
        class_name="hr-dashboard",
    )


def on_load() -> list:
    return [DashboardState.load]
