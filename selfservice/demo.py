"""Demo company (演示数据): 4 departments, 40 people, 2 HR, 1 admin, fixed demo credentials.

The credentials and TOTP secrets are printed in the README so a tester can sign in.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from selfservice.auth import secrets as sec
from selfservice.domain.actor import SYSTEM
from selfservice.persistence.models import (
    ApprovalInstance,
    ApprovalStep,
    CaseNotice,
    Department,
    Employee,
    Policy,
    PolicyAssignment,
    UserAccount,
)
from selfservice.services import audit
from selfservice.settings import get_settings

DEMO_PASSWORD = "demo-pass-2026"
DEMO_TOTP = {"hr01": "JBSWY3DPEHPK3PXPHRONEAAA", "hr02": "JBSWY3DPEHPK3PXPHRTWOAAA", "admin": "JBSWY3DPEHPK3PXPADMINAAA"}

DEPARTMENTS = [
    ("RD", "研发部", "R&D"),
    ("SALES", "销售部", "Sales"),
    ("OPS", "运营部", "Operations"),
    ("HR", "人力资源部", "Human Resources"),
]

# (employee_no, name, name_en, department, manager_no, position, role)
PEOPLE = [
    ("E1001", "陈建国", "Jianguo Chen", "RD", "", "研发总监", "manager"),
    ("E1002", "李明", "Ming Li", "RD", "E1001", "前端组长", "manager"),
    ("E1003", "王芳", "Fang Wang", "RD", "E1001", "后端组长", "manager"),
    ("E1004", "张伟", "Wei Zhang", "RD", "E1002", "前端工程师", "employee"),
    ("E1005", "刘洋", "Yang Liu", "RD", "E1002", "前端工程师", "employee"),
    ("E1006", "杨静", "Jing Yang", "RD", "E1002", "UI 设计师", "employee"),
    ("E1007", "赵磊", "Lei Zhao", "RD", "E1003", "后端工程师", "employee"),
    ("E1008", "黄丽", "Li Huang", "RD", "E1003", "后端工程师", "employee"),
    ("E1009", "周杰", "Jie Zhou", "RD", "E1003", "测试工程师", "employee"),
    ("E1010", "吴婷", "Ting Wu", "RD", "E1003", "运维工程师", "employee"),
    ("E1011", "徐强", "Qiang Xu", "RD", "E1002", "前端工程师", "employee"),
    ("E1012", "孙悦", "Yue Sun", "RD", "E1003", "数据工程师", "employee"),
    ("E2001", "马超", "Chao Ma", "SALES", "", "销售总监", "manager"),
    ("E2002", "朱琳", "Lin Zhu", "SALES", "E2001", "华东区经理", "manager"),
    ("E2003", "胡军", "Jun Hu", "SALES", "E2001", "华南区经理", "manager"),
    ("E2004", "郭敏", "Min Guo", "SALES", "E2002", "客户经理", "employee"),
    ("E2005", "何涛", "Tao He", "SALES", "E2002", "客户经理", "employee"),
    ("E2006", "高燕", "Yan Gao", "SALES", "E2002", "销售助理", "employee"),
    ("E2007", "林峰", "Feng Lin", "SALES", "E2003", "客户经理", "employee"),
    ("E2008", "罗娜", "Na Luo", "SALES", "E2003", "客户经理", "employee"),
    ("E2009", "梁晨", "Chen Liang", "SALES", "E2003", "销售助理", "employee"),
    ("E2010", "宋佳", "Jia Song", "SALES", "E2002", "客户经理", "employee"),
    ("E3001", "郑浩", "Hao Zheng", "OPS", "", "运营总监", "manager"),
    ("E3002", "谢雪", "Xue Xie", "OPS", "E3001", "仓储主管", "manager"),
    ("E3003", "韩冰", "Bing Han", "OPS", "E3001", "客服主管", "manager"),
    ("E3004", "唐宇", "Yu Tang", "OPS", "E3002", "仓管员", "employee"),
    ("E3005", "冯刚", "Gang Feng", "OPS", "E3002", "仓管员", "employee"),
    ("E3006", "董倩", "Qian Dong", "OPS", "E3002", "物流专员", "employee"),
    ("E3007", "萧然", "Ran Xiao", "OPS", "E3003", "客服专员", "employee"),
    ("E3008", "程露", "Lu Cheng", "OPS", "E3003", "客服专员", "employee"),
    ("E3009", "曹阳", "Yang Cao", "OPS", "E3003", "客服专员", "employee"),
    ("E3010", "袁野", "Ye Yuan", "OPS", "E3002", "司机", "employee"),
    ("E3011", "邓超", "Chao Deng", "OPS", "E3003", "客服专员", "employee"),
    ("E3012", "许晴", "Qing Xu", "OPS", "E3002", "仓管员", "employee"),
    ("E4001", "沈红", "Hong Shen", "HR", "", "人力资源总监", "manager"),
    ("hr01", "彭丽华", "Lihua Peng", "HR", "E4001", "HRBP", "hr"),
    ("hr02", "蒋文", "Wen Jiang", "HR", "E4001", "薪酬专员", "hr"),
    ("E4004", "田甜", "Tian Tian", "HR", "E4001", "招聘专员", "employee"),
    ("E4005", "潘宁", "Ning Pan", "HR", "E4001", "行政专员", "employee"),
    ("admin", "系统管理员", "System Admin", "HR", "E4001", "IT 管理员", "admin"),
]


def _work_start(no: str, index: int, hire_date: date, today: date) -> date:
    """参加工作时间: years of work before joining, varied so that the annual leave shows each
    case: 15 days (≥ 20 years), 10, 5, a new joiner pro-rated, someone crossing 10 years this
    year (E1004), and someone not yet a year at work (E1009: no annual leave yet)."""
    if no == "E1004":
        return min(hire_date, date(today.year - 10, 7, 1))
    if no == "E1009":
        return hire_date
    if no == "E1001":
        return hire_date - timedelta(days=round(365.25 * 21))
    return hire_date - timedelta(days=round(365.25 * ((index * 7) % 18 + 1)))


# Children under 3 give 育儿假 (childcare leave) when HR switches it on.
_CHILDREN = {
    "E1006": lambda today: (today - timedelta(days=400)).isoformat(),
    "E2004": lambda today: f"{(today - timedelta(days=2000)).isoformat()},{(today - timedelta(days=200)).isoformat()}",
}


def load_demo(session: Session, today: date | None = None, workflows: bool = True) -> int:
    """Insert the demo company into an empty database; returns the number of employees added.

    ``workflows=False`` leaves out the leave ledger and the messages (unit tests start from a
    company with no history).
    """
    if session.exec(select(Employee).limit(1)).first() is not None:
        return 0
    settings = get_settings()
    if today is None:
        today, now = date.today(), datetime.now(UTC)
    else:  # a demo "as of" another day: 09:00 that day in the company's time zone
        now = datetime.combine(today, time(9), tzinfo=ZoneInfo(settings.timezone)).astimezone(UTC)
    departments = {code: Department(code=code, name=name, name_en=en) for code, name, en in DEPARTMENTS}
    session.add_all(departments.values())
    session.flush()
    password_hash = sec.hash_password(DEMO_PASSWORD)
    employees: dict[str, Employee] = {}
    for index, (no, name, name_en, dept, _mgr, position, _role) in enumerate(PEOPLE):
        hire_date = today - timedelta(days=90 + 37 * index)
        employees[no] = Employee(
            employee_no=no,
            name=name,
            name_en=name_en,
            department_id=departments[dept].id,  # type: ignore[arg-type]
            position=position,
            hire_date=hire_date,
            work_start_date=_work_start(no, index, hire_date, today),
            child_births=_CHILDREN.get(no, lambda t: "")(today),
            phone=f"+86138{index:04d}{(index * 7919) % 10000:04d}",
            email=f"{name_en.split()[0].lower()}.{name_en.split()[-1].lower()}@example.com",
            address=f"上海市浦东新区张江路 {100 + index} 号",
            emergency_contact_name=f"{name[0]}家属",
            emergency_contact_phone=f"+86139{index:04d}{(index * 104729) % 10000:04d}",
        )
    session.add_all(employees.values())
    session.flush()
    for no, _n, _e, dept, mgr, _p, role in PEOPLE:
        if mgr:
            employees[no].manager_id = employees[mgr].id
        if not mgr and role == "manager":
            departments[dept].head_employee_id = employees[no].id
        account = UserAccount(employee_id=employees[no].id, username=no, role=role, password_hash=password_hash)  # type: ignore[arg-type]
        if no in DEMO_TOTP:
            account.totp_secret_enc = sec.encrypt_secret(settings.secret_key, DEMO_TOTP[no])
            if no != "hr02":  # hr02 has used every recovery code: each page warns them
                account.recovery_code_hashes = json.dumps([sec.hash_code(c) for c in sec.new_recovery_codes()])
            account.totp_enabled = True
        session.add(account)
    session.flush()
    audit.append(
        session, SYSTEM, "demo.loaded", "company", "demo", after={"departments": len(DEPARTMENTS), "employees": len(PEOPLE)}, at=now
    )
    _demo_calendar(session, today, now)
    if workflows:
        _demo_leave(session, employees, today, now)
    if workflows:
        _demo_messages(session, employees, now)
        _demo_leave_requests(session, employees, today, now)
        _demo_attendance(session, employees, today, now)
        _demo_policies(session, employees, today, now)
        _demo_contacts(session, employees, today, now)
        _demo_separations(session, employees, today, now)
        _demo_cases(session, employees, today, now)
    return len(PEOPLE)


def _demo_leave(session: Session, employees: dict[str, Employee], today: date, now: datetime) -> None:
    """Leave types, last and this year's annual leave (with carry-over), one HR adjustment."""
    from selfservice.services import leave_balances

    leave_balances.ensure_default_types(session)
    # the statutory types of Shanghai switched on: marriage, maternity, paternity, childcare,
    # bereavement and time off in lieu (fed by approved overtime)
    leave_balances.apply_presets(
        session, SYSTEM, "shanghai", ["marriage", "maternity", "paternity", "childcare", "bereavement", "lieu"], now
    )
    leave_balances.accrue_year(session, SYSTEM, today.year - 1, now)
    leave_balances.adjust(session, SYSTEM, employees["E1005"].id or 0, "annual", today.year - 1, "-3", "去年已休 3 天（迁移自旧系统）", now)
    leave_balances.accrue_year(session, SYSTEM, today.year, now)
    leave_balances.adjust(session, SYSTEM, employees["E1004"].id or 0, "lieu", today.year, "1", "迁移自旧系统的调休 1 天", now)


