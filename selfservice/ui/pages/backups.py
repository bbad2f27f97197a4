"""The admin's backups page (/admin/backups): the last successful backup, where archives go and
how many are kept, when the next one runs, recent runs with their outcome, and "back up now"."""

from __future__ import annotations

import reflex as rx

from selfservice.domain.actor import Actor, Role
from selfservice.i18n import CATALOGUES
from selfservice.services import backup
from selfservice.services.attendance import local_text
from selfservice.ui.components.shell import card, data_table, page
from selfservice.ui.guard import handler, now, run
from selfservice.ui.i18n import T
from selfservice.ui.session import SessionState


def size_text(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


class BackupsState(SessionState):
    summary: dict[str, str] = {}
    runs: list[dict[str, str]] = []
    running: bool = False

    def _detail(self, error: str) -> str:
        """A failure's reason in the reader's words (a known reason is translated)."""
        return self._t(error) if error in CATALOGUES["zh-CN"] else error

    async def _refresh(self, actor: Actor) -> None:
        status = await run(backup.status, actor)
        last = status.last_ok
        self.summary = {
            "last": self._t("backup.last_ok", time=local_text(last.started_at), size=size_text(last.size_bytes), seq=str(last.audit_seq))
            if last
            else self._t("backup.never"),
            "folder": self._t("backup.folder", folder=status.folder, keep=str(status.keep)),
            "next": self._t("backup.next", time=local_text(backup.next_scheduled(now()))),
            "failed": "1" if status.last_run is not None and not status.last_run.ok else "",
        }
        self.runs = [
            {
                "id": str(r.id),
                "time": local_text(r.started_at),
                "trigger": self._t(f"backup.trigger.{r.trigger}"),
                "result": self._t("backup.result_ok" if r.ok else "backup.result_failed"),
                "ok": "1" if r.ok else "",
                "size": size_text(r.size_bytes) if r.ok else "",
                "files": str(r.files) if r.ok else "",
                "detail": r.path.rsplit("/", 1)[-1] if r.ok else self._detail(r.error),
            }
            for r in status.recent
        ]

    @handler(Role.admin, page_load=True)
    async def load(self, actor: Actor):
        await self._refresh(actor)
        await self._fill_shell(actor)

    @handler(Role.admin)
    async def run_now(self, actor: Actor):
        self.running = True
        row = await run(backup.run_now, actor, now())
        self.running = False
        await self._refresh(actor)
        if row.ok:
            return rx.toast.success(self._t("backup.done"))
        return rx.toast.error(self._t("backup.failed", detail=self._detail(row.error)))


def _row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["time"]),
        rx.table.cell(r["trigger"]),
        rx.table.cell(rx.badge(r["result"], color_scheme=rx.cond(r["ok"] != "", "green", "red"))),
        rx.table.cell(r["size"]),
        rx.table.cell(r["files"]),
        rx.table.cell(rx.text(r["detail"], size="1")),
        class_name="backup-run",
    )


def backups_page() -> rx.Component:
    s = BackupsState.summary
    return page(
        card(
            rx.text(s.get("last", ""), weight="medium", id="backup-last"),
            rx.cond(
                s.get("failed", "") != "",
                rx.callout(T("backup.last_failed"), icon="triangle_alert", color_scheme="red", size="1", id="backup-failed"),
            ),
            rx.text(s.get("folder", ""), size="2"),
            rx.text(s.get("next", ""), size="2"),
            rx.text(T("backup.hint"), size="1", color_scheme="gray"),
            rx.button(
                rx.icon("archive", size=14),
                T("backup.run_now"),
                on_click=BackupsState.run_now,
                loading=BackupsState.running,
                id="backup-run-now",
                width="fit-content",
            ),
        ),
        rx.heading(T("backup.recent"), size="4"),
        data_table(
            ("backup.col_time", "backup.col_trigger", "backup.col_result", "backup.col_size", "backup.col_files", "backup.col_detail"),
            BackupsState.runs,
            _row,
        ),
        title_key="backup.title",
        wide=True,
    )
