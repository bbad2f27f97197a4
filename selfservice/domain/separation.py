"""Separation (离职) rules: the notice period of a resignation, the statutory settlement of unused
annual leave, and the order of the handover checklist's stages. Plain Python; the services
apply them.

- Labour Contract Law art. 37: an employee resigns with 30 days' written notice, 3 days during
  probation. An earlier last day is a request the manager may accept; a later one is the
  employee's to choose.
- 企业职工带薪年休假实施办法 art. 12: on separation, unused annual leave is
  (calendar days of the year in this employment so far ÷ 365) × the year's entitlement − days
  already taken, fractions of a day dropped; days taken beyond that are not deducted. Art. 10:
  each such day is paid at 300 % of the daily wage (the payroll's part; shown as input).
- Labour Contract Law art. 50: the separation certificate at separation, the archive and social
  insurance transferred within 15 days, records kept at least 2 years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from selfservice.domain import leave_law
from selfservice.domain.errors import ValidationFailed

NOTICE_DAYS = 30
PROBATION_NOTICE_DAYS = 3
TRANSFER_DAYS = 15  # art. 50: archive and social insurance transferred within 15 days
KEEP_YEARS = 2  # art. 50: the separation's records kept at least 2 years


class SeparationType(StrEnum):
    resignation = "resignation"  # 劳动者提出解除, art. 37
    mutual = "mutual"  # 协商一致解除, art. 36
    expiry = "expiry"  # 劳动合同期满终止, art. 44
    dismissal = "dismissal"  # 用人单位解除, art. 39 (fault) / art. 40 (notice)


LAW_ARTICLE = {
    SeparationType.resignation: "37",
    SeparationType.mutual: "36",
    SeparationType.expiry: "44",
    SeparationType.dismissal: "39/40",
}


def default_last_day(today: date, on_probation: bool) -> date:
    """The last working day a resignation gives by law: 30 calendar days on, 3 in probation."""
    return today + timedelta(days=PROBATION_NOTICE_DAYS if on_probation else NOTICE_DAYS)


def check_last_day(proposed: date, today: date, on_probation: bool, manager_agreed: bool) -> None:
    """A last day in the past is refused; one before the notice period ends needs the manager's
    agreement; a later one is the employee's choice (at most a year ahead)."""
    if proposed < today:
        raise ValidationFailed("separation.last_day_past", field="last_day")
    if proposed > today + timedelta(days=366):
        raise ValidationFailed("separation.last_day_too_far", field="last_day")
    if proposed < default_last_day(today, on_probation) and not manager_agreed:
        raise ValidationFailed(
            "separation.last_day_early",
            field="last_day",
            days=PROBATION_NOTICE_DAYS if on_probation else NOTICE_DAYS,
            date=default_last_day(today, on_probation).isoformat(),
        )


@dataclass(frozen=True)
class Settlement:
    """Art. 12's computation for the year of separation, with its working."""

    year: int
    last_day: date
    elapsed_days: int  # calendar days of the year in this employment up to the last day
    weighted: int  # Σ calendar days × the days per year of the tier on that day
    taken: Decimal  # annual leave already taken this year
    exact: Decimal  # weighted ÷ 365 − taken, before dropping fractions
    days: int  # unused days to pay (never negative)

    @property
    def pay_percent(self) -> int:
        return 300  # art. 10: 300 % of the daily wage for each unused day (100 % already in salary + 200 %)


def settlement(hire_date: date, work_start: date | None, last_day: date, taken: Decimal) -> Settlement:
    """Unused annual leave to pay on separation (art. 12). The entitlement of each day follows the
    working years on that day (as for accrual), so the year someone crossed 10 years counts
    each part at its own tier; with one tier all year this is exactly (days ÷ 365) × entitlement."""
    if last_day < hire_date:
        raise ValidationFailed("separation.last_day_before_hire", field="last_day")
    year = last_day.year
    worked = leave_law.annual_entitlement(year, hire_date, work_start, left_on=last_day)
    elapsed = (last_day - max(hire_date, date(year, 1, 1))).days + 1
    exact = Decimal(worked.weighted) / leave_law.YEAR_DAYS - taken
    days = max(0, int(exact.to_integral_value(rounding=ROUND_FLOOR)))
    return Settlement(year, last_day, elapsed, worked.weighted, taken, exact.quantize(Decimal("0.01")), days)


