"""The disappearance case (旷工案件): from a streak of missing days to a return-to-work notice and,
when the deadline passes unanswered, a lawful termination.

The law it follows:

- SPC labour-dispute interpretation (I) art. 44: for a dismissal the employer bears the burden of
  proof, so every step is on record before the next is allowed;
- Labour Contract Law art. 39(2): termination for a serious breach of a rule the employee knew —
  the notices cite the handbook version the employee signed;
- art. 43: the union is told before the termination notice goes out;
- the address for service the employee confirmed: formal notices go only to confirmed channels,
  a termination notice on at least two of them.

Plain Python: the services load the facts and call these rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from selfservice.domain.errors import DomainError, ValidationFailed
from selfservice.domain.text import clean


class Stage(StrEnum):
    open = "open"  # opened; calls, visits and notes gather; no notice yet
    notice_sent = "notice_sent"  # the return-to-work notice is out; its deadline runs
    paused = "paused"  # the employee reacted; HR decides: resolved, or continue
    approval = "approval"  # termination proposed; the approval chain decides
    approved = "approved"  # termination approved; the union is told, then the notice
    terminated = "terminated"  # the termination notice went out; the separation runs
    resolved = "resolved"  # closed without termination (returned, explained, on leave, …)


OPEN_STAGES = (Stage.open, Stage.notice_sent, Stage.paused, Stage.approval, Stage.approved)
CLOSED_STAGES = (Stage.terminated, Stage.resolved)


class EventKind(StrEnum):
    call = "call"  # a call attempt: number dialled, outcome, optional recording
    visit = "visit"  # a home visit
    emergency_contact = "emergency_contact"  # a message to or call with the emergency contact
    note = "note"
    posted = "posted"  # the notice posted (EMS tracking number, photo of the receipt)
    union_notice = "union_notice"  # art. 43: the union told (sent through the outbox or uploaded)
    union_reply = "union_reply"  # the union's answer and its date
    reaction = "reaction"  # the system saw the employee react (punch, leave, reply)
    continued = "continued"  # HR decided to go on after a reaction
    resolved = "resolved"
    rejected = "rejected"  # the termination proposal was rejected in the chain


# What HR and the manager add by hand (the rest the system records itself).
MANUAL_KINDS = (EventKind.call, EventKind.visit, EventKind.emergency_contact, EventKind.note)


class CallOutcome(StrEnum):
    no_answer = "no_answer"
    switched_off = "switched_off"
    refused = "refused"  # answered and refused to talk / hung up
    reached = "reached"
    wrong_number = "wrong_number"


class Resolution(StrEnum):
    returned = "returned"  # came back to work
    explained = "explained"  # a valid reason (illness, emergency) with proof
    leave = "leave"  # leave filed and approved for the days
    resigned = "resigned"  # the employee resigned instead
    other = "other"


MAX_TEXT = 1000
MIN_STREAK, MAX_STREAK = 1, 30
MIN_RETURN_DAYS, MAX_RETURN_DAYS = 1, 30
MIN_TERMINATION_CHANNELS = 2
MAX_APPROVERS = 5


def number(prefix: str, year: int, count: int) -> str:
    """AJ-2026-0001 (case), FG-… (返岗通知书), JC-… (解除通知书)."""
    return f"{prefix}-{year}-{count + 1:04d}"


def deadline(sent_at: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The end of the ``days``-th calendar day after the notice is sent, in company time: a notice
    sent on Monday with 3 days runs until Thursday 24:00."""
    if not MIN_RETURN_DAYS <= days <= MAX_RETURN_DAYS:
        raise ValueError(days)
    last_day = sent_at.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(last_day + timedelta(days=1), time(0), tz)


def passed(deadline_at: datetime | None, now: datetime) -> bool:
    return deadline_at is not None and now >= deadline_at


def check_text(text: str, required: bool = True, field: str = "text") -> str:
    text = clean(text or "").strip()
    if required and not text:
        raise ValidationFailed("case.text_required", field=field)
    if len(text) > MAX_TEXT:
        raise ValidationFailed("leave.reason_too_long", field=field, max=MAX_TEXT)
    return text


def check_channels(chosen: list[str], confirmed: list[str], minimum: int = 1) -> list[str]:
    """Formal notices go only where the employee confirmed they may be served, and the
    termination notice on at least two such channels."""
    sendable = [c for c in confirmed if c != "post"]
    if not sendable:
        raise DomainError("case.no_confirmed_channels")
    picked = list(dict.fromkeys(c for c in chosen if c))
    unconfirmed = [c for c in picked if c not in sendable]
    if unconfirmed:
        named = unconfirmed[0] if unconfirmed[0] in ("inapp", "wecom", "sms", "email") else "other"
        raise DomainError(f"case.channel_unconfirmed.{named}")
    if len(picked) < minimum:
        raise DomainError("case.too_few_channels", count=minimum)
    return picked


