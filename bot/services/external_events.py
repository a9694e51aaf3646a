"""Events of connected systems: stored as they arrive, then applied to the team's entries.

Applying is idempotent by the item's external id (a deal's, a lead's, a call's): the same
event twice logs once; a deal that leaves "won" is reversed and logged again if it wins again;
a price edited after winning updates the entry; an entry a person deleted stays deleted. Each
event is claimed by the statement that marks it applied, in the unit of work that applies it,
so instances applying side by side never apply one twice.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import String, and_, bindparam, func, insert, select, update

from bot.services.achievements import reopen_days
from bot.services.crm_payloads import IncomingEvent, State
from bot.services.periods import local_date
from models import (
    Connection,
    Entry,
    EntryKind,
    ExternalEvent,
    ExternalItem,
    ExternalPerson,
    Team,
    UnitOfWork,
    User,
)
from models.base import utcnow
from models.prepared import Prepared, bound
from models.team import team_by_id

_GOOD_DELIVERY = Prepared(
    update(Connection)
    .where(Connection.id == bindparam("connection_id"), Connection.failures > 0)
    .values(failures=0, failures_noted=False)
)
_BAD_DELIVERY = Prepared(
    update(Connection)
    .where(Connection.id == bindparam("connection_id"))
    .values(failures=Connection.failures + bindparam("count"))
)
# Bad signatures in a row after which the manager is told (once, until a good delivery).
FAILURES_TOLD_AFTER = 20
_FAILING_UNTOLD = Prepared(
    update(Connection)
    .where(
        Connection.id == bindparam("connection_id"),
        Connection.failures >= FAILURES_TOLD_AFTER,
        Connection.failures_noted.is_(False),
    )
    .values(failures_noted=True)
    .returning(Connection.team_id, Connection.system)
)


@dataclass(frozen=True, slots=True)
class Received:
    """What one accepted request brought: its events, or (events None) a refused signature."""

    connection_id: int
    events: Sequence[IncomingEvent] | None


@dataclass(frozen=True, slots=True)
class FailingConnection:
    team_id: int
    system: str


async def store_deliveries(
    session: UnitOfWork, deliveries: Sequence[Received]
) -> list[FailingConnection]:
    """Store a batch of deliveries' events (the unit of work commits before any sender hears
    200), and count the refused ones; the connections that just began failing."""
    now = utcnow()
    refused: dict[int, int] = {}
    good: set[int] = set()
    rows: list[dict[str, object]] = []
    for delivery in deliveries:
        if delivery.events is None:
            refused[delivery.connection_id] = refused.get(delivery.connection_id, 0) + 1
            continue
        good.add(delivery.connection_id)
        rows.extend(
            {
                "connection_id": delivery.connection_id,
                "kind": event.kind.value,
                "external_id": event.external_id,
                "state": event.state.value,
                "amount_kopecks": event.amount_kopecks,
                "seconds": event.seconds,
                "person": event.person,
                "person_name": event.person_name,
                "occurred_at": event.occurred_at,
                "received_at": now,
            }
            for event in delivery.events
        )
    if rows:  # one statement for the batch (executemany)
        await session.execute(insert(ExternalEvent), rows)
    for connection_id in good - refused.keys():
        await session.changed(_GOOD_DELIVERY, connection_id=connection_id)
    failing = []
    for connection_id, count in refused.items():
        await session.changed(_BAD_DELIVERY, connection_id=connection_id, count=count)
        for team_id, system in await session.run(_FAILING_UNTOLD, connection_id=connection_id):
            failing.append(FailingConnection(team_id, system))
    return failing


# --- applying ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    connection_id: int
    kind: EntryKind
    external_id: str
    state: State
    amount_kopecks: int | None
    seconds: int | None
    person: str
    person_name: str | None
    occurred_at: datetime
    team_id: int
    timezone: str
    system: str
    min_call_seconds: int
    rest_url: str | None
    received_at: datetime


_UNAPPLIED = Prepared(
    select(
        ExternalEvent.id,
        ExternalEvent.connection_id,
        ExternalEvent.kind,
        ExternalEvent.external_id,
        ExternalEvent.state,
        ExternalEvent.amount_kopecks,
        ExternalEvent.seconds,
        ExternalEvent.person,
        ExternalEvent.person_name,
        ExternalEvent.occurred_at,
        Connection.team_id,
        Team.timezone,
        Connection.system,
        Connection.min_call_seconds,
        Connection.rest_url,
        ExternalEvent.received_at,
    )
    .join(Connection, Connection.id == ExternalEvent.connection_id)
    .join(Team, Team.id == Connection.team_id)
    .where(ExternalEvent.applied_at.is_(None), ExternalEvent.id > bindparam("after"))
    .order_by(ExternalEvent.id)
    .limit(bindparam("limit"))
)


async def unapplied_events(session: UnitOfWork, after: int, limit: int) -> list[StoredEvent]:
    rows = await session.run(_UNAPPLIED, after=after, limit=limit)
    return [
        StoredEvent(row[0], row[1], EntryKind(row[2]), row[3], State(row[4]), *row[5:])
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class Resolved:
    """A stored event as it is applied (a Bitrix24 deal: as the portal described it)."""

    event: StoredEvent
    state: State
    amount_kopecks: int | None
    person: str | None  # None: the system no longer has the item (it stays with its person)
    person_name: str | None
    occurred_at: datetime


def gone(event: StoredEvent) -> Resolved:
    """A deal its system no longer has (deleted, or out of the webhook's sight): it does not
    count any more; an entry logged for it is reversed."""
    return Resolved(event, State.OPEN, None, None, None, event.occurred_at)


_ADD_PERSON = Prepared(
    lambda insert: (
        insert(ExternalPerson)
        .values(bound("connection_id", "external_id", "name", "first_seen_at"))
        .on_conflict_do_nothing(index_elements=["connection_id", "external_id"])
        .returning(ExternalPerson.id)
    )
)
_NAME_PERSON = Prepared(
    update(ExternalPerson)
    .where(
        ExternalPerson.connection_id == bindparam("connection_id"),
        ExternalPerson.external_id == bindparam("external_id"),
        ExternalPerson.name.is_distinct_from(bindparam("name")),
    )
    .values(name=bindparam("name"))
)
# The member an external person is linked to, while they are in the connection's team.
_LINKED = Prepared(
    select(User.id)
    .join(ExternalPerson, ExternalPerson.user_id == User.id)
    .where(
        ExternalPerson.connection_id == bindparam("connection_id"),
        ExternalPerson.external_id == bindparam("external_id"),
        User.team_id == bindparam("team_id"),
    )
)
_ITEM = Prepared(
    select(
        ExternalItem.id,
        ExternalItem.entry_id,
        Entry.deleted_at,
        Entry.amount_kopecks,
        ExternalItem.counts,
        ExternalItem.business_date,
    )
    .outerjoin(Entry, Entry.id == ExternalItem.entry_id)
    .where(
        ExternalItem.connection_id == bindparam("connection_id"),
        ExternalItem.kind == bindparam("kind"),
        ExternalItem.external_id == bindparam("external_id"),
    )
    .with_for_update(of=ExternalItem)
)
_ADD_ITEM = Prepared(
    lambda insert: (
        insert(ExternalItem)
        .values(
            bound(
                "connection_id",
                "kind",
                "external_id",
                "person",
                "counts",
                "amount_kopecks",
                "business_date",
            )
        )
        .on_conflict_do_nothing(index_elements=["connection_id", "kind", "external_id"])
        .returning(ExternalItem.id)
    )
)
_SET_ITEM = Prepared(
    update(ExternalItem)
    .where(ExternalItem.id == bindparam("item_id"))
    .values(
        {
            **bound("counts", "amount_kopecks", "business_date", "entry_id"),
            # None: a deal the system no longer has keeps the person it had.
            "person": func.coalesce(bindparam("person", type_=String), ExternalItem.person),
        }
    )
)
_ADD_ENTRY = Prepared(
    insert(Entry).values(
        bound(
            "team_id",
            "user_id",
            "kind",
            "count",
            "amount_kopecks",
            "is_repeat",
            "business_date",
            "created_at",
            "source",
        )
    )
)
_REPRICE = Prepared(
    update(Entry)
    .where(Entry.id == bindparam("entry_id"), Entry.deleted_at.is_(None))
    .values(amount_kopecks=bindparam("amount_kopecks"))
)
# A reversal: deleted by nobody (a person's deletion names them, and stays).
_REVERSE = Prepared(
    update(Entry)
    .where(Entry.id == bindparam("entry_id"), Entry.deleted_at.is_(None))
    .values(deleted_at=bindparam("now"))
)


@dataclass(frozen=True, slots=True)
class NewPerson:
    """Someone a connection named for the first time, not linked to a member yet."""

    team_id: int
    system: str
    external_id: str
    name: str | None


def counts(resolved: Resolved) -> bool:
    event = resolved.event
    if event.kind is EntryKind.CALL:
        # A PBX names the call's length; a call sent by the generic webhook counts as it is.
        long_enough = event.seconds is None or event.seconds >= event.min_call_seconds
        return resolved.state is State.DONE and long_enough
    return resolved.state in (State.WON, State.DONE)


# The people an applying batch met: (connection, external id) -> linked member, and the names.
People = dict[tuple[int, str], tuple[int | None, str | None]]


async def _person(
    session: UnitOfWork, resolved: Resolved, person: str, people: People
) -> tuple[int | None, bool]:
    """The member the event's person is linked to (None: not linked); whether they are new."""
    event, now = resolved.event, utcnow()
    met = people.get((event.connection_id, person))
    if met is not None and met[1] == resolved.person_name:
        return met[0], False
    key = {"connection_id": event.connection_id, "external_id": person}
    added = await session.run(_ADD_PERSON, name=resolved.person_name, first_seen_at=now, **key)
    if resolved.person_name is not None and not added:
        await session.changed(_NAME_PERSON, name=resolved.person_name, **key)
    linked = await session.first(_LINKED, team_id=event.team_id, **key)
    user_id = linked[0] if linked else None
    people[(event.connection_id, person)] = (user_id, resolved.person_name)
    return user_id, bool(added)


async def _log(
    session: UnitOfWork,
    event: StoredEvent,
    user_id: int,
    amount_kopecks: int | None,
    day: date,
) -> int:
    # A call at 23:59 reported after midnight: its day is looked at again for small wins.
    await reopen_days(session, event.team_id, day, local_date(utcnow(), event.timezone))
    return await session.inserted(
        _ADD_ENTRY,
        team_id=event.team_id,
        user_id=user_id,
        kind=event.kind,
        count=1,
        amount_kopecks=amount_kopecks,
        is_repeat=False,
        business_date=day,
        created_at=utcnow(),
        source=event.system,
    )


@dataclass(slots=True)
class Applied:
    """What applying a batch did: the people seen for the first time, and the members whose
    entries it logged, repriced or reversed (team id, user id), whose targets may be crossed."""

    newcomers: list[NewPerson] = field(default_factory=list)
    changed: set[tuple[int, int]] = field(default_factory=set)


async def apply_events(session: UnitOfWork, batch: Sequence[Resolved]) -> Applied:
    """Apply the stored events of a batch that no one applied yet, in order."""
    claim = (
        update(ExternalEvent)
        .where(
            ExternalEvent.id.in_([resolved.event.id for resolved in batch]),
            ExternalEvent.applied_at.is_(None),
        )
        .values(applied_at=utcnow())
        .returning(ExternalEvent.id)
    )
    claimed = set((await session.execute(claim)).scalars())
    people: People = {}
    applied = Applied()
    for resolved in batch:
        if resolved.event.id in claimed:
            await _apply(session, resolved, people, applied)
    return applied


async def _apply(session: UnitOfWork, resolved: Resolved, people: People, applied: Applied) -> None:
    event, user_id = resolved.event, None
    does_count = counts(resolved)
    # An event naming nobody that does not count (a deal lost, by id alone) meets no one, and
    # leaves the item with the person it had.
    person = resolved.person if resolved.person or does_count else None
    if person is not None:
        user_id, new = await _person(session, resolved, person, people)
        if new and user_id is None:
            applied.newcomers.append(
                NewPerson(event.team_id, event.system, person, resolved.person_name)
            )
    key = {
        "connection_id": event.connection_id,
        "kind": event.kind.value,
        "external_id": event.external_id,
    }
    day = local_date(resolved.occurred_at, event.timezone)
    item = await session.first(_ITEM, **key)
    if item is None:
        if not does_count:
            return  # an open deal or a short call the bot never logged: nothing to undo
        added = await session.run(
            _ADD_ITEM,
            person=resolved.person,
            counts=False,
            amount_kopecks=None,
            business_date=day,
            **key,
        )
        # Another instance may have added it first: then it is read, and locked, as it is.
        item = (
            (added[0][0], None, None, None, False, day)
            if added
            else await session.first(_ITEM, **key)
        )
        assert item is not None
    item_id, entry_id, deleted_at, logged_amount, counted, counted_since = item
    if does_count and counted:
        day = counted_since  # a price edited later leaves the deal on the day it was won
    if does_count:
        if entry_id is None and user_id is not None:
            entry_id = await _log(session, event, user_id, resolved.amount_kopecks, day)
            applied.changed.add((event.team_id, user_id))
        elif entry_id is not None and deleted_at is None:
            if logged_amount != resolved.amount_kopecks:
                await session.changed(
                    _REPRICE, entry_id=entry_id, amount_kopecks=resolved.amount_kopecks
                )
                if user_id is not None:
                    applied.changed.add((event.team_id, user_id))
    elif entry_id is not None and deleted_at is None:
        await session.changed(_REVERSE, entry_id=entry_id, now=utcnow())
        entry_id = None
    await session.changed(
        _SET_ITEM,
        item_id=item_id,
        person=person,
        counts=does_count,
        amount_kopecks=resolved.amount_kopecks,
        business_date=day,
        entry_id=entry_id,
    )


_GIVE_UP = Prepared(
    update(ExternalEvent)
    .where(ExternalEvent.id == bindparam("event_id"), ExternalEvent.applied_at.is_(None))
    .values(applied_at=bindparam("now"))
)


async def give_up(session: UnitOfWork, event_id: int) -> bool:
    """Mark an event that cannot be applied as done with, so it never blocks the ones after
    it; whether this call did (another instance may have applied it meanwhile)."""
    return bool(await session.changed(_GIVE_UP, event_id=event_id, now=utcnow()))


# --- who is who ----------------------------------------------------------------------------------

_HELD = Prepared(
    select(
        ExternalItem.id,
        ExternalItem.kind,
        ExternalItem.amount_kopecks,
        ExternalItem.business_date,
        Connection.system,
    )
    .join(Connection, Connection.id == ExternalItem.connection_id)
    .where(
        and_(
            ExternalItem.connection_id == bindparam("connection_id"),
            ExternalItem.person == bindparam("external_id"),
            ExternalItem.counts.is_(True),
            ExternalItem.entry_id.is_(None),
        )
    )
    .order_by(ExternalItem.id)
    .with_for_update(of=ExternalItem)
)
_ITEM_LOGGED = Prepared(
    update(ExternalItem)
    .where(ExternalItem.id == bindparam("item_id"), ExternalItem.entry_id.is_(None))
    .values(entry_id=bindparam("entry_id"))
)


async def log_held(
    session: UnitOfWork, connection_id: int, external_id: str, team_id: int, user_id: int
) -> int:
    """The events held for an external person, logged for the member now linked to them, each
    dated as it happened; how many."""
    logged = 0
    rows = await session.run(_HELD, connection_id=connection_id, external_id=external_id)
    team = await team_by_id(session, team_id) if rows else None
    if team is not None:  # days already looked at for small wins are looked at again
        today = local_date(utcnow(), team.timezone)
        await reopen_days(session, team_id, min(day for *_, day, _system in rows), today)
    for item_id, kind, amount, day, system in rows:
        entry_id = await session.inserted(
            _ADD_ENTRY,
            team_id=team_id,
            user_id=user_id,
            kind=EntryKind(kind),
            count=1,
            amount_kopecks=amount,
            is_repeat=False,
            business_date=day,
            created_at=utcnow(),
            source=system,
        )
        logged += await session.changed(_ITEM_LOGGED, item_id=item_id, entry_id=entry_id)
    return logged
