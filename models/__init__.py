from models.achievement import Achievement
from models.base import Base
from models.bonus_scheme import BonusScheme
from models.celebration import Celebration
from models.closed_day import ClosedDay
from models.connection import Connection
from models.contest import Contest
from models.entry import Entry
from models.enums import EntryKind, Metric, Period, Role
from models.external_event import ExternalEvent
from models.external_item import ExternalItem
from models.external_person import ExternalPerson
from models.lease import Lease
from models.outbox import OutboxMessage, OutboxStatus
from models.processed_update import ProcessedUpdate
from models.target import Target
from models.team import Team, TeamInfo
from models.team_rewards import TeamRewards
from models.tv_link import TvLink
from models.unit_of_work import UnitOfWork
from models.user import Person, User
from models.vacation import Vacation

__all__ = [
    "Achievement",
    "Base",
    "BonusScheme",
    "Celebration",
    "ClosedDay",
    "Connection",
    "Contest",
    "Entry",
    "EntryKind",
    "ExternalEvent",
    "ExternalItem",
    "ExternalPerson",
    "Lease",
    "Metric",
    "OutboxMessage",
    "OutboxStatus",
    "Period",
    "Person",
    "ProcessedUpdate",
    "Role",
    "Target",
    "Team",
    "TeamInfo",
    "TeamRewards",
    "TvLink",
    "UnitOfWork",
    "User",
    "Vacation",
]
