"""The outbox's rate limiter on a hand-driven clock."""

from bot.sender import Limits, RateLimiter


def test_global_window_per_chat_spacing_group_minute_and_pause() -> None:
    limiter = RateLimiter(Limits(per_second=3, private_interval=1.0, group_per_minute=2))
    for chat in (1, 2, 3):
        assert limiter.wait(chat, 0.0) == 0
        limiter.record(chat, 0.0)
    assert limiter.wait(4, 0.5) == 0.5  # three in the last second: the fourth waits
    assert limiter.wait(1, 1.0) == 0  # a private chat again after a second
    assert limiter.wait(1, 0.9) > 0

    limiter.record(-100, 2.0)
    limiter.record(-100, 3.0)
    assert limiter.wait(-100, 30.0) == 32.0  # a group's third message in a minute
    assert limiter.wait(-100, 62.0) == 0

    limiter.pause(5.0, 70.0)  # a 429 stops everything for retry_after
    assert limiter.wait(7, 71.0) == 4.0
    assert limiter.wait(7, 75.0) == 0
