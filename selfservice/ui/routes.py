"""Every route of the app in one place."""

LOGIN = "/login"
HOME = "/"
DIRECTORY = "/directory"
EMPLOYEE_NEW = "/employees/new"
EMPLOYEE_EDIT = "/employees/edit"
IMPORT = "/employees/import"
SECURITY = "/account/security"
INBOX = "/inbox"
MESSAGE = "/inbox/message"
LINK = "/m"
OUTBOX = "/outbox"
CHANNELS = "/admin/channels"
CALENDAR = "/calendar"
LEAVE = "/leave"
APPROVALS = "/approvals"
LEAVE_SETTINGS = "/leave/settings"
LEAVE_CALENDAR = "/leave/calendar"
HR_DASHBOARD = "/hr"
ATTENDANCE = "/attendance"
ATTENDANCE_EMPLOYEE = "/attendance/employee"
ATTENDANCE_SOURCES = "/attendance/sources"
ATTENDANCE_SETTINGS = "/attendance/settings"
TEAM = "/team"
POLICIES = "/policies"
POLICY_EDIT = "/policies/edit"
POLICIES_MINE = "/policies/mine"
POLICY_READ = "/policies/read"
VERIFY = "/verify"
CONTACT = "/profile/contact"
RESIGN = "/resign"
SEPARATION = "/separation"
SEPARATIONS = "/separations"
SEPARATION_TEMPLATES = "/separations/templates"
CASES = "/cases"
CASE = "/case"
NOTICE = "/notice"
SSO_FINISH = "/sso/finish"
SSO_ADMIN = "/admin/sso"
BACKUPS = "/admin/backups"


def landing(role: str) -> str:
    """After sign-in: HR and admin start on the dashboard, everyone else on their home page."""
    return HR_DASHBOARD if role in ("hr", "admin") else HOME


def is_internal(path: str) -> bool:
    """A path of this app (to go back to after sign-in), never another site or the login itself."""
    return (
        isinstance(path, str)
        and 0 < len(path) <= 300
        and path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and not path.startswith(LOGIN)
        and all(ch.isprintable() for ch in path)
    )
