"""The endpoints CRMs and PBXs post to (/hooks/<system>/<secret>), and the two background tasks
behind them: the intake, which stores deliveries in batches before each sender hears 200, and
the applier, which turns stored events into entries.

A flood of events never delays people's commands: each request only checks its signature and
waits for its batch; a batch is one unit of work (one turn of SQLite's writer for hundreds of
events), and the applier works through the stored events in batches of its own.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiogram import Dispatcher
from aiohttp import web
from sqlalchemy import bindparam, select
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.outgoing.celebrations import celebrate_applied
from bot.outgoing.connections import tell_failing, tell_new_person
from bot.services.connections import token_hash
from bot.services.crm_payloads import (
    SIGNATURE_HEADER,
    IncomingEvent,
    Malformed,
    Refused,
    State,
    System,
    amocrm_events,
    bitrix24_deal,
    bitrix24_events,
    webhook_events,
    zadarma_events,
)
from bot.services.external_events import (
    Received,
    Resolved,
    StoredEvent,
    apply_events,
    give_up,
    gone,
    store_deliveries,
    unapplied_events,
)
from bot.wakeup import cancelled, woken
from models import Connection, Team
from models.base import utcnow
from models.database import Database
from models.prepared import Prepared

logger = logging.getLogger(__name__)

HOOKS_PATH = "/hooks"
# Larger bodies are refused unread: a CRM's event is a few KB.
MAX_BODY_BYTES = 256 * 1024
# Deliveries written together in one unit of work.
MAX_INTAKE_BATCH = 200
# Stored events applied together in one unit of work.
MAX_APPLY_BATCH = 50
# How often the applier looks for events left unapplied (a crash, a portal that did not answer)
# when nothing wakes it.
SWEEP_SECONDS = 30.0
# A Bitrix24 deal the portal did not give is asked for again after this long,
FETCH_RETRY_SECONDS = 60.0
# and given up (logged) once its event is this old: a portal down for a day, a webhook revoked.
FETCH_GIVE_UP_AFTER = timedelta(hours=24)
FETCH_TIMEOUT_SECONDS = 10.0
# Bitrix24 answers a portal's webhook about twice a second.
FETCHES_AT_ONCE = 2
MAX_ECHO = 128


class NotFound(ValueError):
    """The portal says there is no such deal (deleted, or beyond the webhook's rights)."""


def _not_found(answer: object) -> bool:
    """Bitrix24's 400 for a missing item: {"error": "", "error_description": "Not found"}."""
    if not isinstance(answer, dict):
        return False
    said = (answer.get("error"), answer.get("error_description"))
    return any(str(text).strip().lower() == "not found" for text in said if text)


@dataclass(frozen=True, slots=True)
class Endpoint:
    connection_id: int
    system: System
    secret: str | None
    timezone: str


_ENDPOINT = Prepared(
    select(Connection.id, Connection.system, Connection.signing_secret, Team.timezone)
    .join(Team, Team.id == Connection.team_id)
    .where(Connection.token_hash == bindparam("token_hash"))
)


class EventIntake:
    """Deliveries queued by the requests, stored in batches; each request resumes once its
    batch is committed."""

    def __init__(self, db: Database, stored: Callable[[], None]) -> None:
        self.db = db
        self.stored = stored
        self._waiting: deque[tuple[Received, asyncio.Future[None]]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="event-intake")

    async def stop(self) -> None:
        if self._task is not None:
            await cancelled(self._task)

    async def submit(self, received: Received) -> None:
        """Returns once the delivery is committed; raises if it could not be."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((received, future))
        self._wake.set()
        await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._waiting:
                batch, count = [], 0
                while self._waiting and count < MAX_INTAKE_BATCH:
                    received, future = self._waiting.popleft()
                    batch.append((received, future))
                    count += len(received.events or ()) or 1
                await self._store(batch)

    async def _store(self, batch: list[tuple[Received, "asyncio.Future[None]"]]) -> None:
        try:
            async with self.db.write() as session:
                failing = await store_deliveries(session, [received for received, _ in batch])
                for connection in failing:
                    await tell_failing(session, connection.team_id, connection.system)
        except Exception as error:
            if len(batch) > 1:
                # One delivery the database refuses must not fail its batch-mates (other teams).
                logger.warning("A batch of %d deliveries failed; stored one by one", len(batch))
                for one in batch:
                    await self._store([one])
                return
            logger.exception("Could not store a delivery")
            _, future = batch[0]
            if not future.done():
                future.set_exception(error)
            return
        for _, future in batch:
            if not future.done():
                future.set_result(None)
        self.stored()


class EventApplier:
    """Applies stored events in id order, in batches; woken by the intake, and every
    SWEEP_SECONDS for what was left (on any instance: each event is claimed by the database)."""

    def __init__(self, db: Database, http: aiohttp.ClientSession | None = None) -> None:
        self.db = db
        self.http = http
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._retry_at: dict[int, float] = {}  # Bitrix24 deals the portal did not give
        self._names: dict[tuple[int, str], str | None] = {}

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="event-applier")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            await cancelled(self._task)

    async def _run(self) -> None:
        while True:
            await woken(self._wake, SWEEP_SECONDS)
            self._wake.clear()
            try:
                await self.apply_pending()
            except Exception:
                logger.exception("Applying stored events failed; tried again later")

    async def apply_pending(self) -> int:
        """Everything stored and not applied yet (but Bitrix24 deals waiting for a retry)."""
        applied, after = 0, 0
        while True:
            async with self.db.read() as session:
                events = await unapplied_events(session, after, MAX_APPLY_BATCH)
            if not events:
                return applied
            after = events[-1].id
            now = time.monotonic()
            due = [e for e in events if self._retry_at.get(e.id, 0) <= now]
            resolved, abandoned = await self._resolve(due)
            if abandoned:
                async with self.db.write() as session:
                    for event in abandoned:
                        if await give_up(session, event.id):
                            logger.warning("Bitrix24 deal %s given up", event.external_id)
            if not resolved:
                continue
            try:
                await self._apply(resolved)
            except Exception:
                # One event that cannot be applied must not hold back every later one.
                logger.exception("Applying %d events failed; applied one by one", len(resolved))
                for one in resolved:
                    await self._apply_or_give_up(one)
            applied += len(resolved)

    async def _apply(self, resolved: list[Resolved]) -> None:
        async with self.db.write() as session:
            done = await apply_events(session, resolved)
            for newcomer in done.newcomers:
                await tell_new_person(session, newcomer)
            await celebrate_applied(session, done.changed)

    async def _apply_or_give_up(self, resolved: Resolved) -> None:
        try:
            await self._apply([resolved])
        except (OperationalError, InterfaceError):
            raise  # the database itself (locked, unreachable): the event is tried again later
        except Exception:
            event = resolved.event
            logger.exception("Event %d (%s) cannot be applied; skipped", event.id, event.system)
            async with self.db.write() as session:
                await give_up(session, event.id)

    async def _resolve(self, events: list[StoredEvent]) -> tuple[list[Resolved], list[StoredEvent]]:
        """The events as they are applied, and the Bitrix24 ones to give up on."""
        limit = asyncio.Semaphore(FETCHES_AT_ONCE)
        abandoned: list[StoredEvent] = []
        # A deal's repeated events in one batch are one read of it (the portal's state now).
        deals: dict[tuple[int, str], asyncio.Task[Resolved | None]] = {}

        async def one(event: StoredEvent) -> Resolved | None:
            if event.state is not State.FETCH:
                return Resolved(
                    event,
                    event.state,
                    event.amount_kopecks,
                    event.person,
                    event.person_name,
                    event.occurred_at,
                )
            key = (event.connection_id, event.external_id)
            if key not in deals:
                deals[key] = asyncio.ensure_future(self._limited(limit, event))
            read = await deals[key]
            if read is None:
                if utcnow() - event.received_at >= FETCH_GIVE_UP_AFTER:
                    abandoned.append(event)
                    self._retry_at.pop(event.id, None)
                else:
                    self._retry_at[event.id] = time.monotonic() + FETCH_RETRY_SECONDS
                return None
            self._retry_at.pop(event.id, None)
            return Resolved(
                event,
                read.state,
                read.amount_kopecks,
                read.person,
                read.person_name,
                read.occurred_at,
            )

        found = await asyncio.gather(*(one(event) for event in events))
        return [item for item in found if item is not None], abandoned

    async def _limited(self, limit: asyncio.Semaphore, event: StoredEvent) -> Resolved | None:
        async with limit:
            return await self._fetch_bitrix24(event)

    async def _fetch_bitrix24(self, event: StoredEvent) -> Resolved | None:
        """The deal as the portal has it now; None (asked again later) if it does not answer."""
        if self.http is None or event.rest_url is None:
            return None
        try:
            answer = await self._call(event.rest_url, "crm.deal.get", {"id": event.external_id})
            deal = bitrix24_deal(answer, event.occurred_at)
            name = await self._bitrix24_name(event, deal.person)
        except NotFound:
            return gone(event)
        except (aiohttp.ClientError, TimeoutError, ValueError, Malformed) as error:
            # Never the URL: it holds the portal's secret key.
            logger.warning("Bitrix24 deal %s not read: %s", event.external_id, type(error).__name__)
            return None
        state = State.WON if deal.won else State.OPEN
        return Resolved(event, state, deal.amount_kopecks, deal.person, name, deal.occurred_at)

    async def _call(self, rest_url: str, method: str, params: dict[str, str]) -> Any:
        assert self.http is not None
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
        async with self.http.post(f"{rest_url}{method}.json", data=params, timeout=timeout) as r:
            if r.status == 400 and _not_found(await r.json(content_type=None)):
                raise NotFound
            r.raise_for_status()
            answer = await r.json(content_type=None)
        if not isinstance(answer, dict):
            raise ValueError("not a JSON object")
        return answer

    async def _bitrix24_name(self, event: StoredEvent, person: str) -> str | None:
        """The responsible user's name (user.get), asked once per person and process."""
        key = (event.connection_id, person)
        if key not in self._names and event.rest_url is not None and person:
            name = None
            try:
                answer = await self._call(event.rest_url, "user.get", {"ID": person})
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                # A webhook without the "user" right: the deal still counts, the person unnamed.
                logger.warning("Bitrix24 user %s not read: %s", person, type(error).__name__)
                answer = {}
            users = answer.get("result")
            if isinstance(users, list) and users and isinstance(users[0], dict):
                parts = (users[0].get("NAME"), users[0].get("LAST_NAME"))
                name = " ".join(str(part) for part in parts if part)[:128] or None
            self._names[key] = name
        return self._names.get(key)


INTAKE = web.AppKey("event_intake", EventIntake)
APPLIER = web.AppKey("event_applier", EventApplier)
DATABASE_KEY = web.AppKey("hooks_database", Database)


def unknown() -> web.Response:
    """The one answer to an unknown endpoint and to a delivery that does not prove its sender."""
    return web.Response(status=404, text="Not Found")


async def _body(request: web.Request) -> bytes | None:
    """The whole body, however many pieces it arrives in; None once it is larger than allowed
    (not read past the limit)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _events(endpoint: Endpoint, request: web.Request, body: bytes) -> list[IncomingEvent]:
    now = utcnow()
    if endpoint.system is System.AMOCRM:
        return amocrm_events(body, now)  # the URL's secret is its proof
    if endpoint.system is System.BITRIX24:
        return bitrix24_events(body, endpoint.secret, now)
    if endpoint.system is System.ZADARMA:
        signature = request.headers.get("Signature", "")
        return zadarma_events(body, signature, endpoint.secret, endpoint.timezone, now)
    signature = request.headers.get(SIGNATURE_HEADER, "")
    return webhook_events(body, signature, endpoint.secret, endpoint.timezone, now)


async def receive(request: web.Request) -> web.StreamResponse:
    try:
        system = System(request.match_info["system"])
    except ValueError:
        return unknown()
    db = request.app[DATABASE_KEY]
    async with db.read() as session:
        row = await session.first(_ENDPOINT, token_hash=token_hash(request.match_info["token"]))
    if row is None or row[1] != system.value:
        return unknown()
    endpoint = Endpoint(row[0], system, row[2], row[3])
    if request.method == "GET":
        echo = request.query.get("zd_echo")
        if system is System.ZADARMA and echo is not None and len(echo) <= MAX_ECHO:
            return web.Response(text=echo)  # Zadarma's check of a new notification URL
        return unknown()
    if request.method != "POST":
        return unknown()
    body = await _body(request)
    if body is None:
        return web.Response(status=413, text="Payload Too Large")
    intake = request.app[INTAKE]
    try:
        events = _events(endpoint, request, body)
    except Refused:
        logger.warning("A %s delivery with a bad signature refused", system.value)
        # Before the manager pastes the system's secret every delivery is refused: no failure.
        if endpoint.secret is not None:
            await intake.submit(Received(endpoint.connection_id, None))
        return unknown()
    except Malformed as error:
        return web.Response(status=400, text=str(error))
    await intake.submit(Received(endpoint.connection_id, events))
    return web.json_response({"status": "ok", "events": len(events)})


def install(app: web.Application, dp: Dispatcher, db: Database, public_url: str) -> None:
    """The hooks' route and background tasks on `app`; /connect shows URLs under `public_url`."""
    dp["hooks_url"] = public_url.rstrip("/") + HOOKS_PATH
    app[DATABASE_KEY] = db
    app.router.add_route("*", HOOKS_PATH + "/{system}/{token}", receive)

    async def start(app: web.Application) -> None:
        http = aiohttp.ClientSession()
        applier = EventApplier(db, http)
        intake = EventIntake(db, applier.wake)
        app[APPLIER], app[INTAKE] = applier, intake
        applier.start()
        intake.start()
        applier.wake()  # what an earlier run stored and did not apply

    async def stop(app: web.Application) -> None:
        await app[INTAKE].stop()
        applier = app[APPLIER]
        await applier.stop()
        if applier.http is not None:
            await applier.http.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