def _demo_calendar(session: Session, today: date, now: datetime) -> None:
    """Statutory holidays and swapped workdays for the years the package covers."""
    from selfservice.domain.errors import ValidationFailed
    from selfservice.services.work_calendar import load_statutory

    for year in (today.year - 1, today.year, today.year + 1):
        try:
            load_statutory(session, SYSTEM, year, now)
        except ValidationFailed:
            continue  # not covered by the package: HR enters it by hand


def _demo_messages(session: Session, employees: dict[str, Employee], now: datetime) -> None:
    """A welcome for everyone and a notice that R&D must confirm; some already read it."""
    from selfservice.services.auth import actor_of
    from selfservice.services.notifications import acknowledge, notify, open_message

    notice = {
        "title_zh": "考勤制度更新通知",
        "body_zh": "自 12 月 1 日起，请每天到岗后在“员工自助”打卡；因故不能到岗须在当天 10:00 前提交请假申请。请阅读后点击“我已收到”。",
        "title_en": "Attendance policy update",
        "body_en": "From 1 December, clock in on Self-service when you arrive; if you cannot come, file leave before 10:00 that day. "
        "Please confirm receipt.",
    }
    accounts = {a.employee_id: a for a in session.exec(select(UserAccount)).all()}
    research = employees["E1001"].department_id
    for no, employee in employees.items():
        notify(session, SYSTEM, employee.id or 0, "welcome", "system.welcome", {"name": employee.name}, (), now)
        if employee.department_id != research:
            continue
        message_id = notify(session, SYSTEM, employee.id or 0, "notice", "notice.generic", notice, ("wecom", "sms"), now, requires_ack=True)
        reader = actor_of(accounts[employee.id])  # type: ignore[index]
        if no in ("E1002", "E1003", "E1007"):
            acknowledge(session, reader, message_id, now + timedelta(minutes=20))
        elif no == "E1008":
            open_message(session, reader, message_id, now + timedelta(minutes=45))


