"""Where punches come from (/attendance/sources, HR): the WeCom check-in pull, time-clock files
(column mapping saved per source, the whole file validated first, all or nothing, progress),
and API integrations (a bearer token shown once, stored hashed, revocable)."""

from __future__ import annotations

import asyncio
import hashlib
import pathlib

import reflex as rx
from pydantic import Field

from selfservice.domain.actor import Actor, Role
from selfservice.domain.errors import DomainError
from selfservice.domain.punches import FIELDS
from selfservice.jobs import attendance as jobs
from selfservice.services import punches
from selfservice.services.attendance import local_text
from selfservice.settings import get_settings
from selfservice.ui.components.shell import SPREADSHEETS, card, data_table, page, upload_zone
from selfservice.ui.guard import Form, handler, now, run, run_with_progress
from selfservice.ui.i18n import T, T_fmt, T_var
from selfservice.ui.pages.attendance import source_label
from selfservice.ui.session import SessionState

UPLOAD_ID = "punch-file"
MAX_FILE_BYTES = 20 * 1024 * 1024


class WeComForm(Form):
    enabled: str = Field(default="", max_length=8)
    checkin_secret: str = Field(default="", max_length=200)


class NewSourceForm(Form):
    kind: str = Field(max_length=8)
    name: str = Field(max_length=64)