def check_open(stage: str) -> None:
    if stage in CLOSED_STAGES:
        raise DomainError("case.closed")


def check_return_notice(stage: str) -> None:
    """One return-to-work notice per case, sent while it is open (a paused case first continues)."""
    check_open(stage)
    if stage != Stage.open:
        raise DomainError("case.notice_already")


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return deadline_text(moment, tz)


def deadline_text(deadline_at: datetime, tz: ZoneInfo) -> str:
    """A deadline as people read it: the last minute it still holds ("2026-12-05 23:59")."""
    return f"{(deadline_at - timedelta(seconds=1)).astimezone(tz):%Y-%m-%d %H:%M}"


def check_proposal(stage: str, deadline_at: datetime | None, now: datetime, tz: ZoneInfo) -> None:
    """Termination may be proposed only after the return notice's deadline passed unanswered."""
    check_open(stage)
    if stage == Stage.paused:
        raise DomainError("case.paused")
    if stage in (Stage.approval, Stage.approved):
        raise DomainError("case.already_proposed")
    if deadline_at is None:
        raise DomainError("case.no_return_notice")
    if not passed(deadline_at, now):
        raise DomainError("case.deadline_not_passed", deadline=_local(deadline_at, tz))


@dataclass(frozen=True)
class TerminationFacts:
    stage: str
    deadline_at: datetime | None
    approved: bool  # the approval chain approved the proposal
    union_notified: bool  # art. 43: the union notice is on record
    rule_signed: bool  # the employee signed the handbook version the notice cites
    tz: ZoneInfo


def check_termination(facts: TerminationFacts, now: datetime) -> None:
    """Everything art. 39(2) and art. 43 need is on record before the termination notice exists;
    each refusal names what is missing."""
    check_open(facts.stage)
    if facts.stage == Stage.paused:
        raise DomainError("case.paused")
    if facts.deadline_at is None:
        raise DomainError("case.no_return_notice")
    if not passed(facts.deadline_at, now):
        raise DomainError("case.deadline_not_passed", deadline=_local(facts.deadline_at, facts.tz))
    if not facts.approved or facts.stage != Stage.approved:
        raise DomainError("case.not_approved")
    if not facts.union_notified:
        raise DomainError("case.no_union_notice")
    if not facts.rule_signed:
        raise DomainError("case.rule_not_signed")


def check_union(stage: str) -> None:
    """The union is told once the termination is approved (and before the notice)."""
    check_open(stage)
    if stage != Stage.approved:
        raise DomainError("case.not_approved")


def check_approvers(approver_ids: list[int]) -> list[int]:
    unique = list(dict.fromkeys(approver_ids))
    if not unique:
        raise ValidationFailed("case.approvers_required", field="approvers")
    if len(unique) > MAX_APPROVERS:
        raise ValidationFailed("case.approvers_too_many", field="approvers", max=MAX_APPROVERS)
    return unique


@dataclass(frozen=True)
class Rule:
    """The handbook clause a notice cites, with the version the employee signed."""

    title: str
    version: int
    sha256: str
    text: str
    signed_at: datetime | None  # None: the employee never signed this handbook
    title_en: str = ""


@dataclass(frozen=True)
class NoticeFacts:
    number: str
    company: str
    name: str
    employee_no: str
    department: str
    missing: list[date]
    rule: Rule | None
    sent_at: datetime  # aware; company time is used on the page
    deadline_at: datetime | None  # return notice only
    tz: ZoneInfo
    verify_url: str = ""


def _dates_zh(days: list[date]) -> str:
    return "、".join(f"{d.month}月{d.day}日" for d in days)


def _dates_en(days: list[date]) -> str:
    return ", ".join(d.isoformat() for d in days)


def _rule_zh(rule: Rule | None, tz: ZoneInfo) -> str:
    if rule is None:
        return "公司规章制度"
    signed = f"（您已于 {rule.signed_at.astimezone(tz):%Y年%m月%d日} 签收）" if rule.signed_at else ""
    return f"《{rule.title}》第 {rule.version} 版{signed}，SHA-256：{rule.sha256[:16]}…"


