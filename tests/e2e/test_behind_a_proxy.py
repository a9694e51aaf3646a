"""Two real `python -m bot` processes in webhook mode on one PostgreSQL database and one Redis,
behind a small round-robin HTTP proxy that the test runs itself (as nginx would sit in front):
the fake Bot API posts every update to the proxy, which hands each POST to the next instance in
turn and passes its status and body back."""

import asyncio
import json
import os
import re
import signal
import ssl
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import pytest
from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web
from sqlalchemy import func, select

from bot.config import WEBHOOK_PATH
from models import Entry, ExternalEvent, Team
from models.database import Database
from tests.db import migrated_database
from tests.e2e.test_crm import signed, webhook_key
from tests.e2e.test_process import START_TIMEOUT, free_port, http_get, start_bot
from tests.fake_telegram import BotMessage, FakeTelegram, FakeUser
from tests.postgres import PostgresServer
from tests.unit.test_deploy import BOTS, NGINX, NGINX_CONF, tool

SECRET = "proxy_webhook-Secret-0123456789"
# What the bot handles (the webhook's allowed_updates, as `python -m bot set-webhook` sets them).
ALLOWED_UPDATES = ["callback_query", "message", "my_chat_member"]
# Generous: two processes start on a loaded 2-core machine.
REPLY_TIMEOUT = 120.0
BURST_TIMEOUT = 600.0

ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@dataclass
class Proxy:
    """Round-robin over `upstreams`; counts the POSTs each answered and which update went where."""

    upstreams: list[str]
    answered: Counter[int] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    routed: dict[int, list[int]] = field(default_factory=dict)  # update_id -> instances
    _turn: int = 0
    _session: ClientSession | None = None

    async def forward(self, request: web.Request) -> web.Response:
        instance = self._turn % len(self.upstreams)
        self._turn += 1
        body = await request.read()
        try:
            update_id = int(json.loads(body)["update_id"])
        except (ValueError, KeyError, TypeError):
            update_id = -1
        self.routed.setdefault(update_id, []).append(instance)
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() in ("content-type", "x-telegram-bot-api-secret-token")
        }
        assert self._session is not None
        try:
            async with self._session.post(
                self.upstreams[instance] + request.path_qs, data=body, headers=headers
            ) as response:
                answer = await response.read()
                status = response.status
                content_type = response.headers.get("Content-Type")
        except (ClientError, TimeoutError):
            self.statuses[502] += 1
            return web.Response(status=502, text="upstream unreachable")
        self.answered[instance] += 1
        self.statuses[status] += 1
        response_headers = {"Content-Type": content_type} if content_type else {}
        return web.Response(status=status, body=answer, headers=response_headers)


@asynccontextmanager
async def running_proxy(upstreams: list[str]) -> AsyncIterator[tuple[Proxy, str]]:
    proxy = Proxy(upstreams)
    app = web.Application()
    app.router.add_post("/{tail:.*}", proxy.forward)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        async with ClientSession(timeout=ClientTimeout(total=120)) as session:
            proxy._session = session
            yield proxy, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class Front(Protocol):
    """What stands before the instances: which instance answered how many POSTs."""

    @property
    def answered(self) -> Counter[int]: ...


FrontStarter = Callable[[list[str]], AbstractAsyncContextManager[tuple[Front, str]]]


@dataclass
class Cluster:
    tg: FakeTelegram
    proxy: Front
    processes: list[asyncio.subprocess.Process]
    instance_urls: list[str]
    logs: list[Path]

    def log_tails(self) -> str:
        return "\n".join(f"--- {path}\n{path.read_text()[-3000:]}" for path in self.logs)


async def wait_ready(url: str, process: asyncio.subprocess.Process) -> float:
    """Seconds until `url`/readyz answers 200; fails if the process ends first."""
    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT * 2:
        assert process.returncode is None, f"exited with {process.returncode}"
        if await http_get(url + "/readyz") == 200:
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(f"{url} not ready within {START_TIMEOUT * 2} s")


