"""Fixtures shared by every test package."""

from collections.abc import AsyncIterator, Iterator

import pytest

from models.base import Clock, clock
from tests.fake_telegram import FakeTelegram


@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegram]:
    """A started fake Bot API server on 127.0.0.1; stopped after the test."""
    async with FakeTelegram() as tg:
        yield tg


@pytest.fixture
def frozen_clock() -> Iterator[Clock]:
    """The application clock, frozen by the test (`frozen_clock.freeze(instant)`)."""
    yield clock
    clock.unfreeze()
