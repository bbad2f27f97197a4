"""The attendance panels of the HR dashboard, as exportable rows (registered on import)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from selfservice.domain.actor import Actor
from selfservice.i18n import t
from selfservice.services import attendance
from selfservice.services.dashboard import Panel, register

MISSING_TODAY, STREAKS, FOLLOWUPS, FORWARDS, CHART, HEALTH = "missing_today", "streaks", "followups", "forwards", "anomaly_chart", "health"


def _name(language: str, zh: str, en: str) -> str:
    return en if language == "en" and en else zh


def _channels(language: str, states: list[tuple[str, str, str]]) -> str:
    return "; ".join(
        f"{t(language, 'channel.name.' + c)}: {t(language, 'delivery.status.' + s)}" + (f" ({t(language, 'outbox.read')} {r})" if r else "")
        for c, s, r in states
    )


def _missing_today(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    return [
        [_name(language, r.department, r.department_en), r.scheduled, r.missing, r.not_yet_in, "、".join(r.names)]
        for r in attendance.missing_today(session, actor, now)
    ]


def _streaks(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    return [
        [
            r.employee_no,
            r.name,
            _name(language, r.department, r.department_en),
            r.manager,
            r.days,
            float(r.missing),
            f"{r.start} – {r.last}",
            r.reminder_at,
            _channels(language, r.channels),
            r.read_at,
            r.acknowledged_at,
            r.forwarded_at,
            t(language, "attendance.followup." + r.followup) if r.followup else "",
        ]
        for r in attendance.current_streaks(session, actor, now)
    ]


def _followups(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    return [
        [
            r.employee_no,
            r.name,
            _name(language, r.department, r.department_en),
            r.days,
            r.reminder_read_at,
            r.opened_at,
            r.assignee,
            t(language, "attendance.followup." + r.status),
            "\n".join(f"{at} {author}: {text}" for at, author, _kind, text in r.notes),
        ]
        for r in attendance.followups(session, actor, include_done=True)
    ]


def _forwards(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    return [
        [f.employee_no, f.name, f.days, f.reminder_sent_at, f.unread_at, f.reminder_read_at]
        for f in attendance.unread_forwards(session, actor)
    ]


def _chart(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    chart = attendance.anomaly_chart(session, actor, now)
    header = [t(language, "attendance.col.day"), *(_name(language, zh, en) for zh, en in chart.departments), t(language, "dashboard.total")]
    return [header, *([day.isoformat(), *counts, sum(counts)] for day, counts in zip(chart.days, chart.counts, strict=True))]


def _health(session: Session, actor: Actor, now: datetime, language: str) -> list[list]:
    return [[t(language, "health.severity." + a.severity), t(language, a.key, **a.params)] for a in attendance.health(session, actor, now)]


register(
    Panel(
        MISSING_TODAY,
        "dashboard.missing_today",
        10,
        ("field.department", "dashboard.scheduled", "dashboard.missing", "dashboard.not_yet_in", "dashboard.names"),
        _missing_today,
    )
)
register(
    Panel(
        STREAKS,
        "dashboard.streaks",
        20,
        (
            "field.employee_no",
            "field.name",
            "field.department",
            "field.manager",
            "dashboard.days",
            "attendance.col.missing",
            "dashboard.dates",
            "dashboard.reminder_sent",
            "dashboard.channels",
            "outbox.read",
            "attendance.replied",
            "dashboard.forwarded",
            "dashboard.followup",
        ),
        _streaks,
    )
)
register(
    Panel(
        FOLLOWUPS,
        "dashboard.followups",
        30,
        (
            "field.employee_no",
            "field.name",
            "field.department",
            "dashboard.days",
            "dashboard.reminder_read",
            "dashboard.opened",
            "dashboard.assignee",
            "field.status",
            "dashboard.notes",
        ),
        _followups,
    )
)
register(
    Panel(
        FORWARDS,
        "dashboard.forwards",
        40,
        ("field.employee_no", "field.name", "dashboard.days", "dashboard.reminder_sent", "dashboard.unread_at", "dashboard.reminder_read"),
        _forwards,
    )
)
register(Panel(CHART, "dashboard.chart", 50, (), _chart))  # its header names the departments
register(Panel(HEALTH, "dashboard.health", 60, ("dashboard.severity", "dashboard.alert"), _health))