@asynccontextmanager
async def behind_a_proxy(
    tg: FakeTelegram, tmp_path: Path, db_url: str, redis_url: str
) -> AsyncIterator[Cluster]:
    """Two bot processes started at the same moment, the test's proxy in front."""
    async with two_instances(tg, tmp_path, db_url, redis_url, running_proxy) as cluster:
        yield cluster


@asynccontextmanager
async def two_instances(
    tg: FakeTelegram, tmp_path: Path, db_url: str, redis_url: str, front: FrontStarter
) -> AsyncIterator[Cluster]:
    """Two bot processes started at the same moment, `front` before them, the webhook on it."""
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    async with AsyncExitStack() as stack:
        proxy, proxy_url = await stack.enter_async_context(front(urls))
        processes: list[asyncio.subprocess.Process] = []
        logs: list[Path] = []
        files: list[IO[bytes]] = []
        for name in "ab":
            folder = tmp_path / name
            folder.mkdir()
            log = folder / "bot.log"
            logs.append(log)
            files.append(stack.enter_context(log.open("wb")))
        for port, out in zip(ports, files, strict=True):
            processes.append(
                await start_bot(
                    tg,
                    Path(out.name).parent,
                    db_url,
                    output=out.fileno(),
                    MODE="webhook",
                    PUBLIC_URL=proxy_url,
                    WEB_HOST="127.0.0.1",
                    WEB_PORT=str(port),
                    WEBHOOK_SECRET=SECRET,
                    REDIS_URL=redis_url,
                )
            )
        cluster = Cluster(tg, proxy, processes, urls, logs)
        try:
            waits = await asyncio.gather(
                *(wait_ready(url, p) for url, p in zip(urls, processes, strict=True))
            )
            print(f"both instances ready after {max(waits):.1f} s")
            async with tg.make_bot() as bot:
                await bot.set_webhook(
                    proxy_url + WEBHOOK_PATH, secret_token=SECRET, allowed_updates=ALLOWED_UPDATES
                )
            yield cluster
        except BaseException:
            print(cluster.log_tails())
            raise
        finally:
            async with tg.make_bot() as bot:  # as a deploy does before stopping the last one
                await bot.delete_webhook()
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            codes = [await asyncio.wait_for(p.wait(), 60) for p in processes]
        assert codes == [0, 0], cluster.log_tails()


