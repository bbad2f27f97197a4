"""rx.App and page registration, nothing else."""

from __future__ import annotations

import reflex as rx
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from selfservice.channels import webhooks
from selfservice.jobs import scheduler
from selfservice.ui import routes
from selfservice.ui.pages.calendar import CalendarState, calendar_page
from selfservice.ui.pages.channels import ChannelsState, channels_page
from selfservice.ui.pages.directory import DirectoryState, directory_page
from selfservice.ui.pages.employee_form import EmployeeFormState, employee_edit_page, employee_new_page
from selfservice.ui.pages.home import HomeState, home_page
from selfservice.ui.pages.import_employees import ImportState, import_page
from selfservice.ui.pages.inbox import InboxState, inbox_page, message_page
from selfservice.ui.pages.login import LoginState, login_page
from selfservice.ui.pages.message_link import LinkState, link_page
from selfservice.ui.pages.outbox import OutboxState, outbox_page
from selfservice.ui.pages.security import SecurityState, security_page


async def health(_request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


api = Starlette(routes=[Route("/health", health), *webhooks.routes])

app = rx.App(
    api_transformer=api,
    head_components=[rx.el.meta(name="viewport", content="width=device-width, initial-scale=1")],
)
app.register_lifespan_task(scheduler.lifespan_task)
app.add_page(login_page, route=routes.LOGIN, title="selfservice", on_load=LoginState.load)
app.add_page(home_page, route=routes.HOME, title="selfservice", on_load=HomeState.load)
app.add_page(directory_page, route=routes.DIRECTORY, title="selfservice", on_load=DirectoryState.load)
app.add_page(employee_new_page, route=routes.EMPLOYEE_NEW, title="selfservice", on_load=EmployeeFormState.load_new)
app.add_page(employee_edit_page, route=routes.EMPLOYEE_EDIT, title="selfservice", on_load=EmployeeFormState.load_edit)
app.add_page(import_page, route=routes.IMPORT, title="selfservice", on_load=ImportState.load)
app.add_page(security_page, route=routes.SECURITY, title="selfservice", on_load=SecurityState.load)
app.add_page(inbox_page, route=routes.INBOX, title="selfservice", on_load=InboxState.load)
app.add_page(message_page, route=routes.MESSAGE, title="selfservice", on_load=InboxState.load_message)
app.add_page(link_page, route=routes.LINK, title="selfservice", on_load=LinkState.load)
app.add_page(outbox_page, route=routes.OUTBOX, title="selfservice", on_load=OutboxState.load)
app.add_page(calendar_page, route=routes.CALENDAR, title="selfservice", on_load=CalendarState.load)
app.add_page(channels_page, route=routes.CHANNELS, title="selfservice", on_load=ChannelsState.load)
