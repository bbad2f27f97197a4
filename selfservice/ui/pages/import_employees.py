"""HR: import employees from CSV/XLSX. Validate all, import all or nothing, with progress."""

from __future__ import annotations

import asyncio
import hashlib
import pathlib

import reflex as rx

from selfservice.domain.actor import Actor, Role
from selfservice.services import employees
from selfservice.settings import DATA_DIR, get_settings
from selfservice.ui.components.shell import SPREADSHEETS, card, data_table, page, upload_zone
from selfservice.ui.guard import handler, now, run_with_progress
from selfservice.ui.i18n import T
from selfservice.ui.session import SessionState

UPLOAD_ID = "employee-import"
UPLOAD_DIR = DATA_DIR / "uploads"


class ImportState(SessionState):
    """The uploaded file's path is a backend var; the browser cannot name another file."""

    running: bool = False
    progress: int = 0
    message: str = ""
    succeeded: bool = False
    errors: list[dict[str, str]] = []
    _file_path: str = ""
    _file_name: str = ""

    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        self.message, self.errors, self.progress, self.succeeded = "", [], 0, False
        await self._fill_shell(actor)

    @handler(Role.hr)
    async def upload(self, actor: Actor, files: list[rx.UploadFile]):
        """Receive the file (size and type checked here), store it under its content hash."""
        if self.running:
            return
        if not files:
            return rx.toast.error(self._t("import.no_file"))
        upload = files[0]
        name = (upload.filename or "").rsplit("/", 1)[-1][:120]
        if not name.lower().endswith((".csv", ".xlsx")):
            self.message, self.errors = self._t("import.unsupported_type"), []
            return
        limit = get_settings().import_max_bytes
        data = await upload.read(limit + 1)
        if len(data) > limit:
            self.message, self.errors = self._t("import.too_large", max_mb=limit // (1024 * 1024)), []
            return
        UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
        path = UPLOAD_DIR / (hashlib.sha256(data).hexdigest() + (".xlsx" if name.lower().endswith(".xlsx") else ".csv"))
        await asyncio.to_thread(path.write_bytes, data)
        self._file_path, self._file_name = str(path), name
        self.running, self.progress, self.message, self.errors, self.succeeded = True, 0, self._t("import.running"), [], False
        return [rx.clear_selected_files(UPLOAD_ID), ImportState.run_import]

    @handler(Role.hr, background=True)
    async def run_import(self, actor: Actor):
        async with self:
            path, name = self._file_path, self._file_name
            self._file_path = ""
        if not path:
            return
        progress = employees.ImportProgress()
        data = await asyncio.to_thread(_read, path)
        try:
            result = await run_with_progress(self, progress, employees.import_file, actor, name, data, now(), progress)
        except Exception:
            async with self:
                self.running, self.message = False, self._t("error.generic")
            raise
        async with self:
            self.running = False
            if result.file_error or result.errors:
                self.progress = 0  # nothing was imported: no half-full bar
            if result.file_error:
                self.message = self._t(result.file_error, **(result.file_error_params or {}))
                self.errors = []
            elif result.errors:
                self.message = self._t("import.rejected", count=len(result.errors))
                self.errors = [
                    {
                        "line": str(e.line),
                        "column": self._t(f"field.{e.column}") if f"field.{e.column}" in _FIELD_KEYS else e.column,
                        "reason": self._t(e.key, **e.params),
                    }
                    for e in result.errors[:500]
                ]
            else:
                self.progress, self.succeeded = 100, True
                self.message = self._t("import.done", count=result.imported)
                self.errors = []


def _read(path: str) -> bytes:
    """Read the stored upload and delete it: personal data is kept only in the database."""
    file = pathlib.Path(path)
    try:
        return file.read_bytes()
    finally:
        file.unlink(missing_ok=True)


_FIELD_KEYS = {
    f"field.{name}"
    for name in (
        "employee_no",
        "name",
        "name_en",
        "department",
        "manager_no",
        "hire_date",
        "phone",
        "email",
        "position",
        "role",
        "wecom_userid",
        "work_start_date",
        "child_births",
    )
}


def import_page() -> rx.Component:
    return page(
        rx.text(T("import.hint"), size="2", color_scheme="gray"),
        card(
            upload_zone(
                rx.vstack(
                    rx.icon("file-up", size=28),
                    rx.text(T("import.drop"), size="2"),
                    rx.foreach(rx.selected_files(UPLOAD_ID), lambda f: rx.code(f)),
                    align="center",
                    spacing="2",
                ),
                upload_id=UPLOAD_ID,
                padding="1.5em",
                accept=SPREADSHEETS,
                max_files=1,
            ),
            rx.button(
                T("import.start"),
                on_click=ImportState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                loading=ImportState.running,
                size="3",
                id="import-start",
            ),
            rx.cond(
                ImportState.running | (ImportState.progress > 0),
                rx.progress(value=ImportState.progress, max=100, id="import-progress", width="100%"),
            ),
        ),
        rx.cond(
            ImportState.message != "",
            rx.callout(
                ImportState.message,
                icon=rx.cond(ImportState.succeeded, "check", "triangle_alert"),
                color_scheme=rx.cond(ImportState.succeeded, "green", "red"),
                id="import-message",
                width="100%",
            ),
        ),
        rx.cond(
            ImportState.errors.length() > 0,
            data_table(
                ("import.line", "import.column", "import.reason"),
                ImportState.errors,
                lambda e: rx.table.row(
                    rx.table.cell(e["line"]), rx.table.cell(e["column"]), rx.table.cell(e["reason"]), class_name="import-error-row"
                ),
                id="import-errors",
            ),
        ),
        title_key="import.title",
    )