def return_notice(f: NoticeFacts) -> tuple[str, str]:
    """返岗通知书: the Chinese and English text (the PDF and the message say the same)."""
    assert f.deadline_at is not None
    local_deadline = (f.deadline_at - timedelta(seconds=1)).astimezone(f.tz)
    rule_zh = _rule_zh(f.rule, f.tz)
    clause_zh = f"其中规定：“{f.rule.text}”" if f.rule and f.rule.text else ""
    zh = (
        f"{f.name}（工号 {f.employee_no}，{f.department}）：\n"
        f"您自 {f.missing[0].year}年{_dates_zh(f.missing[:1])} 起未到岗上班，且未办理请假手续。"
        f"缺勤日期：{_dates_zh(f.missing)}，共 {len(f.missing)} 个工作日。公司多次联系您未果。\n"
        f"根据{rule_zh}{clause_zh}，"
        f"请您于 {local_deadline:%Y年%m月%d日 %H:%M} 前返回工作岗位，或以书面形式说明缺勤原因并提交相关证明。\n"
        f"逾期既未返岗也未说明的，公司将依照上述制度及《中华人民共和国劳动合同法》第三十九条第（二）项处理。\n"
        f"{f.company}\n{f.sent_at.astimezone(f.tz):%Y年%m月%d日}"
    )
    rule_en = (
        f'"{f.rule.title}", version {f.rule.version}'
        + (f", which you signed on {f.rule.signed_at.astimezone(f.tz):%Y-%m-%d}" if f.rule.signed_at else "")
        if f.rule
        else "the company's rules"
    )
    clause_en = f', which provides: "{f.rule.text}"' if f.rule and f.rule.text else ""
    en = (
        f"To {f.name} (No. {f.employee_no}, {f.department}):\n"
        f"You have not reported for work since {f.missing[0].isoformat()} and have not applied for leave. "
        f"Days absent: {_dates_en(f.missing)} ({len(f.missing)} working days). The company has tried to reach you without success.\n"
        f"Under {rule_en}{clause_en}, please return to work, or explain your absence in writing with supporting proof, "
        f"by {local_deadline:%Y-%m-%d %H:%M} (China time).\n"
        f"If you neither return nor explain by then, the company will act under those rules and art. 39(2) of the Labour Contract Law.\n"
        f"{f.company}, {f.sent_at.astimezone(f.tz):%Y-%m-%d}"
    )
    return zh, en


def termination_notice(f: NoticeFacts, return_number: str, return_sent: datetime, last_day: date) -> tuple[str, str]:
    """解除劳动合同通知书 (art. 39(2))."""
    rule_zh = _rule_zh(f.rule, f.tz)
    zh = (
        f"{f.name}（工号 {f.employee_no}，{f.department}）：\n"
        f"您自 {_dates_zh(f.missing[:1])} 起连续旷工，缺勤日期：{_dates_zh(f.missing)}，共 {len(f.missing)} 个工作日。"
        f"公司已于 {return_sent.astimezone(f.tz):%Y年%m月%d日} 向您送达《返岗通知书》（编号 {return_number}），"
        f"您逾期既未返岗也未说明理由。\n"
        f"您的行为严重违反了{rule_zh}。根据《中华人民共和国劳动合同法》第三十九条第（二）项，"
        f"公司已事先将解除理由通知工会，现决定自 {last_day:%Y年%m月%d日} 起解除与您的劳动合同。\n"
        f"请您自收到本通知之日起办理工作交接；公司将依法为您出具解除劳动合同证明书并办理档案和社会保险关系转移手续。\n"
        f"{f.company}\n{f.sent_at.astimezone(f.tz):%Y年%m月%d日}"
    )
    en = (
        f"To {f.name} (No. {f.employee_no}, {f.department}):\n"
        f"You have been absent without leave since {f.missing[0].isoformat()}: {_dates_en(f.missing)} ({len(f.missing)} working days). "
        f"The company served you a return-to-work notice (No. {return_number}) on {return_sent.astimezone(f.tz):%Y-%m-%d}; "
        f"you neither returned nor explained by its deadline.\n"
        f"This is a serious breach of the company's rules. Under art. 39(2) of the Labour Contract Law, having first notified the union "
        f"of the reasons, the company terminates your labour contract with effect from {last_day.isoformat()}.\n"
        f"Please hand over your work; the company will issue the separation certificate and transfer your file and social insurance "
        f"as the law requires.\n"
        f"{f.company}, {f.sent_at.astimezone(f.tz):%Y-%m-%d}"
    )
    return zh, en
