"""Who is acting, and the role rules that every layer shares."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Account roles. A manager is an employee with direct reports and the approvals inbox."""

    employee = "employee"
    manager = "manager"
    hr = "hr"
    admin = "admin"


# Which roles include which: an admin may do what HR may do, HR what a manager may do, etc.
_RANK = {Role.employee: 0, Role.manager: 1, Role.hr: 2, Role.admin: 3}


@dataclass(frozen=True)
class Actor:
    """The signed-in person as the services see them (re-read from the database per event)."""

    account_id: int
    employee_id: int
    username: str
    role: Role
    session_id: int | None = None
    language: str = "zh-CN"

    def has_role(self, *roles: Role) -> bool:
        """True when the actor's role is one of ``roles`` or ranks above all of them."""
        if not roles:
            return True
        return any(_RANK[self.role] >= _RANK[Role(role)] for role in roles)

    @property
    def is_hr(self) -> bool:
        return self.has_role(Role.hr)

    @property
    def label(self) -> str:
        return f"{self.username}#{self.account_id}"


SYSTEM = Actor(account_id=0, employee_id=0, username="system", role=Role.admin)
"""The actor used by the CLI, jobs and demo loader."""