# ---- the handover checklist (离职交接清单) ----------------------------------------------------


class ItemStatus(StrEnum):
    waiting = "waiting"  # its stage is not open yet
    open = "open"  # the owner may confirm it
    done = "done"
    sent_back = "sent_back"  # the owner returned it with a reason: open again for the departing side


@dataclass(frozen=True)
class ItemView:
    id: int
    stage: int  # 1-based position of its stage
    status: ItemStatus


def open_stage(items: list[ItemView]) -> int | None:
    """The first stage with an item not done (None when every item is done)."""
    pending = [i.stage for i in items if i.status != ItemStatus.done]
    return min(pending) if pending else None


def check_confirm(items: list[ItemView], item_id: int) -> None:
    """An item is confirmed only while its stage is the open one, and only once."""
    item = next((i for i in items if i.id == item_id), None)
    if item is None:
        raise ValidationFailed("checklist.item_unknown", field="item")
    if item.status == ItemStatus.done:
        raise ValidationFailed("checklist.item_done", field="item")
    if item.stage != open_stage(items):
        raise ValidationFailed("checklist.stage_not_open", field="item", stage=item.stage)


def statuses_after(items: list[ItemView]) -> dict[int, ItemStatus]:
    """Every item's status once the stages are re-evaluated: items of the open stage that were
    waiting become open; items of later stages wait."""
    current = open_stage(items)
    result = {}
    for item in items:
        if item.status in (ItemStatus.done, ItemStatus.sent_back):
            result[item.id] = item.status
        elif current is not None and item.stage == current:
            result[item.id] = ItemStatus.open
        else:
            result[item.id] = ItemStatus.waiting
    return result


# ---- the separation certificate (解除/终止劳动合同证明书) --------------------------------------


def service_length(hire_date: date, last_day: date) -> tuple[int, int]:
    """Years and whole months of service with the company, from the hire date to the last day
    (inclusive): what art. 24 of the Implementing Regulations calls 在本单位的工作年限."""
    if last_day < hire_date:
        raise ValidationFailed("separation.last_day_before_hire", field="last_day")
    end = last_day + timedelta(days=1)  # the last day counts
    months = (end.year - hire_date.year) * 12 + (end.month - hire_date.month) - (end.day < hire_date.day)
    return months // 12, months % 12


TITLE_ZH = {
    SeparationType.expiry: "终止劳动合同证明书",
}
TITLE_EN = {
    SeparationType.expiry: "Certificate of Termination of the Labour Contract",
}


def certificate_title(kind: SeparationType) -> tuple[str, str]:
    """Expiry ends (终止) the contract; every other separation dissolves (解除) it."""
    return (
        TITLE_ZH.get(kind, "解除劳动合同证明书"),
        TITLE_EN.get(kind, "Certificate of Dissolution of the Labour Contract"),
    )


# ---- reasons, owners and templates -----------------------------------------------------------


class Reason(StrEnum):
    """Why someone resigns (optional; the list the form offers, plus free text)."""

    personal = "personal"  # 个人原因
    career = "career"  # 职业发展
    family = "family"  # 家庭原因
    health = "health"  # 健康原因
    relocation = "relocation"  # 异地发展
    study = "study"  # 继续深造
    other = "other"


REASON_LABELS = {
    Reason.personal: ("个人原因", "Personal reasons"),
    Reason.career: ("职业发展", "Career development"),
    Reason.family: ("家庭原因", "Family reasons"),
    Reason.health: ("健康原因", "Health"),
    Reason.relocation: ("异地发展", "Moving elsewhere"),
    Reason.study: ("继续深造", "Further study"),
    Reason.other: ("其他", "Other"),
}


class Owner(StrEnum):
    """Who confirms a checklist item: the departing employee's manager, HR, or a functional
    owner HR names (行政 admin office, IT, 财务 finance)."""

    manager = "manager"
    admin = "admin"
    it = "it"
    finance = "finance"
    hr = "hr"


OWNER_LABELS = {
    Owner.manager: ("直属领导", "Manager"),
    Owner.admin: ("行政", "Admin office"),
    Owner.it: ("IT", "IT"),
    Owner.finance: ("财务", "Finance"),
    Owner.hr: ("人事", "HR"),
}
NAMED_OWNERS = (Owner.admin, Owner.it, Owner.finance)  # the roles HR assigns to people


