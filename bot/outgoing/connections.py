"""What the managers hear about their connections, through the outbox, each in their language:
someone the bot does not know yet, signatures that keep failing, a connection gone silent."""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select

from bot.services.crm_payloads import System
from bot.services.external_events import NewPerson
from bot.services.outbox import enqueue
from bot.texts import Translator, language_for, translator
from bot.views import connections as views
from models import Connection, ExternalEvent, UnitOfWork
from models.base import utcnow
from models.user import team_members

# A connection that delivered nothing for this long, after delivering before, is told about.
SILENT_AFTER = timedelta(days=3)


async def _tell_managers(
    session: UnitOfWork, team_id: int, key: str, render: Callable[[Translator], str]
) -> int:
    queued = 0
    for member in await team_members(session, team_id):
        if member.is_manager and not member.blocked_bot:
            text = render(translator(language_for(member.language_code)))
            key_of = f"{key}:{member.id}"
            queued += await enqueue(session, key_of, member.id, text=text, user_id=member.id)
    return queued


async def tell_new_person(session: UnitOfWork, person: NewPerson) -> None:
    key = f"crm-person:{person.team_id}:{person.system}:{person.external_id}"
    await _tell_managers(
        session,
        person.team_id,
        key,
        lambda t: views.new_person_notice(
            t, System(person.system), person.external_id, person.name
        ),
    )


async def tell_failing(session: UnitOfWork, team_id: int, system: str) -> None:
    key = f"crm-failing:{team_id}:{system}:{utcnow():%Y%m%d%H%M%S%f}"
    await _tell_managers(session, team_id, key, lambda t: views.failing_notice(t, System(system)))


async def tell_silent(session: UnitOfWork, now: datetime) -> int:
    """Each connection silent for SILENT_AFTER since its last event: told once per silence (the
    last event's id names it); how many messages were queued. Run every minute: each
    connection's last event is one step down its (connection, received) index."""
    last = (
        select(ExternalEvent.id, ExternalEvent.received_at)
        .where(ExternalEvent.connection_id == Connection.id)
        .order_by(ExternalEvent.received_at.desc(), ExternalEvent.id.desc())
        .limit(1)
    )
    last_at = last.with_only_columns(ExternalEvent.received_at).scalar_subquery()
    last_id = last.with_only_columns(ExternalEvent.id).scalar_subquery()
    rows = await session.execute(
        select(Connection.team_id, Connection.system, last_at, last_id).where(
            last_at < now - SILENT_AFTER
        )
    )
    queued = 0
    for team_id, system, at, event_id in rows.all():
        notice = partial(views.silent_notice, system=System(system), days=(now - at).days)
        key = f"crm-silent:{team_id}:{system}:{event_id}"
        queued += await _tell_managers(session, team_id, key, notice)
    return queued