class SourcesState(SessionState):
    sources: list[dict[str, str]] = []
    wecom: dict[str, str] = {}
    new_token: str = ""
    new_token_source: str = ""
    pulling: bool = False
    pull_message: str = ""
    # a file being imported
    file_source: str = ""
    headers: list[str] = []
    sample: list[list[str]] = []
    mapping: dict[str, str] = {}
    file_rows: int = 0
    importing: bool = False
    progress: int = 0
    message: str = ""
    succeeded: bool = False
    errors: list[dict[str, str]] = []
    repeated: str = ""
    form_key: int = 0
    _path: str = ""
    _name: str = ""

    async def _refresh(self, actor: Actor) -> None:
        views = await run(punches.sources, actor)
        self.sources = [
            {
                "id": str(v.id),
                "kind": v.kind,
                "name": source_label(self._t, v.kind, v.name),
                "active": "1" if v.active else "",
                "token_hint": v.token_hint,
                "token_created_at": local_text(v.token_created_at),
                "last_run_at": local_text(v.last_run_at),
                "punches": str(v.punches),
            }
            for v in views
        ]
        wecom = next(v for v in views if v.code == punches.WECOM)
        self.wecom = {
            "active": "1" if wecom.active and wecom.configured else "",
            "configured": "1" if wecom.configured else "",
            "pulled_until": local_text(wecom.pulled_until),
            "last_run_at": local_text(wecom.last_run_at),
            "last_error": wecom.last_error,
        }
        self.form_key += 1

    @handler(Role.hr, page_load=True)
    async def load(self, actor: Actor):
        self.new_token = self.new_token_source = self.pull_message = ""
        self._reset_file()
        await self._refresh(actor)
        await self._fill_shell(actor)

    def _reset_file(self) -> None:
        self.file_source, self.headers, self.sample, self.mapping, self.file_rows = "", [], [], {}, 0
        self.message, self.errors, self.repeated, self.progress, self.succeeded = "", [], "", 0, False

    @handler(Role.hr)
    async def save_wecom(self, actor: Actor, form: WeComForm):
        await run(punches.configure_wecom, actor, form.enabled in ("on", "1", "true"), form.checkin_secret, now())
        await self._refresh(actor)
        return rx.toast.success(self._t("sources.saved"))

    @handler(Role.hr, background=True)
    async def pull_now(self, actor: Actor):
        async with self:
            if self.pulling:
                return
            self.pulling, self.pull_message = True, ""
        summary = await jobs.pull_wecom()
        async with self:
            self.pulling = False
            if summary is None:
                self.pull_message = self._t("sources.pull_off")
            elif summary.error:
                self.pull_message = self._t("sources.pull_failed", error=summary.error[:200], new=summary.new)
            else:
                self.pull_message = self._t(
                    "sources.pull_done", new=summary.new, duplicates=summary.duplicates, skipped=summary.not_punches
                )
            await self._refresh(actor)

    @handler(Role.hr)
    async def create(self, actor: Actor, form: NewSourceForm):
        source_id, token = await run(punches.create_source, actor, form.kind, form.name, now())
        self.new_token, self.new_token_source = token, str(source_id) if token else ""
        await self._refresh(actor)

    @handler(Role.hr)
    async def rotate(self, actor: Actor, source_id: int):
        self.new_token = await run(punches.rotate_token, actor, source_id, now())
        self.new_token_source = str(source_id)
        await self._refresh(actor)

    @handler(Role.hr)
    async def revoke(self, actor: Actor, source_id: int):
        await run(punches.revoke_token, actor, source_id, now())
        self.new_token = self.new_token_source = ""
        await self._refresh(actor)
        return rx.toast.success(self._t("sources.revoked"))

    @handler(Role.hr)
    async def choose_file_source(self, actor: Actor, source_id: str):
        self._reset_file()
        self.file_source = source_id[:12]

    @handler(Role.hr)
    async def upload(self, actor: Actor, files: list[rx.UploadFile]):
        """Receive a time-clock export, keep it under its hash, show its columns and the mapping."""
        if self.importing or not self.file_source.isdigit() or not files:
            return
        upload = files[0]
        name = (upload.filename or "").rsplit("/", 1)[-1][:120]
        data = await upload.read(MAX_FILE_BYTES + 1)
        self.message, self.errors, self.repeated, self.succeeded, self.progress = "", [], "", False, 0
        if len(data) > MAX_FILE_BYTES:
            self.message = self._t("import.too_large", max_mb=MAX_FILE_BYTES // (1024 * 1024))
            return rx.clear_selected_files(UPLOAD_ID)
        try:
            preview = await run(punches.preview_file, actor, int(self.file_source), name, data)
        except DomainError as error:
            self.message = self._t(error.key, **error.params)
            return rx.clear_selected_files(UPLOAD_ID)
        folder = get_settings().data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (hashlib.sha256(data).hexdigest() + pathlib.Path(name).suffix.lower()[:5])
        await asyncio.to_thread(path.write_bytes, data)
        self._path, self._name = str(path), name
        self.headers, self.sample, self.mapping, self.file_rows = preview.headers, preview.sample, preview.mapping, preview.rows
        return rx.clear_selected_files(UPLOAD_ID)

    @handler(Role.hr)
    async def set_mapping(self, actor: Actor, field: str, header: str):
        if field in FIELDS and (header == "" or header in self.headers):
            self.mapping = {**self.mapping, field: header}

    @handler(Role.hr, background=True)
    async def run_import(self, actor: Actor):
        async with self:
            if self.importing or not self._path or not self.file_source.isdigit():
                return
            path, name, mapping, source_id = self._path, self._name, dict(self.mapping), int(self.file_source)
            self.importing, self.progress, self.message, self.errors, self.repeated = True, 0, self._t("import.running"), [], ""
        progress = punches.FileProgress()
        data = await asyncio.to_thread(pathlib.Path(path).read_bytes)
        try:
            result = await run_with_progress(self, progress, punches.import_file, actor, source_id, name, data, mapping, now(), progress)
        except Exception:
            async with self:
                self.importing, self.message = False, self._t("error.generic")
            raise
        async with self:
            self.importing = False
            self.repeated = "、".join(self._t("punch.repeated_line", line=line, other=other) for line, other in result.repeated[:50])
            if result.file_error:
                self.progress, self.message = 0, self._t(result.file_error, **result.file_error_params)
            elif result.errors:
                self.progress, self.message = 0, self._t("import.rejected", count=len(result.errors))
                self.errors = [{"line": str(e.line), "column": e.column, "reason": self._t(e.key, **e.params)} for e in result.errors[:500]]
            else:
                self.progress, self.succeeded = 100, True
                self.message = self._t("punch.imported", new=result.new, already=result.already)
                pathlib.Path(path).unlink(missing_ok=True)
                self._path = ""
                await self._refresh(actor)


def _mapping_select(field: str) -> rx.Component:
    return rx.hstack(
        rx.text(T("punch.field." + field), size="2", min_width="8em"),
        rx.el.select(
            rx.el.option(T("punch.field_unused"), value=""),
            rx.foreach(SourcesState.headers, lambda h: rx.el.option(h, value=h)),
            value=SourcesState.mapping.get(field, ""),
            on_change=lambda value: SourcesState.set_mapping(field, value),
            aria_label=T("punch.field." + field),
            class_name=f"mapping-{field}",
        ),
        align="center",
    )


def _file_import() -> rx.Component:
    return card(
        rx.heading(T("sources.file_title"), size="3"),
        rx.text(T("sources.file_hint"), size="1", color_scheme="gray"),
        rx.el.select(
            rx.el.option(T("sources.choose_file_source"), value=""),
            rx.foreach(SourcesState.sources, lambda s: rx.cond(s["kind"] == "file", rx.el.option(s["name"], value=s["id"]))),
            value=SourcesState.file_source,
            on_change=SourcesState.choose_file_source,
            aria_label=T("sources.choose_file_source"),
            id="file-source",
        ),
        rx.cond(
            SourcesState.file_source != "",
            rx.vstack(
                upload_zone(
                    rx.vstack(rx.icon("file-up", size=24), rx.text(T("sources.drop_file"), size="2"), align="center"),
                    upload_id=UPLOAD_ID,
                    accept=SPREADSHEETS,
                    max_files=1,
                    on_drop=SourcesState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                ),
                rx.cond(
                    SourcesState.headers.length() > 0,
                    rx.vstack(
                        rx.text(T_fmt("sources.file_rows", rows=SourcesState.file_rows.to(str)), size="2"),
                        *(_mapping_select(field) for field in FIELDS),
                        rx.box(
                            rx.table.root(
                                rx.table.header(rx.table.row(rx.foreach(SourcesState.headers, lambda h: rx.table.column_header_cell(h)))),
                                rx.table.body(
                                    rx.foreach(SourcesState.sample, lambda r: rx.table.row(rx.foreach(r, lambda c: rx.table.cell(c))))
                                ),
                                size="1",
                            ),
                            overflow_x="auto",
                            tab_index=0,  # keyboard users can scroll it
                            width="100%",
                        ),
                        rx.button(T("sources.import"), on_click=SourcesState.run_import, loading=SourcesState.importing, id="file-import"),
                        width="100%",
                    ),
                ),
                rx.cond(
                    SourcesState.importing | (SourcesState.progress > 0),
                    rx.progress(value=SourcesState.progress, max=100, width="100%", id="file-progress"),
                ),
                width="100%",
            ),
        ),
        rx.cond(
            SourcesState.message != "",
            rx.callout(
                SourcesState.message,
                icon=rx.cond(SourcesState.succeeded, "check", "triangle_alert"),
                color_scheme=rx.cond(SourcesState.succeeded, "green", "red"),
                id="file-message",
                width="100%",
            ),
        ),
        rx.cond(SourcesState.repeated != "", rx.text(SourcesState.repeated, size="1", color_scheme="gray", id="file-repeated")),
        rx.cond(
            SourcesState.errors.length() > 0,
            data_table(
                ("import.line", "import.column", "import.reason"),
                SourcesState.errors,
                lambda e: rx.table.row(
                    rx.table.cell(e["line"]), rx.table.cell(e["column"]), rx.table.cell(e["reason"]), class_name="file-error-row"
                ),
            ),
        ),
    )


def _wecom() -> rx.Component:
    w = SourcesState.wecom
    return card(
        rx.heading(T("sources.wecom_title"), size="3"),
        rx.text(T("sources.wecom_hint"), size="1", color_scheme="gray"),
        rx.hstack(
            rx.badge(
                rx.cond(w.get("active", "") != "", T("sources.on"), T("sources.off")),
                color_scheme=rx.cond(w.get("active", "") != "", "green", "gray"),
                id="wecom-state",
            ),
            rx.cond(w.get("pulled_until", "") != "", rx.text(T_fmt("sources.pulled_until", time=w.get("pulled_until", "")), size="2")),
            wrap="wrap",
        ),
        rx.cond(
            w.get("last_error", "") != "",
            rx.callout(w.get("last_error", ""), icon="triangle_alert", color_scheme="orange", size="1", id="wecom-error"),
        ),
        rx.form(
            rx.vstack(
                rx.hstack(
                    rx.checkbox(
                        name="enabled", default_checked=w.get("active", "") != "", id="wecom-enabled", aria_label=T("sources.enable_pull")
                    ),
                    rx.text(T("sources.enable_pull"), size="2"),
                    align="center",
                ),
                rx.input(
                    name="checkin_secret",
                    type="password",
                    placeholder=rx.cond(w.get("configured", "") != "", T("channels.secret_set"), T("sources.checkin_secret")),
                    aria_label=T("sources.checkin_secret"),
                    width="100%",
                ),
                rx.hstack(
                    rx.button(T("sources.save"), type="submit", id="wecom-save"),
                    rx.button(
                        rx.icon("refresh-cw", size=14),
                        T("sources.pull_now"),
                        type="button",
                        variant="soft",
                        on_click=SourcesState.pull_now,
                        loading=SourcesState.pulling,
                        id="wecom-pull",
                    ),
                ),
                width="100%",
            ),
            on_submit=SourcesState.save_wecom,
            key=SourcesState.form_key,
        ),
        rx.cond(SourcesState.pull_message != "", rx.text(SourcesState.pull_message, size="2", id="wecom-pull-message")),
    )


def _source_row(s: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(s["name"]),
        rx.table.cell(T_var("sources.kind.", s["kind"].to(str))),
        rx.table.cell(s["punches"]),
        rx.table.cell(s["last_run_at"]),
        rx.table.cell(
            rx.cond(
                s["kind"] == "api",
                rx.hstack(
                    rx.cond(
                        s["token_hint"] != "", rx.code(s["token_hint"], "…"), rx.badge(T("sources.revoked_badge"), color_scheme="gray")
                    ),
                    rx.button(
                        T("sources.rotate"),
                        size="1",
                        variant="soft",
                        on_click=SourcesState.rotate(s["id"].to(int)),
                        class_name="token-rotate",
                    ),
                    rx.cond(
                        s["token_hint"] != "",
                        rx.button(
                            T("sources.revoke"),
                            size="1",
                            variant="soft",
                            color_scheme="red",
                            on_click=SourcesState.revoke(s["id"].to(int)),
                            class_name="token-revoke",
                        ),
                    ),
                    wrap="wrap",
                ),
            )
        ),
        class_name="source-row",
    )


def sources_page() -> rx.Component:
    return page(
        _wecom(),
        _file_import(),
        card(
            rx.heading(T("sources.all_title"), size="3"),
            data_table(
                ("sources.name", "sources.kind", "sources.punches", "sources.last_run", "sources.token"), SourcesState.sources, _source_row
            ),
            rx.cond(
                SourcesState.new_token != "",
                rx.callout(
                    rx.vstack(rx.text(T("sources.token_once")), rx.code(SourcesState.new_token, id="new-token", word_break="break-all")),
                    icon="key",
                    color_scheme="amber",
                ),
            ),
            rx.form(
                rx.hstack(
                    rx.el.select(
                        rx.el.option(T("sources.kind.file"), value="file"),
                        rx.el.option(T("sources.kind.api"), value="api"),
                        name="kind",
                        aria_label=T("sources.kind"),
                    ),
                    rx.input(name="name", placeholder=T("sources.name"), max_length=64, aria_label=T("sources.name"), required=True),
                    rx.button(T("sources.add"), type="submit", id="source-add"),
                    wrap="wrap",
                ),
                on_submit=SourcesState.create,
                reset_on_submit=True,
            ),
            rx.text(
                T("sources.api_hint"),
                " ",
                rx.link("/api/openapi.json", href="/api/openapi.json", is_external=True),
                size="1",
                color_scheme="gray",
            ),
        ),
        title_key="sources.title",
    )