def sick_note_photo(days: int = 2) -> bytes:
    """A photo of a hospital's sick note (病假条), as an employee would take it."""
    import io

    from PIL import Image, ImageDraw

    photo = io.BytesIO()
    image = Image.new("RGB", (480, 320), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 470, 310), outline=(40, 90, 160), width=4)
    draw.text((30, 40), "Shanghai No.6 People's Hospital", fill=(20, 20, 20))
    draw.text((30, 90), f"Medical certificate: rest {days} days", fill=(20, 20, 20))
    draw.text((30, 140), "Dr. Wang   (stamp)", fill=(160, 20, 20))
    image.save(photo, "JPEG", quality=80)
    return photo.getvalue()


def _demo_leave_requests(session: Session, employees: dict[str, Employee], today: date, now: datetime) -> None:
    """Leave in every state: pending (one with a photo of a sick note, one long enough for the
    department head), approved (past and coming), rejected with a reason, and one so old that
    it was reminded and escalated."""
    from selfservice.services import approvals, leave_requests, work_calendar
    from selfservice.services.auth import actor_of

    accounts = {a.employee_id: a for a in session.exec(select(UserAccount)).all()}
    calendar = work_calendar.load(session, today - timedelta(days=40), today + timedelta(days=60))

    def who(no: str):  # noqa: ANN202
        return actor_of(accounts[employees[no].id])  # type: ignore[index]

    entered = work_calendar.entered_years(session, {today.year, today.year + 1})
    ahead = [d for d in (today + timedelta(days=n) for n in range(1, 61)) if calendar.is_workday(d) and d.year in entered]

    def day(skip: int) -> date:
        """The ``skip``-th workday after today; late in December, when next year's holidays are
        not entered (leave there is refused), the last ones left this year, or days just past."""
        if skip < len(ahead):
            return ahead[skip]
        return ahead[-1] if ahead else past(max(1, 17 - skip))  # later skips stay later days

    def past(back: int) -> date:
        """The ``back``-th workday before today."""
        found, moment = 0, today
        while found < back:
            moment -= timedelta(days=1)
            found += calendar.is_workday(moment)
        return moment

    def request(no: str, kind: str, start: date, end: date, reason: str, at: datetime = now, staged=(), halves=("am", "pm")) -> int:
        return leave_requests.submit(session, who(no), kind, start, halves[0], end, halves[1], reason, list(staged), at)

    def pending_steps(request_id: int, workflow: str = "leave") -> list[ApprovalStep]:
        return list(
            session.exec(
                select(ApprovalStep)
                .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
                .where(ApprovalInstance.subject_id == request_id, ApprovalInstance.workflow == workflow, ApprovalStep.status == "pending")
            ).all()
        )

    def approve_all(request_id: int, comment: str = "", at: datetime = now, workflow: str = "leave") -> None:
        for _ in range(4):
            steps = pending_steps(request_id, workflow)
            if not steps:
                return
            step = steps[0]
            decider = step.acting_id or step.approver_id
            actor = who(next(no for no, e in employees.items() if e.id == decider)) if decider else who("hr01")
            approvals.decide(session, actor, step.id, True, comment, at)

    note = leave_requests.stage_attachment(who("E1007"), sick_note_photo(), "病假条.jpg")

    request("E1005", "annual", day(5), day(6), "回老家办事")
    request("E1007", "sick", day(0), day(1), "急性肠胃炎，医生建议休息两天", staged=[(note.sha256, note.name)])
    request("E1008", "annual", day(8), day(11), "年底带家人旅行")
    approve_all(request("E2005", "annual", day(5), day(5), "孩子家长会", halves=("am", "am")))
    approve_all(request("E2004", "personal", past(7), past(6), "搬家"), at=now)
    rejected = request("E3004", "personal", day(2), day(3), "私事")
    for step in pending_steps(rejected):
        approvals.decide(session, who("E3002"), step.id, False, "月底盘点，请改到下周", now)
    old = now - timedelta(days=7)
    request("E3007", "personal", day(15), day(15), "办理护照", at=old)
    approvals.escalate_due(session, SYSTEM, now - timedelta(days=2))  # reminded once ...
    approvals.escalate_due(session, SYSTEM, now)  # ... then escalated to the approver's manager
    # overtime → time off in lieu: 张伟's approved (0.5 day of 调休), 刘洋's waiting for 李明
    from selfservice.services import overtime

    approve_all(overtime.submit(session, who("E1004"), past(3), "4", "版本发布，晚上加班", now), workflow=overtime.OVERTIME)
    overtime.submit(session, who("E1005"), past(2), "3", "线上故障排查", now)


