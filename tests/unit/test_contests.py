"""Contest rules as pure functions: places with ties, when each post is due, typed dates, and
every message within Telegram's limit for a team of any size."""

import dataclasses
from datetime import UTC, date, datetime, time
from fractions import Fraction

import pytest

from bot.services.contests import (
    Contender,
    ContestStanding,
    DatesError,
    DatesProblem,
    Stage,
    due_stages,
    midway_day,
    midway_passed,
    parse_contest_dates,
    ranked,
)
from bot.texts import Translator
from bot.views import contests as views
from bot.views.common import MAX_TEXT
from bot.views.paging import visible_length
from models import Metric, Person, Role, TeamInfo
from models.contest import ContestFacts

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TEAM = TeamInfo(
    1, "Sales", "Europe/Moscow", "RU", 0b11111, time(18), 0, time(9), time(22), time(8),
    True, -100, None, NOW,
)  # fmt: skip


def person(user_id: int, name: str, role: Role = Role.EMPLOYEE) -> Person:
    return Person(
        user_id, name, "Lastname", None, "en", 1, role, None, True, True, False, NOW, NOW, None
    )


def contest(start: date, end: date, **changes: object) -> ContestFacts:
    fields: dict[str, object] = dict(
        id=1, team_id=1, running_team=1, metric=Metric.DEALS, tag=None, by_target=True,
        start=start, end=end, repeat=None, prize="A day off", rules_version=1,
        kickoff_posted=False, midway_posted=False, final_posted=False, created_by_id=1,
        created_at=NOW, cancelled_at=None,
    )  # fmt: skip
    fields.update(changes)
    return ContestFacts(**fields)  # type: ignore[arg-type]


def test_equal_scores_share_a_place_and_the_next_place_is_skipped() -> None:
    people = [person(i, name) for i, name in enumerate(["Bob", "Ann", "Cid", "Dan"], 1)]
    scores = [Fraction(1, 2), Fraction(1), Fraction(1), Fraction(0)]
    places = ranked([(p, 0, None, score) for p, score in zip(people, scores, strict=True)])
    assert [(c.person.first_name, c.place) for c in places] == [
        ("Ann", 1),
        ("Cid", 1),
        ("Bob", 3),
        ("Dan", 4),
    ]


def test_posts_are_due_at_the_report_time_and_a_late_bot_skips_to_the_latest() -> None:
    week = contest(date(2026, 11, 30), date(2026, 12, 6))
    assert midway_day(week) == date(2026, 12, 3)
    assert midway_day(contest(date(2026, 11, 30), date(2026, 12, 1))) is None
    assert due_stages(week, TEAM, datetime(2026, 11, 30, 5, 59, tzinfo=UTC)) == []
    assert due_stages(week, TEAM, datetime(2026, 11, 30, 6, 0, tzinfo=UTC)) == [Stage.KICKOFF]
    late = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert due_stages(week, TEAM, late) == [Stage.KICKOFF, Stage.MIDWAY, Stage.FINAL]
    done = contest(week.start, week.end, kickoff_posted=True, midway_posted=True)
    assert due_stages(done, TEAM, late) == [Stage.FINAL]


def test_without_a_group_only_the_result_is_due() -> None:
    week = contest(date(2026, 11, 30), date(2026, 12, 6))
    alone = dataclasses.replace(TEAM, chat_id=None)
    assert due_stages(week, alone, datetime(2026, 12, 3, 6, 0, tzinfo=UTC)) == []
    late = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert due_stages(week, alone, late) == [Stage.KICKOFF, Stage.MIDWAY, Stage.FINAL]
    assert not midway_passed(week, TEAM, datetime(2026, 12, 3, 5, 59, tzinfo=UTC))
    assert midway_passed(week, TEAM, datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
    assert not midway_passed(contest(week.start, week.start), TEAM, late)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("1.12", DatesProblem.USAGE),
        ("1.12 2.12 3.12", DatesProblem.USAGE),
        ("soon later", DatesProblem.USAGE),
        ("10.12 1.12", DatesProblem.ORDER),
        ("1.11.2026 20.11.2026", DatesProblem.PAST),
        ("1.12.2026 1.4.2027", DatesProblem.TOO_LONG),
        ("1.6.2027 2.6.2027", DatesProblem.TOO_FAR),
    ],
)
def test_typed_dates_are_refused_with_the_reason(typed: str, problem: DatesProblem) -> None:
    with pytest.raises(DatesError) as refused:
        parse_contest_dates(typed, date(2026, 11, 30))
    assert refused.value.problem is problem


