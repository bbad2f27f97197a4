"""Every route of the app in one place."""

LOGIN = "/login"
HOME = "/"
DIRECTORY = "/directory"
EMPLOYEE_NEW = "/employees/new"
EMPLOYEE_EDIT = "/employees/edit"
IMPORT = "/employees/import"
SECURITY = "/account/security"
