from enum import StrEnum


class EntryKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    LEAD = "lead"
    DEAL = "deal"


class Role(StrEnum):
    MANAGER = "manager"
    EMPLOYEE = "employee"
