"""The outbox's rate limiter on a hand-driven clock, and its pacing at the request."""

import asyncio
import itertools

from bot.sender import Limits, RateLimiter


def test_global_window_per_chat_spacing_group_minute_and_pause() -> None:
    limiter = RateLimiter(Limits(per_second=3, chat_interval=1.0, group_per_minute=2))
    for chat, moment in ((1, 0.0), (2, 0.34), (3, 0.68)):
        assert limiter.wait(chat, moment) == 0
        limiter.record(chat, moment)
    # Three in the last second (free at 1.0) and spacing (free at 1.013): the later wins.
    assert round(limiter.wait(4, 0.9), 2) == 0.11
    assert round(limiter.wait(5, 0.7), 2) == 0.31  # and sends are spaced 1/3 s apart
    assert limiter.wait(1, 1.02) == 0  # a private chat again after a second
    assert limiter.wait(1, 0.9) > 0

    limiter.record(-100, 2.0)
    limiter.record(-100, 3.0)
    assert limiter.wait(-100, 3.1) > 0
    assert limiter.wait(-100, 30.0) == 32.0  # a group's third message in a minute
    assert limiter.wait(-100, 62.0) == 0

    limiter.record(-200, 65.0)
    assert round(limiter.wait(-200, 65.5), 2) == 0.5  # a group too: a second apart

    limiter.pause(7, 5.0, 70.0)  # a 429 for chat 7 stops it for retry_after
    assert limiter.wait(7, 71.0) == 4.0
    assert limiter.wait(8, 71.0) == 0
    assert limiter.wait(7, 75.0) == 0


async def test_sends_held_up_after_their_turn_still_go_evenly_spaced() -> None:
    """Five messages take their turns 1/50 s apart, then a database write holds them all up;
    their requests still leave 1/50 s apart instead of together, and each chat's interval
    counts from its request."""
    limiter = RateLimiter(Limits(per_second=50, chat_interval=1.0, group_per_minute=20))
    loop = asyncio.get_running_loop()
    chats = [1, 2, 3, 4, -100]
    for chat in chats:
        await limiter.acquire(chat)
    await asyncio.sleep(0.1)  # the held-up write

    sent: list[float] = []

    async def request(chat: int) -> None:
        await limiter.pace(chat)
        sent.append(loop.time())

    await asyncio.gather(*(request(chat) for chat in chats))
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert min(gaps) >= 0.02 - 0.001, gaps
    # The group's last request was the fifth one: its next turn is a second after that.
    assert limiter.wait(-100, sent[-1] + 0.5) > 0.45