def _demo_attendance(session: Session, employees: dict[str, Employee], today: date, now: datetime) -> None:
    """A month of punches (a time-clock export, a device API, the clock-in button) and the
    absence watch at work on them: 周杰 missed two days and has an unread reminder, 徐强's
    reminder stayed unread and went to 李明, 程露 read hers and did not answer (HR follows up),
    吴婷 was reminded and then covered by sick leave filed afterwards, and a few single missed
    days (张伟's among them) fill the dashboard's chart."""
    import csv
    import io
    import json

    from selfservice.persistence.models import AbsenceAction, AbsenceStreak, AttendancePolicy, LeaveRequest, PunchSource
    from selfservice.services import absence_watch, approvals, leave_requests, notifications, punches, work_calendar
    from selfservice.services.auth import actor_of

    zone = ZoneInfo(get_settings().timezone)
    calendar = work_calendar.load(session, today - timedelta(days=70), today + timedelta(days=7))
    scan_day = today
    while not calendar.is_workday(scan_day) or datetime.combine(scan_day, time(10), tzinfo=zone) > now:
        scan_day -= timedelta(days=1)
    workdays = [d for d in (scan_day - timedelta(days=i) for i in range(1, 60)) if calendar.is_workday(d)]
    w1, w2, w3 = workdays[0], workdays[1], workdays[2]
    first = workdays[21]
    session.add(AttendancePolicy(id=1, tracked_from=first))
    session.flush()

    away = {  # (employee, day) with no punch
        **{("E1009", d): True for d in (w1, w2)},  # 周杰: two days, reminded today, unread
        **{("E1011", d): True for d in (w1, w2, w3)},  # 徐强: reminded yesterday, unread, forwarded to 李明
        **{("E3008", d): True for d in (w1, w2, w3)},  # 程露: read, no reply → HR follows up
        **{("E1010", d): True for d in (w1, w2, w3)},  # 吴婷: reminded, then sick leave approved
    }
    for number, back in (
        ("E1004", 1),
        ("E1006", 4),
        ("E2007", 6),
        ("E2009", 9),
        ("E3005", 5),
        ("E3010", 12),
        ("E1012", 15),
        ("E2003", 11),
        ("E3012", 17),
    ):
        away[(number, workdays[back])] = True  # single missed days: the chart's history
    on_leave = {
        (r.employee_id, r.start_date + timedelta(days=i))
        for r in session.exec(select(LeaveRequest).where(LeaveRequest.status == "approved")).all()
        for i in range((r.end_date - r.start_date).days + 1)
    }
    by_id = {e.id: no for no, e in employees.items()}
    ops = employees["E3001"].department_id

    def punch_times(number: str, day: date) -> tuple[datetime, datetime]:
        seed = sum(map(ord, number)) + day.toordinal()
        arrive = datetime.combine(day, time(8, 40), tzinfo=zone) + timedelta(minutes=seed % 37)
        leave = datetime.combine(day, time(18, 2), tzinfo=zone) + timedelta(minutes=(seed * 7) % 41)
        return arrive, leave

    lines, api_items = [], []
    for day in reversed([d for d in workdays if d >= first]):
        for number, employee in employees.items():
            if away.get((number, day)) or (employee.id, day) in on_leave:
                continue
            arrive, leave = punch_times(number, day)
            if employee.department_id == ops and day >= workdays[4]:  # the warehouse gate reports through the API
                api_items += [
                    punches.ApiPunch(f"gate-{number}-{arrive:%Y%m%d%H%M}", number, arrive.isoformat(), "in", "仓库门禁"),
                    punches.ApiPunch(f"gate-{number}-{leave:%Y%m%d%H%M}", number, leave.isoformat(), "out", "仓库门禁"),
                ]
            else:
                lines += [
                    (number, f"{arrive:%Y/%m/%d}", f"{arrive:%H:%M:%S}", "上班"),
                    (number, f"{leave:%Y/%m/%d}", f"{leave:%H:%M:%S}", "下班"),
                ]
    hr = actor_of(session.exec(select(UserAccount).where(UserAccount.username == "hr01")).one())
    file_source, _ = punches.create_source(session, hr, "file", "前台考勤机（ZKTeco）", now)
    api_source, _ = punches.create_source(session, hr, "api", "仓库门禁", now)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["工号", "日期", "时间", "状态"])
    writer.writerows(lines)
    result = punches.import_file(
        session,
        hr,
        file_source,
        "考勤机导出.csv",
        buffer.getvalue().encode("gb18030"),
        {"employee_no": "工号", "date": "日期", "time": "时间", "direction": "状态"},
        now,
    )
    assert not result.errors and not result.file_error, result
    gate = session.get(PunchSource, api_source)
    for start in range(0, len(api_items), 1000):
        punches.ingest_api(session, gate, api_items[start : start + 1000], now)  # type: ignore[arg-type]

    # Clock-ins this morning on the app (not 张伟: he clocks in himself; the streaks stay away).
    morning = datetime.combine(today, time(8, 52), tzinfo=zone)
    accounts = {a.employee_id: a for a in session.exec(select(UserAccount)).all()}
    if calendar.is_workday(today) and now >= morning:
        for index, (number, employee) in enumerate(employees.items()):
            if number in ("E1004", "E1005", "E1009", "E1010", "E1011", "E3008") or (employee.id, today) in on_leave:
                continue
            moment = min(now, morning + timedelta(minutes=index % 20))
            punches.clock_in(session, actor_of(accounts[employee.id]), "in", moment)  # type: ignore[index]

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)

    # The daily scans of the past weeks, as they ran at 10:00 (the chart's history) ...
    for day in reversed([d for d in workdays if first < d < w1]):
        absence_watch.scan(session, SYSTEM, day, at(day, 10), trigger="schedule", run_key=f"schedule:{day.isoformat()}")
    # ... yesterday's: 徐强, 程露 and 吴婷 are reminded (two days each) ...
    absence_watch.scan(session, SYSTEM, w1, at(w1, 10), trigger="schedule", run_key=f"schedule:{w1.isoformat()}")
    reminders = {
        by_id[streak.employee_id]: json.loads(action.message_ids)[0]
        for action, streak in session.exec(
            select(AbsenceAction, AbsenceStreak)
            .join(AbsenceStreak, AbsenceStreak.id == AbsenceAction.streak_id)
            .where(AbsenceAction.rule == "reminder")
        ).all()
    }
    reader = actor_of(accounts[employees["E3008"].id])  # type: ignore[index]
    notifications.open_message(session, reader, reminders["E3008"], at(w1, 11, 7))  # 程露 reads, never answers
    absence_watch.forward_due(session, SYSTEM, at(w1, 14, 5))  # 徐强's is still unread: to 李明; 吴婷's too: to 王芳
    wu = actor_of(accounts[employees["E1010"].id])  # type: ignore[index]
    notifications.open_message(session, wu, reminders["E1010"], at(w1, 15, 2))
    note = leave_requests.stage_attachment(wu, sick_note_photo(3), "病假条-吴婷.jpg")
    sick = leave_requests.submit(
        session, wu, "sick", w3, "am", w1, "pm", "急性肠胃炎住院，出院后补交病假条", [(note.sha256, note.name)], at(w1, 15, 20)
    )
    step = session.exec(
        select(ApprovalStep)
        .join(ApprovalInstance, ApprovalInstance.id == ApprovalStep.instance_id)
        .where(ApprovalInstance.subject_id == sick, ApprovalStep.status == "pending")
    ).first()
    approvals.decide(session, actor_of(accounts[employees["E1003"].id]), step.id, True, "已电话核实，注意休息", at(w1, 16, 30))  # type: ignore[index, union-attr]
    # ... and today's: 周杰 is reminded, 徐强 and 程露 reach three days (red), 程露 goes to HR.
    absence_watch.scan(session, SYSTEM, scan_day, at(scan_day, 10), trigger="schedule", run_key=f"schedule:{scan_day.isoformat()}")


