from models.base import Base
from models.entry import Entry
from models.enums import EntryKind, Role
from models.processed_update import ProcessedUpdate
from models.team import Team
from models.user import User

__all__ = ["Base", "Entry", "EntryKind", "ProcessedUpdate", "Role", "Team", "User"]
