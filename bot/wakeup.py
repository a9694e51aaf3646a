"""Background loops that sleep until woken or until their next look is due."""

import asyncio


async def woken(event: asyncio.Event, within: float) -> bool:
    """Wait until `event` is set (True) or `within` seconds pass (False).

    Not `asyncio.wait_for(event.wait(), timeout)`: on Python 3.11 that swallows a cancellation
    which arrives as the event is set (a stop right after a wake-up), and the loop runs on for
    ever while its stop() waits for it. `asyncio.timeout` keeps the cancellation.
    """
    try:
        async with asyncio.timeout(within):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def cancelled(task: asyncio.Task[None]) -> None:
    """Cancel a background loop and wait until it has ended. Its own error (other than the
    cancellation) is raised; a cancellation of the caller is not swallowed with the task's."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
