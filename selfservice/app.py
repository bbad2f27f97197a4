"""rx.App and page registration, nothing else."""

from __future__ import annotations

import reflex as rx

from selfservice import api
from selfservice.api import protect
from selfservice.jobs import scheduler
from selfservice.ui import events, routes
from selfservice.ui.pages import attendance_panels, cases, policy_panels, separations_hr  # noqa: F401  (register their panels of /hr)
from selfservice.ui.pages.approvals import ApprovalsState, approvals_page
from selfservice.ui.pages.attendance import EmployeeAttendanceState, MyAttendanceState, employee_attendance_page, my_attendance_page
from selfservice.ui.pages.attendance_settings import AttendanceSettingsState, attendance_settings_page
from selfservice.ui.pages.attendance_sources import SourcesState, sources_page
from selfservice.ui.pages.backups import BackupsState, backups_page
from selfservice.ui.pages.calendar import CalendarState, calendar_page
from selfservice.ui.pages.cases import CasesState, CaseState, NoticeState, case_page, cases_page, notice_page
from selfservice.ui.pages.channels import ChannelsState, channels_page
from selfservice.ui.pages.contact import ContactState, contact_page
from selfservice.ui.pages.directory import DirectoryState, directory_page
from selfservice.ui.pages.employee_form import EmployeeFormState, employee_edit_page, employee_new_page
from selfservice.ui.pages.home import HomeState, home_page
from selfservice.ui.pages.hr_dashboard import hr_dashboard_page
from selfservice.ui.pages.hr_dashboard import on_load as hr_dashboard_load
from selfservice.ui.pages.import_employees import ImportState, import_page
from selfservice.ui.pages.inbox import InboxState, inbox_page, message_page
from selfservice.ui.pages.leave import LeaveState, leave_page
from selfservice.ui.pages.leave_calendar import LeaveCalendarState, leave_calendar_page
from selfservice.ui.pages.leave_settings import LeaveSettingsState, leave_settings_page
from selfservice.ui.pages.login import LoginState, finish_page, login_page
from selfservice.ui.pages.message_link import LinkState, link_page
from selfservice.ui.pages.my_policies import MyPoliciesState, PolicyReadState, VerifyState, my_policies_page, policy_read_page, verify_page
from selfservice.ui.pages.not_found import not_found_page
from selfservice.ui.pages.outbox import OutboxState, outbox_page
from selfservice.ui.pages.policies import PoliciesState, PolicyEditState, policies_page, policy_edit_page
from selfservice.ui.pages.security import SecurityState, security_page
from selfservice.ui.pages.separation import ResignState, SeparationState, resign_page, separation_page
from selfservice.ui.pages.separations_hr import SeparationsState, TemplatesState, separations_page, templates_page
from selfservice.ui.pages.sso_admin import SsoAdminState, sso_admin_page
from selfservice.ui.pages.team import TeamState, team_page

app = events.App(  # rx.App with a bounded event queue per tab, dropped when the tab goes
    api_transformer=[api.build(), protect.protect],  # routes beside Reflex, then body limits and headers around all
    stylesheets=["/a11y.css"],
    head_components=[
        rx.el.meta(name="viewport", content="width=device-width, initial-scale=1"),
        # add to home screen: icons and manifest in assets/; the service worker keeps the built JS/CSS
        rx.el.link(rel="icon", href="/favicon.ico", sizes="48x48"),
        rx.el.link(rel="apple-touch-icon", href="/apple-touch-icon.png"),
        rx.el.link(rel="manifest", href="/manifest.webmanifest"),
        rx.el.meta(name="theme-color", content="#3e63dd"),
        rx.script(src="/register-sw.js"),
    ],
)
app.register_lifespan_task(scheduler.lifespan_task)
PAGES = (
    (routes.LOGIN, login_page, LoginState.load),
    (routes.SSO_FINISH, finish_page, LoginState.sso_finish),
    (routes.HOME, home_page, HomeState.load),
    (routes.DIRECTORY, directory_page, DirectoryState.load),
    (routes.EMPLOYEE_NEW, employee_new_page, EmployeeFormState.load_new),
    (routes.EMPLOYEE_EDIT, employee_edit_page, EmployeeFormState.load_edit),
    (routes.IMPORT, import_page, ImportState.load),
    (routes.SECURITY, security_page, SecurityState.load),
    (routes.INBOX, inbox_page, InboxState.load),
    (routes.MESSAGE, message_page, InboxState.load_message),
    (routes.LINK, link_page, LinkState.load),
    (routes.OUTBOX, outbox_page, OutboxState.load),
    (routes.CALENDAR, calendar_page, CalendarState.load),
    (routes.CHANNELS, channels_page, ChannelsState.load),
    (routes.LEAVE, leave_page, LeaveState.load),
    (routes.APPROVALS, approvals_page, ApprovalsState.load),
    (routes.LEAVE_SETTINGS, leave_settings_page, LeaveSettingsState.load),
    (routes.LEAVE_CALENDAR, leave_calendar_page, LeaveCalendarState.load),
    (routes.HR_DASHBOARD, hr_dashboard_page, hr_dashboard_load()),
    (routes.ATTENDANCE, my_attendance_page, MyAttendanceState.load),
    (routes.ATTENDANCE_EMPLOYEE, employee_attendance_page, EmployeeAttendanceState.load_employee),
    (routes.ATTENDANCE_SOURCES, sources_page, SourcesState.load),
    (routes.ATTENDANCE_SETTINGS, attendance_settings_page, AttendanceSettingsState.load),
    (routes.TEAM, team_page, TeamState.load),
    (routes.POLICIES, policies_page, PoliciesState.load),
    (routes.POLICY_EDIT, policy_edit_page, PolicyEditState.load),
    (routes.POLICIES_MINE, my_policies_page, MyPoliciesState.load),
    (routes.POLICY_READ, policy_read_page, PolicyReadState.load),
    (routes.VERIFY, verify_page, VerifyState.load),
    (routes.CONTACT, contact_page, ContactState.load),
    (routes.RESIGN, resign_page, ResignState.load),
    (routes.SEPARATION, separation_page, SeparationState.load),
    (routes.SEPARATIONS, separations_page, SeparationsState.load),
    (routes.SEPARATION_TEMPLATES, templates_page, TemplatesState.load),
    (routes.CASES, cases_page, CasesState.load),
    (routes.CASE, case_page, CaseState.load),
    (routes.NOTICE, notice_page, NoticeState.load),
    (routes.SSO_ADMIN, sso_admin_page, SsoAdminState.load),
    (routes.BACKUPS, backups_page, BackupsState.load),
)
for route, component, on_load in PAGES:
    app.add_page(component, route=route, title="selfservice", on_load=on_load)
app.add_page(not_found_page, route="404", title="selfservice")  # unknown addresses: translated, with a way home