HANDBOOK_V1 = """# 员工手册 / Employee handbook

## 一、考勤 / Attendance

1. 工作时间为周一至周五 9:00–18:00，以打卡记录为准。
2. 未打卡且未请假的工作日记为缺勤；**连续旷工三个工作日**，视为严重违反规章制度，公司可依法解除劳动合同。

## 二、请假 / Leave

请假须事先通过员工自助系统申请，经审批后方可休假；因突发情况无法事先申请的，应在当日告知直属领导并于返岗后补办。
"""

HANDBOOK_V2 = (
    HANDBOOK_V1
    + """
## 三、联系方式 / Contact details

员工应保证在员工自助系统中登记的手机、邮箱和送达地址真实有效；如有变更，应在 **3 日内** 更新。公司向上述地址发送的通知即视为送达。
"""
)

ATTENDANCE_RULES = """# 考勤管理制度 / Attendance rules

- 上班、下班各打卡一次；漏打卡须在 3 个工作日内说明。
- 连续 2 个工作日无打卡且无请假，系统将提醒本人；3 个工作日仍未联系，转人力资源部跟进。
"""


def _demo_sign(session: Session, employee: Employee, version_id: int, moment: datetime) -> None:
    """Sign as the employee did: in a session, after re-authenticating, with a drawn signature.
    (The demo records the past re-authentication instead of checking a password 100 times.)"""
    from selfservice.persistence.models import ReAuthentication
    from selfservice.services import policies, signatures
    from selfservice.services.auth import _new_session, resolve

    account = session.exec(select(UserAccount).where(UserAccount.employee_id == employee.id)).one()
    actor = resolve(session, _new_session(session, account, "full", moment, "demo"), moment)
    assert actor is not None
    method = "totp" if account.totp_enabled else "password"
    session.add(ReAuthentication(account_id=account.id, session_id=actor.session_id, method=method, at=moment - timedelta(seconds=40)))  # type: ignore[arg-type]
    context = signatures.Context(ip="10.0.8.23", user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) wxwork/4.1")
    policies.sign(session, actor, version_id, employee.name, demo_signature(employee.name_en), context, moment)