def test_typed_dates_with_a_dash_or_a_space() -> None:
    today = date(2026, 11, 30)
    for typed in ("1.12-15.12", "1.12 – 15.12", "01.12.2026 15.12.2026"):
        period = parse_contest_dates(typed, today)
        assert (period.start, period.end) == (date(2026, 12, 1), date(2026, 12, 15))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_message_fits_for_a_team_of_any_size(language: str) -> None:
    t = Translator(language)
    week = contest(date(2026, 11, 30), date(2026, 12, 6), prize="🎁" * 200, tag="x" * 32)
    long_name = "Ж" * 128
    contenders = [
        Contender(person(i, long_name), 10**9, Fraction(10**9 + i), Fraction(1), 1)
        for i in range(1, 1001)
    ]
    unranked = [person(2000 + i, long_name) for i in range(1000)]
    standing = ContestStanding(week, date(2026, 12, 7), contenders, unranked)
    messages = [
        *views.standing_messages(t, standing),
        *views.midway_messages(t, standing, public=True),
        *views.final_messages(t, standing, public=True),
        *views.final_messages(t, standing, public=False),
        *views.kickoff_messages(t, week),
        *views.late_kickoff_messages(t, standing, public=True),
        *views.late_kickoff_messages(t, standing, public=False),
        *views.own_standing_messages(t, standing, contenders[-1].person),
        *views.own_standing_messages(t, standing, unranked[0]),
        views.changed_message(t, week),
        views.cancelled_message(t, week),
    ]
    assert all(visible_length(text) <= MAX_TEXT for text in messages)
    final = views.final_messages(t, standing, public=True)
    assert len(final) > 1
    assert ("…and 980 more" if language == "en" else "…и ещё 980") in final[0]


def test_the_russian_result_names_the_winners_with_their_share_of_target() -> None:
    t = Translator("ru")
    week = contest(date(2026, 11, 30), date(2026, 12, 6), repeat=None)
    olga, ivan = person(1, "Ольга"), person(2, "Иван")
    standing = ContestStanding(
        week,
        date(2026, 12, 7),
        ranked([(olga, 3, Fraction(3), Fraction(1)), (ivan, 2, Fraction(4), Fraction(1, 2))]),
        [],
    )
    assert views.final_messages(t, standing, public=True) == [
        "🏆 <b>Конкурс окончен: сделки, 30 ноября – 6 декабря</b>\n"
        "🥇 Победитель: Ольга L.!\n"
        "🎁 Приз: A day off\n"
        "\n"
        "🥇 Ольга L. — 100% (3 сделки из 3)\n"
        "🥈 Иван L. — 50% (2 сделки из 4)"
    ]


def test_someone_unranked_is_told_so_in_the_private_view() -> None:
    t = Translator("en")
    week = contest(date(2026, 11, 30), date(2026, 12, 6))
    olga, ivan = person(1, "Olga"), person(2, "Ivan")
    standing = ContestStanding(
        week, date(2026, 12, 2), ranked([(olga, 3, Fraction(3), Fraction(1))]), [ivan]
    )
    [text] = views.own_standing_messages(t, standing, ivan)
    assert text.endswith(
        "⏳ 5 days left.\n\n🔒 The team's figures are private; yours:\n"
        "You have no place in it (no target for it, or nothing logged yet)."
    )
    assert "Olga" not in text
