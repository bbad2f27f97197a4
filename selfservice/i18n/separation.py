"""Messages of separation: resignation, the handover checklist, leave settlement, the separation
certificate (merged into the catalogues)."""

ZH: dict[str, str] = {
    "separation.last_day_past": "最后工作日不能早于今天。",
    "separation.last_day_too_far": "最后工作日不能晚于一年之后。",
    "separation.last_day_early": "提前 {days} 天通知：最后工作日最早为 {date}；更早的日期需经直属领导同意。",
    "separation.last_day_before_hire": "最后工作日不能早于入职日期。",
    "checklist.item_unknown": "没有这个交接事项。",
    "checklist.item_done": "这个交接事项已经确认过了。",
    "checklist.stage_not_open": "第 {stage} 环节尚未开始：请等前面的环节全部确认。",
}

EN: dict[str, str] = {
    "separation.last_day_past": "The last working day cannot be before today.",
    "separation.last_day_too_far": "The last working day cannot be more than a year ahead.",
    "separation.last_day_early": "{days} days' notice: the earliest last day is {date}; an earlier day needs your manager's agreement.",
    "separation.last_day_before_hire": "The last working day cannot be before the hire date.",
    "checklist.item_unknown": "There is no such handover item.",
    "checklist.item_done": "This handover item is already confirmed.",
    "checklist.stage_not_open": "Stage {stage} has not started: every item of the stages before it must be confirmed first.",
}
