"""The Monday caption names who is behind on what, within Telegram's 1,024 characters."""

from datetime import UTC, date, datetime, time
from fractions import Fraction

import pytest

from bot.domain import Totals
from bot.services.pace import Pace
from bot.services.periods import DateRange
from bot.services.standing import standing_of
from bot.services.weekly import PeriodResults, PersonResult
from bot.texts import translator
from bot.views.charts import team_caption
from bot.views.common import MAX_CAPTION, telegram_length
from models import Metric, Person, Role, TeamInfo

WEEK = DateRange(date(2026, 12, 14), date(2026, 12, 20))
BEHIND = Pace(Fraction(25), 0, Fraction(25), 5, 5, 0)
ON_PACE = Pace(Fraction(25), 30, Fraction(25), 5, 5, 0)


def member(user_id: int, name: str) -> Person:
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    return Person(
        user_id, name, None, None, "en", 1, Role.EMPLOYEE, None, True, True, False, moment,
        moment, date(2026, 12, 1),
    )  # fmt: skip


def results(people: list[PersonResult]) -> PeriodResults:
    team = TeamInfo(
        1, "Продажи «Север» " + "x" * 40, "Europe/Moscow", "RU", 31, time(18), 0, time(9),
        time(22), time(8), False, None, None, datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip
    return PeriodResults(team, WEEK, WEEK.end, standing_of(team, WEEK, [], []), people)


def test_who_is_behind_on_what() -> None:
    people = [
        PersonResult(member(2, "Bob"), Totals(), {}, {Metric.CALLS: BEHIND, Metric.DEALS: BEHIND}),
        PersonResult(
            member(3, "Carl"), Totals(), {}, {Metric.CALLS: ON_PACE, Metric.DEALS: BEHIND}
        ),
        PersonResult(member(4, "Dina"), Totals(), {}, {Metric.CALLS: ON_PACE}),
    ]
    caption = team_caption(translator("en"), results(people)).text
    assert caption.endswith("⚠️ Behind pace: Bob (calls, deals), Carl (deals)")
    russian = team_caption(translator("ru"), results(people)).text
    assert russian.endswith("Bob (звонки, сделки), Carl (сделки)")


@pytest.mark.parametrize("size", [1, 10, 11, 40, 100])
def test_any_team_size_fits_a_caption(size: int) -> None:
    paces = {metric: BEHIND for metric in Metric}
    people = [
        PersonResult(member(10 + i, f"Александра-{i:03d} " + "Ю" * 12), Totals(), {}, paces)
        for i in range(size)
    ]
    for language, more in (("en", "and {} more"), ("ru", "и ещё {}")):
        made = team_caption(translator(language), results(people))
        caption = made.text
        assert telegram_length(caption) <= MAX_CAPTION
        shown = caption.count("Александра-")
        assert 1 <= shown <= size
        if shown < size:  # the rest are counted, never cut silently
            assert caption.endswith(more.format(size - shown))
            # and the whole list follows the picture
            assert sum(m.count("Александра-") for m in made.follow_up) == size
