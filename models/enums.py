from enum import StrEnum


class EntryKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    LEAD = "lead"
    DEAL = "deal"


class Role(StrEnum):
    MANAGER = "manager"
    EMPLOYEE = "employee"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Metric(StrEnum):
    CALLS = "calls"
    MEETINGS = "meetings"
    LEADS = "leads"
    DEALS = "deals"
    REVENUE = "revenue"  # in kopecks
