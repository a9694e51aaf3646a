"""A team's connections (/connect, /connections) and who is who in them (/link)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, update

from bot.services.crm_payloads import System
from bot.services.external_events import log_held
from models import Connection, ExternalEvent, ExternalPerson, TeamInfo, UnitOfWork, User
from models.base import utcnow
from models.prepared import Prepared, bound

# The secret part of an endpoint's URL and the generic webhook's signing key: 256 bits each.
TOKEN_BYTES = 32
MAX_MIN_CALL_SECONDS = 3600
# The systems whose deliveries are checked with something the manager pastes from them.
PASTED_SECRET = frozenset({System.BITRIX24, System.ZADARMA})
# Bitrix24 application tokens and Zadarma API secrets are short hex or alphanumeric strings.
MAX_PASTED_SECRET = 256


def token_hash(token: str) -> str:
    """What is stored of an endpoint's secret: looked up by, never shown again."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A connection just made or reset: its URL's secret (and the webhook's signing key),
    shown once."""

    system: System
    token: str
    signing_key: str | None  # the generic webhook's; the others' come from the system
    created: bool  # False: an existing connection reset (the old URL stops working)


_FIND = Prepared(
    select(Connection.id).where(
        Connection.team_id == bindparam("team_id"), Connection.system == bindparam("system")
    )
)
_ADD = Prepared(
    lambda insert: (
        insert(Connection)
        .values(bound("team_id", "system", "token_hash", "signing_secret", "created_at"))
        .on_conflict_do_nothing(index_elements=["team_id", "system"])
    )
)
_RESET = Prepared(
    update(Connection)
    .where(Connection.team_id == bindparam("team_id"), Connection.system == bindparam("system"))
    .values(token_hash=bindparam("token_hash"), failures=0, failures_noted=False)
)
_RESET_KEY = Prepared(
    update(Connection)
    .where(Connection.team_id == bindparam("team_id"), Connection.system == bindparam("system"))
    .values(signing_secret=bindparam("signing_secret"))
)


async def connect(session: UnitOfWork, team_id: int, system: System, *, reset: bool) -> Endpoint:
    """A new endpoint for the team's system: made, or (reset) replacing the old one's secret.
    An existing connection is not changed without `reset`: its URL is not shown again."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    key = secrets.token_urlsafe(TOKEN_BYTES) if system is System.WEBHOOK else None
    exists = await session.first(_FIND, team_id=team_id, system=system.value)
    if exists is None:
        await session.run(
            _ADD,
            team_id=team_id,
            system=system.value,
            token_hash=token_hash(token),
            signing_secret=key,
            created_at=utcnow(),
        )
        if await session.first(_FIND, team_id=team_id, system=system.value):
            return Endpoint(system, token, key, created=True)
    if not reset:
        raise AlreadyConnected(system)
    await session.changed(
        _RESET, team_id=team_id, system=system.value, token_hash=token_hash(token)
    )
    if key is not None:
        await session.changed(_RESET_KEY, team_id=team_id, system=system.value, signing_secret=key)
    return Endpoint(system, token, key, created=False)


class AlreadyConnected(Exception):
    def __init__(self, system: System) -> None:
        super().__init__(system.value)
        self.system = system


class NotConnected(Exception):
    pass


_SET_SECRET = Prepared(
    update(Connection)
    .where(Connection.team_id == bindparam("team_id"), Connection.system == bindparam("system"))
    .values(signing_secret=bindparam("secret"))
)
_SET_REST = Prepared(
    update(Connection)
    .where(Connection.team_id == bindparam("team_id"), Connection.system == bindparam("system"))
    .values(rest_url=bindparam("rest_url"), signing_secret=bindparam("secret"))
)
_SET_MIN_CALL = Prepared(
    update(Connection)
    .where(Connection.team_id == bindparam("team_id"), Connection.system == System.ZADARMA.value)
    .values(min_call_seconds=bindparam("seconds"))
)


def valid_secret(text: str) -> bool:
    return 0 < len(text) <= MAX_PASTED_SECRET and text.isascii() and text.isprintable()


def valid_rest_url(text: str) -> bool:
    """A Bitrix24 inbound webhook: https://<portal>/rest/<user id>/<key>/"""
    parts = urlsplit(text)
    path = [part for part in parts.path.split("/") if part]
    return (
        parts.scheme in ("https", "http")
        and bool(parts.hostname)
        and len(path) == 3
        and path[0] == "rest"
        and path[1].isdigit()
        and len(text) <= 512
    )


async def set_zadarma_secret(session: UnitOfWork, team_id: int, api_secret: str) -> None:
    changed = await session.changed(
        _SET_SECRET, team_id=team_id, system=System.ZADARMA.value, secret=api_secret
    )
    if not changed:
        raise NotConnected


async def set_bitrix24(
    session: UnitOfWork, team_id: int, rest_url: str, application_token: str
) -> None:
    changed = await session.changed(
        _SET_REST,
        team_id=team_id,
        system=System.BITRIX24.value,
        rest_url=rest_url.rstrip("/") + "/",
        secret=application_token,
    )
    if not changed:
        raise NotConnected


async def set_min_call_seconds(session: UnitOfWork, team_id: int, seconds: int) -> None:
    if not await session.changed(_SET_MIN_CALL, team_id=team_id, seconds=seconds):
        raise NotConnected


# --- /connections ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    system: System
    ready: bool  # has what its deliveries are checked with
    last_event_at: datetime | None
    today: int  # events received since the team's midnight
    failures: int  # bad signatures in a row
    min_call_seconds: int


async def team_connections(session: UnitOfWork, team: TeamInfo) -> list[ConnectionStatus]:
    zone = ZoneInfo(team.timezone)
    midnight = datetime.combine(utcnow().astimezone(zone).date(), time(0), zone)
    connections = (
        await session.execute(
            select(Connection).where(Connection.team_id == team.id).order_by(Connection.id)
        )
    ).scalars()
    found = []
    for connection in connections:
        last, today = (
            await session.execute(
                select(
                    func.max(ExternalEvent.received_at),
                    func.count().filter(ExternalEvent.received_at >= midnight),
                ).where(ExternalEvent.connection_id == connection.id)
            )
        ).one()
        system = System(connection.system)
        ready = connection.signing_secret is not None or system is System.AMOCRM
        if system is System.BITRIX24:
            ready = ready and connection.rest_url is not None
        found.append(
            ConnectionStatus(
                system, ready, last, int(today), connection.failures, connection.min_call_seconds
            )
        )
    return found


# --- /link ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeenPerson:
    id: int
    system: System
    external_id: str
    name: str | None
    member_id: int | None
    member_name: str | None


async def seen_people(session: UnitOfWork, team_id: int) -> list[SeenPerson]:
    """The external users the team's connections named so far, the unlinked first."""
    rows = await session.execute(
        select(
            ExternalPerson.id,
            Connection.system,
            ExternalPerson.external_id,
            ExternalPerson.name,
            User.id,
            User.first_name,
        )
        .join(Connection, Connection.id == ExternalPerson.connection_id)
        .outerjoin(User, (User.id == ExternalPerson.user_id) & (User.team_id == team_id))
        .where(Connection.team_id == team_id)
        .order_by(User.id.is_not(None), ExternalPerson.id)
    )
    return [
        SeenPerson(pid, System(system), external_id, name, member_id, member_name)
        for pid, system, external_id, name, member_id, member_name in rows
    ]


async def seen_person(session: UnitOfWork, team_id: int, person_id: int) -> SeenPerson | None:
    for person in await seen_people(session, team_id):
        if person.id == person_id:
            return person
    return None


@dataclass(frozen=True, slots=True)
class Linked:
    person: SeenPerson
    member: User
    logged: int  # held events logged now


_LINK = Prepared(
    update(ExternalPerson)
    .where(ExternalPerson.id == bindparam("person_id"))
    .values(user_id=bindparam("user_id"))
)


async def link_person(
    session: UnitOfWork, team_id: int, person_id: int, member_id: int
) -> Linked | None:
    """Link an external person of the team's connections to a current member of the team, and
    log what was held for them. None: the person or the member is not (or no longer) there."""
    person = await seen_person(session, team_id, person_id)
    member = await session.get(User, member_id)
    if person is None or member is None or member.team_id != team_id:
        return None
    connection_id = (
        await session.execute(
            select(ExternalPerson.connection_id).where(ExternalPerson.id == person_id)
        )
    ).scalar_one()
    await session.changed(_LINK, person_id=person_id, user_id=member_id)
    logged = await log_held(session, connection_id, person.external_id, team_id, member_id)
    return Linked(person, member, logged)