def demo_signature(seed: str) -> str:
    """A handwriting-like stroke as the signature pad would send it (a PNG data URL)."""
    import base64
    import io
    import math

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (330, 160), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    phase = sum(map(ord, seed)) % 7
    points = [(20 + i * 5, 80 + 35 * math.sin((i + phase) / 3.0) * math.cos(i / 11.0)) for i in range(58)]
    pen.line(points, fill=(30, 27, 75, 255), width=3, joint="curve")
    pen.line([(40, 120), (290, 112)], fill=(30, 27, 75, 255), width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _demo_policies(session: Session, employees: dict[str, Employee], today: date, now: datetime) -> None:
    """员工手册 v1 → v2 with most people signed; 考勤管理制度 v1 with a few overdue."""
    from selfservice.services import policies
    from selfservice.services.auth import actor_of

    hr = actor_of(session.exec(select(UserAccount).where(UserAccount.username == "hr01")).one())
    handbook = policies.save_draft(
        session,
        hr,
        None,
        {"title_zh": "员工手册", "title_en": "Employee handbook", "body_markdown": HANDBOOK_V1, "audience": "everyone"},
        now - timedelta(days=60),
    )
    policies.publish(session, hr, handbook, now - timedelta(days=60))
    session.flush()
    v1 = session.get(Policy, handbook).current_version_id  # type: ignore[union-attr]
    for index, employee in enumerate(list(employees.values())[:6]):
        _demo_sign(session, employee, v1, now - timedelta(days=59, hours=index))  # type: ignore[arg-type]
    policies.save_draft(
        session,
        hr,
        handbook,
        {
            "title_zh": "员工手册",
            "title_en": "Employee handbook",
            "body_markdown": HANDBOOK_V2,
            "audience": "everyone",
            "deadline": (today + timedelta(days=7)).isoformat(),
        },
        now - timedelta(days=20),
    )
    policies.publish(session, hr, handbook, now - timedelta(days=20))
    session.flush()
    v2 = session.get(Policy, handbook).current_version_id  # type: ignore[union-attr]
    unsigned_v2 = {"E1005", "E2006", "E3004", "E3009", "E4005"}
    for index, (no, employee) in enumerate(employees.items()):
        if no not in unsigned_v2:
            _demo_sign(session, employee, v2, now - timedelta(days=19, hours=-index % 9, minutes=index * 7))  # type: ignore[arg-type]
    rules = policies.save_draft(
        session,
        hr,
        None,
        {
            "title_zh": "考勤管理制度",
            "title_en": "Attendance rules",
            "body_markdown": ATTENDANCE_RULES,
            "audience": "departments",
            "audience_ids": [employees["E3001"].department_id, employees["E2001"].department_id],
            "deadline": (today - timedelta(days=3)).isoformat(),
            "reminder_days": 3,
        },
        now - timedelta(days=14),
    )
    policies.publish(session, hr, rules, now - timedelta(days=14))  # its deadline, 3 days ago, has passed since
    session.flush()
    version_id = session.get(Policy, rules).current_version_id  # type: ignore[union-attr]
    overdue = {"E3005", "E3010", "E2008"}
    assigned = session.exec(select(PolicyAssignment.employee_id).where(PolicyAssignment.version_id == version_id)).all()
    by_id = {e.id: e for e in employees.values()}
    for index, employee_id in enumerate(assigned):
        employee = by_id[employee_id]
        if employee.employee_no not in overdue:
            _demo_sign(session, employee, version_id, now - timedelta(days=12, hours=index % 5))  # type: ignore[arg-type]
    policies.remind_due(session, _daytime(now))


def _demo_contacts(session: Session, employees: dict[str, Employee], today: date, now: datetime) -> None:
    """Signed address-for-service confirmations for nearly everyone, a contact history with
    changes, two stale confirmations (over six months old) and one person who never confirmed."""
    from selfservice.persistence.models import ReAuthentication
    from selfservice.services import contacts, signatures
    from selfservice.services.auth import _new_session, actor_of, resolve

    accounts = {a.employee_id: a for a in session.exec(select(UserAccount)).all()}
    hr = actor_of(accounts[employees["hr01"].id])  # type: ignore[index]
    context = signatures.Context(ip="10.0.8.23", user_agent="Mozilla/5.0 (Linux; Android 14) wxwork/4.1")
    relation = {0: "配偶", 1: "父亲", 2: "母亲"}

    def confirm(employee: Employee, moment: datetime, channels: list[str]) -> None:
        account = accounts[employee.id]  # type: ignore[index]
        actor = resolve(session, _new_session(session, account, "full", moment, "demo"), moment)
        assert actor is not None
        method = "totp" if account.totp_enabled else "password"
        session.add(ReAuthentication(account_id=account.id, session_id=actor.session_id, method=method, at=moment - timedelta(seconds=50)))  # type: ignore[arg-type]
        contacts.confirm_service(session, actor, channels, employee.name, demo_signature(employee.employee_no), context, moment)

    for index, (no, employee) in enumerate(employees.items()):
        employee.emergency_contact_relation = relation[index % 3]
        session.add(employee)
        if no == "E4005":
            continue  # 潘宁 has never confirmed (nor signed the handbook v2): she is asked at her next sign-in
        old = no in ("E2006", "E3012")
        moment = now - timedelta(days=200 if old else 40 - index % 20, hours=index % 7)
        confirm(employee, moment, ["inapp", "wecom", "sms", "email"] if index % 4 else ["inapp", "sms", "post"])
    # 张伟 moved house and confirmed again; HR corrected 郭敏's mobile, and she confirmed it
    zhang, guo = employees["E1004"], employees["E2004"]
    zhang_actor = actor_of(accounts[zhang.id])  # type: ignore[index]
    moved = now - timedelta(days=12)
    contacts.record_changes(session, zhang_actor, zhang, {"address": "上海市徐汇区漕溪北路 398 号 1203 室"}, contacts.HOW_SELF, moved)
    confirm(zhang, moved + timedelta(minutes=3), ["inapp", "wecom", "sms", "email"])
    corrected = now - timedelta(days=6)
    contacts.record_changes(session, hr, guo, {"phone": "+8613917750231"}, contacts.HOW_HR, corrected)
    confirm(guo, corrected + timedelta(hours=2), ["inapp", "wecom", "sms"])
    contacts.reconfirm_due(session, _daytime(now))


def _demo_separations(session: Session, employees: dict[str, Employee], today: date, now: datetime) -> None:
    """Three departures: 高燕 resigned yesterday and waits for her manager; 袁野's checklist has
    been stuck at IT for 5 days (overdue, reminded, escalated); 邓超 left 8 days ago with his
    certificate issued and acknowledged, the 15-day transfer still running."""
    from selfservice.persistence.models import ChecklistItem, ReAuthentication, SeparationCertificate
    from selfservice.services import notifications, separations, signatures
    from selfservice.services.auth import _new_session, actor_of, resolve

    accounts = {a.employee_id: a for a in session.exec(select(UserAccount)).all()}

    def who(no: str):  # noqa: ANN202
        return actor_of(accounts[employees[no].id])  # type: ignore[index]

    hr = who("hr01")
    separations.set_owners(session, hr, "admin", "E4005", now)
    separations.set_owners(session, hr, "it", "admin", now)
    separations.set_owners(session, hr, "finance", "hr02", now)

    def resign(no: str, moment: datetime, last_day: date, reason: str, successor: str) -> int:
        employee = employees[no]
        account = accounts[employee.id]  # type: ignore[index]
        actor = resolve(session, _new_session(session, account, "full", moment, "demo"), moment)
        assert actor is not None
        session.add(
            ReAuthentication(account_id=account.id, session_id=actor.session_id, method="password", at=moment - timedelta(seconds=50))
        )  # type: ignore[arg-type]
        context = signatures.Context(ip="10.0.8.41", user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) wxwork/4.1")
        return separations.resign(
            session,
            actor,
            reason=reason,
            reason_text="",
            last_day=last_day,
            successor_no=successor,
            typed_name=employee.name,
            drawing=demo_signature(employee.name_en),
            context=context,
            now=moment,
        )

    def acknowledged(sid: int, manager: str, moment: datetime, early: bool = False) -> None:
        separations.acknowledge(
            session, who(manager), sid, agree_early=early, later_day=None, successor_no="", comment="已沟通，同意按期交接", now=moment
        )
        separations.acknowledge(
            session, hr, sid, agree_early=False, later_day=None, successor_no="", comment="", now=moment + timedelta(hours=2)
        )

    def confirm_upto(sid: int, manager: str, upto: int, moment: datetime) -> None:
        owners = {"manager": manager, "admin": "E4005", "it": "admin", "finance": "hr02", "hr": "hr01"}
        for item in session.exec(
            select(ChecklistItem).where(ChecklistItem.separation_id == sid).order_by(ChecklistItem.stage, ChecklistItem.id)
        ).all():
            if item.stage <= upto and item.status != "done":
                separations.confirm_item(
                    session, who(owners[item.owner]), item.id, "已交接" if item.owner == "manager" else "", None, moment
                )  # type: ignore[arg-type]

    # 1. waiting for the manager
    resign("E2006", _daytime(now) - timedelta(days=1), today + timedelta(days=29), "career", "E2010")
    # 2. stuck at IT for 5 days
    sid = resign("E3010", _daytime(now) - timedelta(days=14), today + timedelta(days=16), "relocation", "E3005")
    acknowledged(sid, "E3002", _daytime(now) - timedelta(days=13))
    confirm_upto(sid, "E3002", 1, _daytime(now) - timedelta(days=8))
    confirm_upto(sid, "E3002", 2, _daytime(now) - timedelta(days=5))
    separations.escalate_due(session, _daytime(now) - timedelta(days=3))
    separations.escalate_due(session, _daytime(now) - timedelta(days=1))
    # 3. left 8 days ago: certificate issued on the last day and acknowledged, transfer running
    last = today - timedelta(days=8)
    start = datetime.combine(last - timedelta(days=30), time(10), tzinfo=ZoneInfo(get_settings().timezone)).astimezone(UTC)
    sid = resign("E3011", start, last, "family", "E3007")
    acknowledged(sid, "E3003", start + timedelta(hours=3))
    for stage in range(1, 6):
        confirm_upto(sid, "E3003", stage, start + timedelta(days=3 * stage))
    morning = datetime.combine(last, time(0, 5), tzinfo=ZoneInfo(get_settings().timezone)).astimezone(UTC)
    separations.daily(session, morning)
    certificate = session.exec(select(SeparationCertificate).where(SeparationCertificate.separation_id == sid)).one()
    notifications.acknowledge(session, who("E3011"), certificate.message_id, morning + timedelta(hours=9))  # type: ignore[arg-type]
    separations.daily(session, morning + timedelta(days=1))


def _demo_cases(session: Session, employees: dict[str, Employee], today: date, now: datetime) -> None:
    """Two disappearance cases: 程露's, opened after this morning's scan, with the return-to-work
    notice sent to her confirmed channels and read but unanswered (the deadline runs); and 吴婷's,
    opened before her sick leave came in, paused by it, closed, its evidence bundle ready. 徐强's
    three days are offered for a case on the dashboard."""
    from selfservice.persistence.models import AbsenceStreak, LeaveRequest
    from selfservice.services import cases, contacts, evidence, notifications
    from selfservice.services.auth import actor_of

    accounts = {a.employee_id: a for a in session.exec(select(UserAccount)).all()}

    def who(no: str):  # noqa: ANN202
        return actor_of(accounts[employees[no].id])  # type: ignore[index]

    hr = who("hr01")
    handbook = session.exec(select(Policy).where(Policy.title_zh == "员工手册")).first()
    cases.save_settings(
        session,
        hr,
        {
            "streak_days": "3",
            "return_days": "3",
            "approvers": "E4001, E3001",
            "union_no": "E4004",
            "union_name": "示例科技有限公司工会",
            "policy_id": str(handbook.id if handbook else ""),
            "rule_text": "未打卡且未请假的工作日记为缺勤；连续旷工三个工作日，视为严重违反规章制度，公司可依法解除劳动合同。",
        },
        now - timedelta(days=30),
    )

    # 吴婷: opened a few minutes before her sick leave was filed; the leave paused it; HR closed it.
    wu = employees["E1010"]
    sick = session.exec(select(LeaveRequest).where(LeaveRequest.employee_id == wu.id).order_by(LeaveRequest.id.desc())).first()
    streak = session.exec(select(AbsenceStreak).where(AbsenceStreak.employee_id == wu.id).order_by(AbsenceStreak.id.desc())).first()
    if sick is not None and streak is not None:
        filed = sick.created_at
        closed_case = cases.open_case(session, hr, filed - timedelta(minutes=6), streak_id=streak.id)
        cases.add_event(
            session,
            who("E1003"),
            closed_case,
            "call",
            filed - timedelta(minutes=4),
            "",
            filed - timedelta(minutes=3),
            number=wu.phone,
            outcome="reached",
        )
        cases.watch(session, None, filed + timedelta(minutes=5))
        cases.resolve(session, hr, closed_case, "leave", "急性肠胃炎住院，病假已批准，病假条已上传。", filed + timedelta(hours=2))
        evidence.export(session, hr, closed_case, filed + timedelta(hours=2, minutes=10))

    # 程露: three days, her reminder read and never answered; HR opens a case after this morning's scan.
    cheng = employees["E3008"]
    streak = session.exec(
        select(AbsenceStreak).where(AbsenceStreak.employee_id == cheng.id, AbsenceStreak.status == "open").order_by(AbsenceStreak.id.desc())
    ).first()
    if streak is None:
        return
    base = max(streak.updated_at, now - timedelta(hours=2))

    def step(minutes: int) -> datetime:
        return min(now - timedelta(seconds=60 - minutes), base + timedelta(minutes=minutes))

    case_id = cases.open_case(session, hr, step(5), streak_id=streak.id)
    cases.add_event(session, who("E3003"), case_id, "call", step(7), "", step(8), number=cheng.phone, outcome="no_answer")
    cases.add_event(
        session,
        hr,
        case_id,
        "emergency_contact",
        step(12),
        "联系紧急联系人（母亲），称不知其去向。",
        step(13),
        number=cheng.emergency_contact_phone,
    )
    channels = [c for c in contacts.formal_channels(session, cheng.id) if c != "post"]  # type: ignore[arg-type]
    notice_id = cases.send_return_notice(session, hr, case_id, channels, step(20))
    notice = session.get(CaseNotice, notice_id)
    notifications.open_message(session, who("E3008"), notice.message_id, step(35))  # type: ignore[arg-type, union-attr]


def _daytime(now: datetime) -> datetime:
    """The last 10:00 in the company's time zone: reminders go out in the day only, and the demo
    should show them whatever the hour it is loaded at."""
    local = now.astimezone(ZoneInfo(get_settings().timezone))
    ten = local.replace(hour=10, minute=0, second=0, microsecond=0)
    return (ten if ten <= local else ten - timedelta(days=1)).astimezone(UTC)