def invite_token(text: str) -> str:
    match = re.search(r"https://t\.me/kpi_test_bot\?start=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def say(tg: FakeTelegram, user: FakeUser, text: str) -> BotMessage:
    mark = tg.mark()
    user.send(text)
    return await tg.next_in_chat(user.id, mark, REPLY_TIMEOUT, f"{user} said {text!r}")


async def team_of(tg: FakeTelegram, manager: FakeUser, members: list[FakeUser]) -> None:
    """The manager makes team Sales; the members join it by its invite, all at once."""
    await say(tg, manager, "/start")
    assert "is created" in ((await say(tg, manager, "/newteam Sales")).plain or "")
    token = invite_token((await say(tg, manager, "/invite")).plain or "")
    mark = tg.mark()
    for member in members:
        member.send(f"/start {token}")
    joined = await asyncio.gather(
        *(tg.next_in_chat(m.id, mark, REPLY_TIMEOUT, f"{m} joined") for m in members)
    )
    assert all("You've joined team «Sales" in (r.plain or "") for r in joined), [
        r.plain for r in joined if "You've joined" not in (r.plain or "")
    ]


# Ten commands a person sends in the burst: eight that log an entry, two reports.
BURST = [
    "/call",
    "/meeting 2",
    "/lead",
    "/deal 15000",
    "/today",
    "/call 3",
    "/meeting",
    "/lead 2",
    "/deal 2500",
    "/week",
]
LOGGED = [c for c in BURST if c.split()[0] in ("/call", "/meeting", "/lead", "/deal")]
JOIN_NOTICE = "👋"


def replies_since(user: FakeUser, mark: int) -> list[BotMessage]:
    """The bot's answers in the person's chat after `mark` (not the managers' join notices)."""
    return [
        m for m in user.messages if m.seq > mark and not (m.plain or "").startswith(JOIN_NOTICE)
    ]


@ON_POSTGRESQL
async def test_a_burst_of_500_commands_from_50_people_stored_exactly_once(
    fake_tg: FakeTelegram, tmp_path: Path, db_url: str, redis_url: str
) -> None:
    tg = fake_tg
    manager = tg.user(50_000, "Manager")
    members = [tg.user(50_001 + i, f"Member{i + 1}") for i in range(49)]
    people = [manager, *members]
    async with behind_a_proxy(tg, tmp_path, db_url, redis_url) as cluster:
        await team_of(tg, manager, members)

        before = Counter(cluster.proxy.answered)
        mark = tg.mark()
        started = time.monotonic()
        for person in people:
            for command in BURST:
                person.send(command)
        await tg.wait_until_consumed(timeout=BURST_TIMEOUT)
        consumed = time.monotonic() - started
        deadline = time.monotonic() + REPLY_TIMEOUT
        while any(len(replies_since(p, mark)) < len(BURST) for p in people):
            assert time.monotonic() < deadline, "some commands never answered"
            await asyncio.sleep(0.2)
        answered = time.monotonic() - started
        acks = {
            p.id: [m for m in replies_since(p, mark) if "✅ Recorded" in (m.plain or "")]
            for p in people
        }
        split = cluster.proxy.answered - before
        async with migrated_database(db_url) as db:
            entries = await stored_entries(db)
        posts = Counter(post.status for post in tg.webhook_posts)
    print(
        f"500 commands from 50 people: all answered 200 after {consumed:.1f} s, every reply "
        f"in after {answered:.1f} s; instance a took {split[0]} POSTs, b {split[1]}; "
        f"webhook POST statuses {dict(posts)}"
    )
    assert split[0] > 0 and split[1] > 0, split
    assert sum(split.values()) >= len(people) * len(BURST)
    for person in people:
        replies = replies_since(person, mark)
        assert len(replies) == len(BURST), [m.plain for m in replies]
        # every logging command acknowledged as saved; reports answered, not saved
        assert len(acks[person.id]) == len(LOGGED), [m.plain for m in replies]
    # No entry without an ack, none twice: each person's entries are exactly what they logged.
    expected = sorted(parse(command) for command in LOGGED)
    stored = sum(len(rows) for rows in entries.values())
    assert sum(len(v) for v in acks.values()) == stored == len(people) * len(LOGGED)
    for person in people:
        assert sorted(entries.get(person.id, [])) == expected, person


def parse(command: str) -> tuple[str, int, int | None]:
    """(kind, count, amount in kopecks) of the entry a logging command stores."""
    name, *rest = command.lstrip("/").split()
    number = int(rest[0]) if rest else None
    if name == "deal":
        return ("deal", 1, None if number is None else number * 100)
    return (name, number or 1, None)


async def stored_entries(db: Database) -> dict[int, list[tuple[str, int, int | None]]]:
    async with db.read() as session:
        rows = await session.execute(
            select(Entry.user_id, Entry.kind, Entry.count, Entry.amount_kopecks).where(
                Entry.deleted_at.is_(None)
            )
        )
        found: dict[int, list[tuple[str, int, int | None]]] = {}
        for user_id, kind, count, amount in rows:
            found.setdefault(user_id, []).append((kind.value, count, amount))
        return found


@ON_POSTGRESQL
async def test_a_two_step_conversation_split_across_instances_completes(
    fake_tg: FakeTelegram, tmp_path: Path, db_url: str, redis_url: str
) -> None:
    tg = fake_tg
    anna = tg.user(1001, "Anna")
    async with behind_a_proxy(tg, tmp_path, db_url, redis_url) as cluster:
        await say(tg, anna, "/start")
        mark = tg.mark()
        first = anna.send("/newteam")
        asked = await tg.next_in_chat(anna.id, mark, REPLY_TIMEOUT, "asked")
        assert "What's the team called?" in (asked.plain or "")
        second = anna.send("Sales North")
        answer = await tg.next_in_chat(anna.id, asked.seq, REPLY_TIMEOUT, "named")
        assert isinstance(cluster.proxy, Proxy)
        routed = cluster.proxy.routed
        async with migrated_database(db_url) as db, db.read() as session:
            teams = list(await session.scalars(select(Team.name)))
    print(f"/newteam went to instance {routed[first]}, the name to {routed[second]}")
    # each step answered by a different instance (a retried POST would show two entries)
    assert len(routed[first]) == len(routed[second]) == 1
    assert routed[first] != routed[second]
    assert "Team «Sales North» is created" in (answer.plain or "")
    assert teams == ["Sales North"]


async def test_two_instances_started_together_on_an_empty_database_both_come_up(
    fake_tg: FakeTelegram, tmp_path: Path, redis_url: str, postgres_server: PostgresServer
) -> None:
    name = f"empty_{uuid.uuid4().hex[:12]}"
    await postgres_server.create_database(name)  # empty: not from the migrated template
    url = postgres_server.url(name)
    anna = fake_tg.user(1001, "Anna")
    try:
        async with behind_a_proxy(fake_tg, tmp_path, url, redis_url) as cluster:
            for url_ in cluster.instance_urls:
                assert await http_get(url_ + "/readyz") == 200
                assert await http_get(url_ + "/healthz") == 200
            assert "Hi!" in ((await say(fake_tg, anna, "/start")).plain or "")
            assert "is created" in ((await say(fake_tg, anna, "/newteam Sales")).plain or "")
            assert "Recorded: 2 calls" in ((await say(fake_tg, anna, "/call 2")).plain or "")
            answered = Counter(cluster.proxy.answered)
    finally:
        await postgres_server.drop_database(name)
    assert answered[0] > 0 and answered[1] > 0, answered


# --- the deploy's own nginx config, run by Debian's nginx -------------------------------------


@dataclass
class Nginx:
    """nginx before the instances; its access log names the instance of each request."""

    log: Path
    upstreams: list[str]  # "127.0.0.1:port", in the config's order

    @property
    def answered(self) -> Counter[int]:
        counts: Counter[int] = Counter()
        for line in self.log.read_text().splitlines():
            address, _status, path = line.split(" ", 2)
            if path == WEBHOOK_PATH and address in self.upstreams:
                counts[self.upstreams.index(address)] += 1
        return counts


def nginx_files(folder: Path, upstreams: list[str]) -> tuple[Path, int, list[str], Path]:
    """The config (its port, the instances' addresses, its access log) and certificate."""
    openssl = tool("openssl", "openssl")
    certs = folder / "certs"
    certs.mkdir(parents=True)
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    addresses = [url.removeprefix("http://") for url in upstreams]
    log = folder / "access.log"
    text = NGINX_CONF.read_text()
    for name, address in zip(BOTS, addresses, strict=True):
        text = text.replace(f"server {name}:8080", f"server {address}")
    text = text.replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    text = text.replace(
        "access_log /dev/stdout;",
        f"log_format upstream '$upstream_addr $status $uri';\n    access_log {log} upstream;",
    )
    assert all(address in text for address in addresses) and str(port) in text
    config = folder / "nginx.conf"
    config.write_text(text)
    return config, port, addresses, log


def deploy_nginx(tg: FakeTelegram, folder: Path) -> FrontStarter:
    """deploy/nginx.conf as shipped, but for where it listens (a loopback port, with a
    self-signed certificate the fake Bot API trusts as Telegram trusts an uploaded one), the
    instances' addresses and the access log's format."""

    @asynccontextmanager
    async def start(upstreams: list[str]) -> AsyncIterator[tuple[Front, str]]:
        nginx = tool(NGINX, "nginx")
        config, port, addresses, log = nginx_files(folder, upstreams)
        extra = f"daemon off; pid {folder / 'nginx.pid'};"
        if os.geteuid() == 0:  # its workers would be nobody, who cannot reach a test's folder
            extra += " user root;"
        errors = (folder / "error.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            nginx, "-p", str(folder), "-e", "stderr", "-c", str(config), "-g", extra,
            stdout=errors, stderr=errors,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.returncode is None, (folder / "error.log").read_text()
                try:
                    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    assert time.monotonic() < deadline, "nginx did not start listening"
                    await asyncio.sleep(0.1)
                    continue
                writer.close()
                break
            cafile = str(folder / "certs" / "fullchain.pem")
            tg.webhook_tls = ssl.create_default_context(cafile=cafile)
            yield Nginx(log, addresses), f"https://127.0.0.1:{port}"
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
                await asyncio.wait_for(process.wait(), 30)
            errors.close()

    return start


@ON_POSTGRESQL
async def test_the_deploys_nginx_hands_updates_to_both_instances(
    fake_tg: FakeTelegram, tmp_path: Path, db_url: str, redis_url: str
) -> None:
    """Telegram's POSTs over HTTPS to nginx as deploy/nginx.conf has it, two instances behind:
    every command answered once and stored once, both instances taking updates; the dashboard
    is served through it, nothing else is."""
    tg = fake_tg
    manager = tg.user(60_000, "Manager")
    members = [tg.user(60_001 + i, f"Member{i + 1}") for i in range(9)]
    people = [manager, *members]
    front = deploy_nginx(tg, tmp_path / "nginx")
    async with two_instances(tg, tmp_path, db_url, redis_url, front) as cluster:
        await team_of(tg, manager, members)
        mark = tg.mark()
        for person in people:
            for command in BURST:
                person.send(command)
        await tg.wait_until_consumed(timeout=BURST_TIMEOUT)
        deadline = time.monotonic() + REPLY_TIMEOUT
        while any(len(replies_since(p, mark)) < len(BURST) for p in people):
            assert time.monotonic() < deadline, "some commands never answered"
            await asyncio.sleep(0.2)
        answers = {p.id: replies_since(p, mark) for p in people}
        async with ClientSession(connector=TCPConnector(ssl=tg.webhook_tls or True)) as client:
            base = (tg.webhook or {})["url"].removesuffix(WEBHOOK_PATH)
            async with client.get(base + "/dashboard/") as page:
                page_status, page_type = page.status, page.content_type
            async with client.get(base + "/healthz") as health:
                health_status = health.status
            # A CRM's delivery comes through the same front door.
            reply = await say(tg, manager, "/connect webhook")
            hook = re.search(rf"{re.escape(base)}/hooks/webhook/[A-Za-z0-9_-]+", reply.plain or "")
            assert hook, reply.plain
            event = {"kind": "deal", "amount": 1000, "external_id": "d1", "user": "crm-1"}
            body, headers = signed(webhook_key(reply), event)
            async with client.post(hook.group(0), data=body, headers=headers) as delivered:
                delivery_status = delivered.status
        split = cluster.proxy.answered
        async with migrated_database(db_url) as db:
            entries = await stored_entries(db)
            async with db.read() as session:
                events = await session.scalar(select(func.count()).select_from(ExternalEvent))
    assert (delivery_status, events) == (200, 1)
    print(f"through nginx: instance a took {split[0]} update POSTs, b {split[1]}")
    assert split[0] > 0 and split[1] > 0, split
    assert (page_status, page_type) == (200, "text/html")
    assert health_status == 404  # the instances' health is for the load balancer, not public
    expected = sorted(parse(command) for command in LOGGED)
    for person in people:
        replies = answers[person.id]
        assert len(replies) == len(BURST), [m.plain for m in replies]
        assert sum("✅ Recorded" in (m.plain or "") for m in replies) == len(LOGGED)
        assert sorted(entries.get(person.id, [])) == expected, person
