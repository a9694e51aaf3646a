"""A reminder from the scheduler's job to the person's chat, through the outbox, in Russian."""

from datetime import UTC, datetime, timedelta

from models.base import Clock
from scheduler.jobs import run_reminders
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import set_up_team


async def test_russian_reminder_arrives_once_at_18_moscow(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 11, 18, 9, 0, tzinfo=UTC))
    olga = kpi.tg.user(2001, "Ольга", username="olga", language_code="ru")
    ivan = kpi.tg.user(2002, "Иван", username="ivan", language_code="ru")
    await set_up_team(kpi, olga, ivan, "Продажи")
    await olga.say("/target звонки 150")
    await olga.say("/remind off")
    await ivan.say("/call 21")

    frozen_clock.freeze(datetime(2026, 11, 18, 15, 0, tzinfo=UTC))  # 18:00 in Moscow
    assert await run_reminders(kpi.db, "test", timedelta(minutes=3), kpi.outbox.wake) == 1
    reminder = await kpi.tg.wait_for(lambda m: m.chat_id == ivan.id, timeout=10)
    # 150 * 12/20 = 90 due by tonight, 69 behind; (150 - 21) / 9 days left = 14.3 -> 15 a day.
    assert reminder.plain == (
        "⏰ Сегодня пока: 21 звонок\n"
        "Отставание от темпа:\n"
        "• Звонки: отставание 69 от плана на сегодня (90). Нужно 15 звонков в день, "
        "осталось 9 рабочих дней (цель: 150 на месяц)\n"
        "/call · /meeting · /lead · /deal 15000 · /today"
    )
    assert await run_reminders(kpi.db, "test", timedelta(minutes=3), kpi.outbox.wake) == 0
    await kpi.tg.expect_silence(ivan.id, 1.0)
    await kpi.tg.expect_silence(olga.id, 0.1)
