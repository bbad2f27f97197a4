"""Notifications (通知): bilingual templates, the exact text each channel sends, retry backoff,
and signed links that prove a recipient opened a message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from selfservice.domain.errors import DomainError


class ChannelName(StrEnum):
    inapp = "inapp"
    wecom = "wecom"
    sms = "sms"
    email = "email"


OUTBOUND = (ChannelName.wecom, ChannelName.sms, ChannelName.email)


class DeliveryStatus(StrEnum):
    queued = "queued"
    sent = "sent"  # accepted by the provider
    delivered = "delivered"  # the provider (or the app, for in-app) confirmed arrival
    failed = "failed"
    not_configured = "not_configured"


MAX_ATTEMPTS = 8

# template → language → (title, body). Bodies may use {placeholders} filled from params.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "system.test": {
        "zh-CN": ("测试消息", "这是一条来自员工自助系统的测试消息（{channel}）。"),
        "en": ("Test message", "This is a test message from Self-service ({channel})."),
    },
    "system.welcome": {
        "zh-CN": ("欢迎使用员工自助", "{name}，您好！请查看并确认您的联系方式，所有通知都会发送到这里。"),
        "en": ("Welcome to Self-service", "Hello {name}! Please check your contact details; every notice is sent here."),
    },
    "notice.generic": {
        "zh-CN": ("{title_zh}", "{body_zh}"),
        "en": ("{title_en}", "{body_en}"),
    },
    "approval.requested": {
        "zh-CN": ("待审批：{requester}的{what_zh}", "{requester}提交了{what_zh}：{summary_zh}。请在“审批”中处理。"),
        "en": ("To approve: {what_en} from {requester}", "{requester} submitted a {what_en}: {summary_en}. Please decide in Approvals."),
    },
    "approval.reminder": {
        "zh-CN": ("审批提醒：{requester}的{what_zh}", "{requester}的{what_zh}（{summary_zh}）已超过审批时限，仍待您处理。"),
        "en": (
            "Reminder: {what_en} from {requester}",
            "The {what_en} from {requester} ({summary_en}) is past its time limit and still waits for you.",
        ),
    },
    "approval.escalated": {
        "zh-CN": ("转交审批：{requester}的{what_zh}", "{original}未在时限内处理{requester}的{what_zh}（{summary_zh}），现转由您审批。"),
        "en": (
            "Escalated to you: {what_en} from {requester}",
            "{original} did not decide the {what_en} from {requester} ({summary_en}) in time; it is now yours to decide.",
        ),
    },
    "approval.step_approved": {
        "zh-CN": ("{what_zh}进展：{decider}已同意", "您的{what_zh}（{summary_zh}）已由{decider}同意，进入下一步审批。意见：{comment}"),
        "en": (
            "{what_en}: approved by {decider}",
            "Your {what_en} ({summary_en}) was approved by {decider} and goes to the next approver. Comment: {comment}",
        ),
    },
    "approval.approved": {
        "zh-CN": ("{what_zh}已批准", "您的{what_zh}（{summary_zh}）已由{decider}批准。意见：{comment}"),
        "en": ("{what_en} approved", "Your {what_en} ({summary_en}) was approved by {decider}. Comment: {comment}"),
    },
    "approval.rejected": {
        "zh-CN": ("{what_zh}被驳回", "您的{what_zh}（{summary_zh}）被{decider}驳回。理由：{comment}"),
        "en": ("{what_en} rejected", "Your {what_en} ({summary_en}) was rejected by {decider}. Reason: {comment}"),
    },
    "approval.withdrawn": {
        "zh-CN": ("{requester}撤回了{what_zh}", "{requester}已撤回{what_zh}（{summary_zh}），无需再审批。"),
        "en": ("{requester} withdrew a {what_en}", "{requester} withdrew the {what_en} ({summary_en}); nothing to decide."),
    },
    "absence.reminder": {
        "zh-CN": (
            "考勤提醒：您已连续{days}天未打卡",
            "您已连续{days}天（{dates_zh}）未打卡，请尽快通过员工自助系统提交请假申请或说明情况，逾期将按旷工处理。",
        ),
        "en": (
            "Attendance reminder: {days} working days without clocking in",
            "You have not clocked in for {days} consecutive working days ({dates_en}). Please file a leave request or explain "
            "your absence in Self-service as soon as possible; otherwise the days will be treated as unexcused absence.",
        ),
    },
    "absence.forwarded": {
        "zh-CN": (
            "{name}的考勤提醒未读",
            "{name}（{employee_no}）已连续{days}天（{dates_zh}）未打卡。系统于{sent_at}通过{channels_zh}发送了提醒，截至{checked_at}仍未读。"
            "请尽快联系本人，并在“我的团队”中记录联系情况。",
        ),
        "en": (
            "Unread attendance reminder: {name}",
            "{name} ({employee_no}) has not clocked in for {days} consecutive working days ({dates_en}). A reminder was sent at "
            "{sent_at} by {channels_en} and was still unread at {checked_at}. Please reach them and note it under My team.",
        ),
    },
    "absence.forwarded_hr": {
        "zh-CN": (
            "{name}的考勤提醒未读（无直属领导）",
            "{name}（{employee_no}）已连续{days}天（{dates_zh}）未打卡。系统于{sent_at}通过{channels_zh}发送了提醒，截至{checked_at}仍未读。"
            "此员工没有直属领导，请人力资源部尽快联系本人，并在考勤看板中记录。",
        ),
        "en": (
            "Unread attendance reminder: {name} (no direct manager)",
            "{name} ({employee_no}) has not clocked in for {days} consecutive working days ({dates_en}). A reminder was sent at "
            "{sent_at} by {channels_en} and was still unread at {checked_at}. They have no direct manager: please reach them "
            "and note it on the attendance dashboard.",
        ),
    },
    "calendar.year_missing": {
        "zh-CN": (
            "{year}年法定节假日尚未录入",
            "工作日历中还没有{year}年的法定节假日和调休安排。录入之前，{year}年的缺勤只记录、不提醒。请在“工作日历”中加载或录入。",
        ),
        "en": (
            "{year} statutory holidays not entered",
            "The work calendar has no statutory holidays or swapped workdays for {year} yet. Until they are entered, absences "
            "in {year} are recorded but nobody is reminded. Please load or enter them on the Work calendar page.",
        ),
    },
    "leave.fyi": {
        "zh-CN": ("请假通知：{requester}", "{requester}的{what_zh}已获批准：{summary_zh}。"),
        "en": ("Leave: {requester}", "{requester}'s {what_en} was approved: {summary_en}."),
    },
    "policy.published": {
        "zh-CN": (
            "请阅读并确认：《{title_zh}》（版本 {number}）",
            "公司发布了《{title_zh}》（版本 {number}）。请阅读全文并签名确认{due_zh}。",
        ),
        "en": (
            "Please read and sign: “{title_en}” (version {number})",
            "The company published “{title_en}” (version {number}). Please read it in full and sign that you have{due_en}.",
        ),
    },
    "policy.published_fyi": {
        "zh-CN": ("新制度：《{title_zh}》（版本 {number}）", "公司发布了《{title_zh}》（版本 {number}），请阅读。"),
        "en": ("New policy: “{title_en}” (version {number})", "The company published “{title_en}” (version {number}). Please read it."),
    },
    "policy.reminder": {
        "zh-CN": ("提醒：《{title_zh}》尚未签名确认", "您尚未签名确认《{title_zh}》（版本 {number}）{due_zh}。请阅读全文并签名。"),
        "en": (
            "Reminder: “{title_en}” is not signed yet",
            "You have not yet signed “{title_en}” (version {number}){due_en}. Please read it in full and sign.",
        ),
    },
    "policy.overdue": {
        "zh-CN": (
            "已逾期：《{title_zh}》未签名确认",
            "《{title_zh}》（版本 {number}）的确认期限{due_zh}已过，您仍未签名确认。请立即阅读并签名。",
        ),
        "en": (
            "Overdue: “{title_en}” not signed",
            "The deadline for “{title_en}” (version {number}) was {due_en} and you have not signed it. Please read and sign it now.",
        ),
    },
    "policy.overdue_manager": {
        "zh-CN": (
            "{name}未按期确认《{title_zh}》",
            "{name}（{employee_no}）未在期限{due_zh}前签名确认《{title_zh}》（版本 {number}）。请提醒本人尽快确认。",
        ),
        "en": (
            "{name} has not signed “{title_en}”",
            "{name} ({employee_no}) did not sign “{title_en}” (version {number}) by {due_en}. Please remind them to sign.",
        ),
    },
    "separation.later_day": {
        "zh-CN": ("直属领导建议的最后工作日：{date}", "您的直属领导建议将最后工作日改为 {date}。请在“离职”页面接受或谢绝。"),
        "en": (
            "Your manager proposes {date} as your last day",
            "Your manager proposes {date} as your last working day. Please accept or decline on the Resignation page.",
        ),
    },
    "separation.proposal_accepted": {
        "zh-CN": ("{name}接受了最后工作日 {date}", "{name}接受了您建议的最后工作日 {date}。"),
        "en": ("{name} accepted {date} as the last day", "{name} accepted the last working day you proposed, {date}."),
    },
    "separation.proposal_declined": {
        "zh-CN": ("{name}谢绝了建议的最后工作日", "{name}谢绝了您建议的日期，最后工作日仍为 {date}。"),
        "en": ("{name} declined the proposed last day", "{name} declined the day you proposed; the last working day stays {date}."),
    },
    "separation.confirmed": {
        "zh-CN": ("离职已确认，最后工作日 {date}", "您的离职已确认，最后工作日为 {date}。离职交接清单已开始，可在“离职”页面查看每个环节。"),
        "en": (
            "Separation confirmed: last day {date}",
            "Your separation is confirmed; your last working day is {date}. The handover checklist has started: follow each stage on the Resignation page.",
        ),
    },
    "separation.handover_done": {
        "zh-CN": ("{name}的离职交接已全部完成", "{name}的离职交接清单已全部确认。"),
        "en": ("{name}'s handover is complete", "Every item of {name}'s handover checklist is confirmed."),
    },
    "separation.certificate": {
        "zh-CN": (
            "{title_zh}（{number}）",
            "公司已为您出具《{title_zh}》，编号 {number}，离职日期 {date}。请在“离职”页面下载，并点击“我已收到”确认。文件 SHA-256：{sha256}",
        ),
        "en": (
            "{title_en} ({number})",
            "Your {title_en}, number {number}, separation date {date}, is issued. Please download it on the Resignation page and confirm receipt. File SHA-256: {sha256}",
        ),
    },
    "case.notice": {
        "zh-CN": (
            "{title_zh}（{number}）",
            "{text_zh}\n请打开链接查看并点击“我已收到”；如需说明情况，可在同一页面回复。文件 SHA-256：{sha256}",
        ),
        "en": (
            "{title_en} ({number})",
            "{text_en}\nPlease open the link and confirm receipt; you can reply there to explain. File SHA-256: {sha256}",
        ),
    },
    "case.union_notice": {
        "zh-CN": (
            "解除劳动合同事先通知工会：{name}（{number}）",
            "根据《劳动合同法》第四十三条，公司拟以第三十九条第（二）项为由解除与 {name}（工号 {employee_no}）的劳动合同，理由：{reason}。请工会在 {reply_by} 前提出意见。",
        ),
        "en": (
            "Union notice before a termination: {name} ({number})",
            "Under art. 43 of the Labour Contract Law the company notifies the union that it intends to terminate the contract of {name} (No. {employee_no}) under art. 39(2). Reason: {reason}. Please give the union's view by {reply_by}.",
        ),
    },
    "case.reaction": {
        "zh-CN": ("旷工案件已暂停：{name}（{number}）", "{name} 有了回应：{reaction}。案件已暂停，请决定结案或继续。"),
        "en": ("Case paused: {name} ({number})", "{name} reacted: {reaction}. The case is paused; please resolve it or continue."),
    },
    "case.decided": {
        "zh-CN": ("解除提议{outcome_zh}：{name}（{number}）", "对 {name} 的解除劳动合同提议已{outcome_zh}。请在案件页面继续。"),
        "en": (
            "Termination proposal {outcome_en}: {name} ({number})",
            "The proposal to terminate the contract of {name} was {outcome_en}. Continue on the case page.",
        ),
    },
    "checklist.stage_open": {
        "zh-CN": (
            "离职交接待确认：{name}（{stage_zh}）",
            "{name}的离职交接“{stage_zh}”环节已开始，请确认您负责的 {count} 项（如“{item_zh}”）。最后工作日 {date}。",
        ),
        "en": (
            "Handover to confirm: {name} ({stage_en})",
            "The “{stage_en}” stage of {name}'s handover has started: please confirm your {count} item(s) (e.g. “{item_en}”). Last working day {date}.",
        ),
    },
    "checklist.sent_back": {
        "zh-CN": ("交接事项被退回：{item_zh}", "您的离职交接事项“{item_zh}”（{stage_zh}）被退回，原因：{reason}"),
        "en": ("Handover item sent back: {item_en}", "Your handover item “{item_en}” ({stage_en}) was sent back: {reason}"),
    },
    "checklist.reminder": {
        "zh-CN": ("交接提醒：{name}的“{item_zh}”", "{name}的离职交接事项“{item_zh}”（{stage_zh}）仍待您确认。最后工作日 {date}。"),
        "en": (
            "Reminder: {name}'s “{item_en}”",
            "{name}'s handover item “{item_en}” ({stage_en}) still waits for your confirmation. Last working day {date}.",
        ),
    },
    "checklist.escalated": {
        "zh-CN": ("交接超时：{name}的“{item_zh}”", "{name}的离职交接事项“{item_zh}”（{stage_zh}）已超时未确认（负责人：{owners}）。"),
        "en": ("Handover overdue: {name}'s “{item_en}”", "{name}'s handover item “{item_en}” ({stage_en}) is overdue (held by {owners})."),
    },
    "contact.code": {
        "zh-CN": (
            "验证码：{code}",
            "您正在将{field_zh}更改为 {value}。验证码 {code}，{minutes}分钟内有效。如非本人操作，请立即联系人力资源部。",
        ),
        "en": (
            "Verification code: {code}",
            "You are changing your {field_en} to {value}. Your code is {code}, valid for {minutes} minutes. "
            "If this was not you, contact HR at once.",
        ),
    },
    "contact.reconfirm": {
        "zh-CN": (
            "请确认您的联系方式与送达地址",
            "请核对您在员工自助中的手机、邮箱、地址和紧急联系人，如有变化请更新，然后签名确认送达地址。",
        ),
        "en": (
            "Please confirm your contact details and address for service",
            "Please check your mobile, email, address and emergency contact in Self-service, update what changed, "
            "and sign the address-for-service confirmation.",
        ),
    },
    "contact.stale_manager": {
        "zh-CN": (
            "{name}的联系方式已超过{months}个月未确认",
            "{name}（{employee_no}）的联系方式和送达地址已超过{months}个月未确认。请提醒本人在员工自助中确认。",
        ),
        "en": (
            "{name}'s contact details unconfirmed for {months} months",
            "{name} ({employee_no}) has not confirmed their contact details and address for service for over {months} months. "
            "Please remind them to confirm in Self-service.",
        ),
    },
}


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def render(template: str, language: str, params: dict[str, str]) -> Rendered:
    """The title and body in ``language``; every placeholder must be given."""
    languages = TEMPLATES.get(template)
    if languages is None:
        raise DomainError("notify.unknown_template", template=template[:64])
    title, body = languages.get(language) or languages["zh-CN"]
    try:
        return Rendered(title.format(**params), body.format(**params))
    except (KeyError, IndexError) as missing:
        raise DomainError("notify.missing_param", param=str(missing)[:32]) from None


def channel_text(channel: str, rendered: Rendered, link: str) -> str:
    """The exact text one channel sends (kept with its SHA-256 as evidence)."""
    if channel == ChannelName.inapp:
        return f"{rendered.title}\n{rendered.body}"
    if channel == ChannelName.sms:
        return f"【{rendered.title}】{rendered.body} {link}"
    return f"{rendered.title}\n{rendered.body}\n{link}"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def backoff_seconds(attempts: int, base: float = 5.0, cap: float = 3600.0, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform in [base, min(cap, base·2^attempts)]."""
    ceiling = min(cap, base * (2 ** max(0, attempts)))
    return (rng or random).uniform(base, max(base, ceiling))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_link(secret_key: str, delivery_key: str, expires_at: datetime) -> str:
    """An unguessable, expiring token naming one delivery (so one recipient and one channel).

    ``delivery_key`` is the delivery's idempotency key, known before the row is written, so the
    link can be part of the text that is frozen at creation.
    """
    payload = f"{delivery_key}.{int(expires_at.timestamp())}"
    mac = hmac.new(("link:" + secret_key).encode(), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def verify_link(secret_key: str, token: str, now: datetime) -> str | None:
    """The delivery key a valid, unexpired token names, else None."""
    if not isinstance(token, str) or len(token) > 160 or token.count(".") != 2:
        return None
    delivery, expires, mac = token.split(".")
    if not (delivery.isalnum() and len(delivery) <= 64 and expires.isdigit()):
        return None
    expected = _b64(hmac.new(("link:" + secret_key).encode(), f"{delivery}.{expires}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, mac) or int(expires) < now.timestamp():
        return None
    return delivery


LINK_LIFETIME = timedelta(days=30)
