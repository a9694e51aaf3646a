"""`python -m bot` as a process: configuration errors, start-up, SIGTERM."""

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

from aiohttp import ClientError, ClientSession
from sqlalchemy import func, select

from models import Entry
from tests.db import migrated_database
from tests.fake_telegram import FakeTelegram

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# A ceiling for a process to come up (imports and migrations; a loaded 2-core machine is slow).
START_TIMEOUT = 90


def bot_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in (
            "BOT_TOKEN",
            "DATABASE_URL",
            "TELEGRAM_API_URL",
            "LOG_LEVEL",
            "MODE",
            "PUBLIC_URL",
            "WEB_HOST",
            "WEB_PORT",
            "WEBHOOK_SECRET",
            "REDIS_URL",
            "LEASE_SECONDS",
        )
    }
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'db' / 'kpi.db'}"
    env.update(overrides)
    return env


async def spawn(
    tmp_path: Path, *args: str, output: int = asyncio.subprocess.PIPE, **env: str
) -> asyncio.subprocess.Process:
    """`python -m bot` in tmp_path; no .env there: only the environment counts."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=bot_env(tmp_path, **env) | {"PYTHONPATH": str(PROJECT_ROOT)},
        stdout=output,
        stderr=output,
    )


async def start_bot(
    tg: FakeTelegram,
    tmp_path: Path,
    db_url: str,
    output: int = asyncio.subprocess.DEVNULL,
    **env: str,
) -> asyncio.subprocess.Process:
    """The bot against the fake Bot API, on the database at `db_url`, run in tmp_path."""
    return await spawn(
        tmp_path,
        output=output,
        BOT_TOKEN=tg.token,
        TELEGRAM_API_URL=tg.base_url,
        DATABASE_URL=db_url,
        **env,
    )


async def run_module(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    process = await spawn(tmp_path, *args, **env)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_missing_token_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    code, out, err = await run_module(tmp_path)
    assert code == 2
    assert err.strip().splitlines() == [
        "error: BOT_TOKEN is not set (put it in .env or the environment; see .env.example)"
    ]
    assert out == ""


async def test_malformed_token_is_refused_without_echoing_it(tmp_path: Path) -> None:
    secret = "12345:not-a-real-token-SECRETVALUE"
    code, _out, err = await run_module(tmp_path, BOT_TOKEN=secret)
    assert code == 2
    assert "BOT_TOKEN is malformed" in err
    assert "SECRETVALUE" not in err and len(err.strip().splitlines()) == 1


async def test_migrate_only_creates_the_database(tmp_path: Path) -> None:
    code, _out, err = await run_module(tmp_path, "migrate")
    assert code == 0, err
    with sqlite3.connect(tmp_path / "db" / "kpi.db") as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
    assert {"teams", "users", "entries", "alembic_version"} <= tables


async def test_runs_answers_and_stops_cleanly_on_sigterm(
    fake_tg: FakeTelegram, tmp_path: Path, db_url: str
) -> None:
    # Left from webhook mode: polling deletes it first, so getUpdates never meets 409.
    async with fake_tg.make_bot() as bot:
        await bot.set_webhook("http://127.0.0.1:9/telegram/webhook", secret_token="old")
    process = await start_bot(fake_tg, tmp_path, db_url, output=asyncio.subprocess.PIPE)
    try:
        anna = fake_tg.user(1001, "Anna")
        reply = await anna.say("/start", timeout=START_TIMEOUT)
        assert "Hi!" in (reply.plain or "")
        await anna.say("/newteam Sales")
        assert "Recorded: 3 calls" in ((await anna.say("/call 3")).plain or "")
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert fake_tg.token.split(":")[1] not in err.decode()
    async with migrated_database(db_url) as db, db.read() as session:
        calls = await session.scalar(select(func.sum(Entry.count)))
    assert calls == 3
    methods = [request.method for request in fake_tg.requests]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert fake_tg.webhook is None
    assert not [r for r in fake_tg.requests if r.method == "getUpdates" and r.status == 409]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def http_get(url: str) -> int:
    try:
        async with ClientSession() as session, session.get(url) as response:
            return response.status
    except ClientError:
        return 0


async def test_webhook_mode_set_webhook_then_answers_posted_updates(
    fake_tg: FakeTelegram, tmp_path: Path, db_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "BOT_TOKEN": fake_tg.token,
        "TELEGRAM_API_URL": fake_tg.base_url,
        "DATABASE_URL": db_url,
        "MODE": "webhook",
        "PUBLIC_URL": base,
        "WEB_PORT": str(port),
        "WEBHOOK_SECRET": "process-secret_1",
    }
    code, _out, err = await run_module(tmp_path, "set-webhook", **env)
    assert code == 0, err
    assert fake_tg.webhook is not None
    assert fake_tg.webhook["url"] == base + "/telegram/webhook"
    assert fake_tg.webhook["secret_token"] == "process-secret_1"
    assert "my_chat_member" in fake_tg.allowed_updates
    process = await spawn(tmp_path, **env)
    try:
        for _ in range(START_TIMEOUT * 10):
            if await http_get(base + "/readyz") == 200:
                break
            await asyncio.sleep(0.1)
        assert await http_get(base + "/healthz") == 200
        anna = fake_tg.user(1001, "Anna")
        assert "Hi!" in ((await anna.say("/start")).plain or "")
        assert "is created" in ((await anna.say("/newteam Sales")).plain or "")
        assert "Recorded: 2 calls" in ((await anna.say("/call 2")).plain or "")
        await fake_tg.wait_until_consumed()
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err_bytes = await asyncio.wait_for(process.communicate(), 30)
    log = err_bytes.decode()
    assert process.returncode == 0, log
    assert "set-webhook" not in log  # the webhook matched: no warning
    assert not any(r.method == "getUpdates" for r in fake_tg.requests)
    assert {post.status for post in fake_tg.webhook_posts} == {200}
    assert await http_get(base + "/healthz") == 0  # nothing listens any more


async def test_polling_mode_with_a_public_url_serves_http_beside_polling(
    fake_tg: FakeTelegram, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "BOT_TOKEN": fake_tg.token,
        "TELEGRAM_API_URL": fake_tg.base_url,
        "PUBLIC_URL": "https://bot.example.com",
        "WEB_PORT": str(port),
    }
    process = await spawn(tmp_path, **env)
    try:
        for _ in range(START_TIMEOUT * 10):
            if await http_get(base + "/readyz") == 200:
                break
            await asyncio.sleep(0.1)
        assert await http_get(base + "/readyz") == 200
        assert await http_get(base + "/healthz") == 200
        anna = fake_tg.user(1001, "Anna")
        assert "Hi!" in ((await anna.say("/start")).plain or "")
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err_bytes = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err_bytes.decode()
    assert any(r.method == "getUpdates" for r in fake_tg.requests)
    assert await http_get(base + "/healthz") == 0


async def test_webhook_mode_without_its_settings_is_one_clear_line(tmp_path: Path) -> None:
    token = "123456789:" + "A" * 35
    code, _out, err = await run_module(tmp_path, BOT_TOKEN=token, MODE="webhook")
    assert code == 2
    assert err.strip().splitlines() == ["error: MODE=webhook needs PUBLIC_URL and WEBHOOK_SECRET"]
    code, _out, err = await run_module(
        tmp_path,
        BOT_TOKEN=token,
        MODE="webhook",
        PUBLIC_URL="https://bot.example.com",
        WEBHOOK_SECRET="not allowed!",
    )
    assert code == 2
    assert "WEBHOOK_SECRET is invalid" in err and "not allowed!" not in err
