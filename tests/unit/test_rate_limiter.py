"""The outbox's rate limiter on a hand-driven clock."""

from bot.sender import Limits, RateLimiter


def test_global_window_per_chat_spacing_group_minute_and_pause() -> None:
    limiter = RateLimiter(Limits(per_second=3, private_interval=1.0, group_per_minute=2))
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

    limiter.pause(7, 5.0, 70.0)  # a 429 for chat 7 stops it for retry_after
    assert limiter.wait(7, 71.0) == 4.0
    assert limiter.wait(8, 71.0) == 0
    assert limiter.wait(7, 75.0) == 0