@dataclass(frozen=True)
class TemplateItem:
    stage: str
    stage_en: str
    title: str
    title_en: str
    owner: Owner


MAX_TEMPLATE_ITEMS = 60


def _owner_of(text: str) -> Owner | None:
    wanted = text.strip().casefold()
    for owner, (zh, en) in OWNER_LABELS.items():
        if wanted in (zh.casefold(), en.casefold(), owner.value):
            return owner
    return None


def _pair(text: str) -> tuple[str, str]:
    zh, _, en = text.partition("/")
    return zh.strip(), en.strip()


def parse_template(text: str) -> list[TemplateItem]:
    """A template as HR writes it, one item per line: ``stage | item | owner``, each name
    optionally ``中文 / English`` (e.g. ``资产归还 / Assets | 笔记本电脑 / Laptop | 行政``).
    Stages are ordered by where they first appear; a stage's items must be together."""
    items: list[TemplateItem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise ValidationFailed("checklist.template_line", field="items", line=number)
        (stage, stage_en), (title, title_en) = _pair(parts[0]), _pair(parts[1])
        owner = _owner_of(parts[2])
        if owner is None:
            raise ValidationFailed("checklist.template_owner", field="items", line=number, owner=parts[2][:20])
        if not stage or not title or len(stage) > 64 or len(stage_en) > 64 or len(title) > 120 or len(title_en) > 120:
            raise ValidationFailed("checklist.template_line", field="items", line=number)
        items.append(TemplateItem(stage, stage_en, title, title_en, owner))
    if not items:
        raise ValidationFailed("checklist.template_empty", field="items")
    if len(items) > MAX_TEMPLATE_ITEMS:
        raise ValidationFailed("checklist.template_too_long", field="items", max=MAX_TEMPLATE_ITEMS)
    seen: list[str] = []
    for item in items:
        if not seen or seen[-1] != item.stage:
            if item.stage in seen:
                raise ValidationFailed("checklist.template_stage_split", field="items", stage=item.stage)
            seen.append(item.stage)
    return items


def stage_numbers(items: list[TemplateItem]) -> list[int]:
    """The 1-based stage of each item, in order."""
    order: list[str] = []
    result = []
    for item in items:
        if item.stage not in order:
            order.append(item.stage)
        result.append(order.index(item.stage) + 1)
    return result


def template_text(items: list[TemplateItem], language: str = "zh-CN") -> str:
    """The editable text of a template (what :func:`parse_template` reads back)."""

    def both(zh: str, en: str) -> str:
        return f"{zh} / {en}" if en else zh

    label = 1 if language == "en" else 0
    return "\n".join(f"{both(i.stage, i.stage_en)} | {both(i.title, i.title_en)} | {OWNER_LABELS[i.owner][label]}" for i in items)


DEFAULT_TEMPLATE = """工作交接 / Work handover | 文档与资料 / Documents and files | 直属领导
工作交接 / Work handover | 进行中的工作 / Ongoing tasks | 直属领导
工作交接 / Work handover | 客户与合作方联系人 / Customer contacts | 直属领导
资产归还 / Assets returned | 笔记本电脑 / Laptop | 行政
资产归还 / Assets returned | 工牌与门禁卡 / Badge | 行政
资产归还 / Assets returned | 钥匙 / Keys | 行政
账号关闭 / Accounts closed | 邮箱 / Email | IT
账号关闭 / Accounts closed | 企业微信 / WeCom | IT
账号关闭 / Accounts closed | 业务系统 / Business systems | IT
财务结清 / Finance | 报销 / Reimbursements | 财务
财务结清 / Finance | 借款 / Loans | 财务
人事手续 / HR | 考勤确认至最后工作日 / Attendance confirmed to the last day | 人事
人事手续 / HR | 年休假结算 / Leave settlement | 人事
人事手续 / HR | 最后一期工资 / Final pay | 人事
人事手续 / HR | 社保公积金停缴或转移 / Social insurance and housing fund | 人事
人事手续 / HR | 竞业限制决定 / Non-compete decision | 人事
人事手续 / HR | 档案转移 / Archive transfer | 人事"""


def resignation_statement(last_day: date) -> str:
    """What the employee signs (Labour Contract Law art. 37: written notice)."""
    return f"本人因个人原因申请辞职，最后工作日为{last_day:%Y年%m月%d日}。\nI resign for personal reasons; my last working day is {last_day.isoformat()}."
