"""`python -m bot` as a process: configuration errors, start-up, SIGTERM."""

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from sqlalchemy import func, select

from models import Entry
from tests.db import migrated_database
from tests.fake_telegram import FakeTelegram

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def bot_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("BOT_TOKEN", "DATABASE_URL", "TELEGRAM_API_URL", "LOG_LEVEL")
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
    process = await start_bot(fake_tg, tmp_path, db_url, output=asyncio.subprocess.PIPE)
    try:
        anna = fake_tg.user(1001, "Anna")
        reply = await anna.say("/start", timeout=30)
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
