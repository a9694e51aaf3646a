"""kill -9 in the middle of delivering the outbox, then a restart: nothing lost, nothing twice."""

import asyncio
import signal
import sqlite3
from pathlib import Path

from bot.db import migrate
from tests.e2e.test_process import start_bot
from tests.fake_telegram import FakeTelegram

CHATS = 40


async def seed_outbox(db: Path) -> None:
    await migrate(f"sqlite+aiosqlite:///{db}")
    with sqlite3.connect(db) as connection:
        connection.executemany(
            "insert into outbox (dedup_key, chat_id, text, status, not_before, attempts,"
            " created_at) values (?, ?, ?, 'pending', '2000-01-01 00:00:00', 0,"
            " '2000-01-01 00:00:00')",
            [(f"k{i}", 5000 + i, f"note {i}") for i in range(CHATS)],
        )


async def test_kill_9_while_sending_then_restart(fake_tg: FakeTelegram, tmp_path: Path) -> None:
    db = tmp_path / "db" / "kpi.db"
    db.parent.mkdir(parents=True)
    await seed_outbox(db)
    for i in range(CHATS):
        fake_tg.user(5000 + i, f"U{i}")
    process = await start_bot(fake_tg, tmp_path)
    # Kill as soon as a handful went out: the rest are pending or in flight.
    for _ in range(5):
        await fake_tg.wait_for(lambda m: (m.text or "").startswith("note "), 30)
    process.send_signal(signal.SIGKILL)
    await process.wait()
    first_run = sum(1 for m in fake_tg.messages if (m.text or "").startswith("note "))
    assert first_run < CHATS

    process = await start_bot(fake_tg, tmp_path)
    try:
        for _ in range(600):
            with sqlite3.connect(db) as connection:
                left = connection.execute(
                    "select count(*) from outbox where status in ('pending', 'sending')"
                ).fetchone()[0]
            if left == 0:
                break
            await asyncio.sleep(0.1)
        assert left == 0
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    texts = [m.text for m in fake_tg.messages if (m.text or "").startswith("note ")]
    assert len(texts) == len(set(texts)), "a message was delivered twice"
    with sqlite3.connect(db) as connection:
        rows = dict(connection.execute("select text, status from outbox").fetchall())
    unconfirmed = [text for text, status in rows.items() if text not in texts]
    # Every message is delivered once, except at most the few that were in flight at the
    # instant of the kill and never reached the server; those are recorded, not repeated.
    assert all(rows[text] == "sent" for text in texts)
    assert len(unconfirmed) <= 1, unconfirmed
