"""The background loops' sleep and stop (bot/wakeup.py)."""

import asyncio

import pytest

from bot.wakeup import cancelled, woken


async def test_woken_says_whether_the_event_came_or_the_time_ran_out() -> None:
    event = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await woken(event, 5) is True
    event.clear()
    assert await woken(event, 0.01) is False


async def test_a_loop_cancelled_as_it_is_woken_ends() -> None:
    event = asyncio.Event()
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while True:
            rounds += 1
            event.clear()
            await woken(event, 0.05)

    task = asyncio.create_task(loop())
    await asyncio.sleep(0.01)
    event.set()  # in the same step as the cancellation: asyncio.wait_for would swallow it
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=1)
    assert done == {task} and task.cancelled()
    assert rounds == 1


async def test_stopping_a_loop_keeps_the_stoppers_own_cancellation() -> None:
    async def forever() -> None:
        await asyncio.Event().wait()

    async def stopper(loop: asyncio.Task[None]) -> str:
        await cancelled(loop)
        return "went on"

    loop = asyncio.create_task(forever())
    await asyncio.sleep(0)
    stopping = asyncio.create_task(stopper(loop))
    await asyncio.sleep(0)
    stopping.cancel()  # while it waits for the loop to end
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert loop.cancelled()


async def test_stopping_a_loop_reports_its_failure() -> None:
    async def failing() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("broken")

    loop = asyncio.create_task(failing())
    await asyncio.sleep(0.01)
    with pytest.raises(RuntimeError, match="broken"):
        await cancelled(loop)
