"""Targets: the /target grammar, setting and removing them with history, and which is in force."""

from dataclasses import dataclass
from datetime import date

from bot.domain import ParseError, ParseErrorCode
from bot.services.pace import TargetSpan
from bot.services.parsing import parse_amount
from bot.services.periods import parse_period, period_range
from models import Metric, Period, Target, UnitOfWork
from models.target import last_target_end, open_target
from models.team import lock_teams

MAX_COUNT_TARGET = 100_000
MAX_REVENUE_KOPECKS = 1_000_000_000 * 100

METRIC_WORDS: dict[str, Metric] = {
    **{m.value: m for m in Metric},
    "call": Metric.CALLS,
    "meeting": Metric.MEETINGS,
    "lead": Metric.LEADS,
    "deal": Metric.DEALS,
    "звонки": Metric.CALLS,
    "звонок": Metric.CALLS,
    "встречи": Metric.MEETINGS,
    "встреча": Metric.MEETINGS,
    "лиды": Metric.LEADS,
    "лид": Metric.LEADS,
    "сделки": Metric.DEALS,
    "сделка": Metric.DEALS,
    "выручка": Metric.REVENUE,
}
ALL_WORDS = frozenset({"all", "все", "всем", "team", "команда"})
OFF_WORDS = frozenset({"off", "выкл", "нет", "none"})


@dataclass(frozen=True, slots=True)
class TargetCommand:
    metric: Metric
    value: int | None  # None: remove; revenue in kopecks
    period: Period
    username: str | None  # None: the team default


def parse_metric(word: str) -> Metric:
    metric = METRIC_WORDS.get(word.casefold())
    if metric is None:
        raise ParseError(ParseErrorCode.METRIC_UNKNOWN, value=word[:32])
    return metric


def _parse_value(metric: Metric, text: str) -> int:
    if metric is Metric.REVENUE:
        kopecks, rest = parse_amount(text)
        if rest.strip():
            raise ParseError(ParseErrorCode.TARGET_VALUE, value=text[:32])
        return kopecks
    if not text.isdigit():
        raise ParseError(ParseErrorCode.TARGET_VALUE, value=text[:32])
    value = int(text) if len(text) <= 7 else MAX_COUNT_TARGET + 1
    if not 1 <= value <= MAX_COUNT_TARGET:
        raise ParseError(ParseErrorCode.TARGET_RANGE, value=text[:32], max=MAX_COUNT_TARGET)
    return value


def parse_target_command(args: str | None) -> TargetCommand:
    """`<metric> <value|off> [day|week|month] [@username|all]`; revenue takes /deal amounts."""
    tokens = (args or "").split()
    if len(tokens) < 2:
        raise ParseError(ParseErrorCode.TARGET_USAGE)
    metric = parse_metric(tokens[0])
    period = Period.MONTH
    username: str | None = None
    rest = tokens[1:]
    # Scope and period are read from the end, so a revenue amount may contain spaces.
    while rest:
        word = rest[-1]
        if word.startswith("@") and len(word) > 1:
            username = word[1:]
        elif word.casefold() in ALL_WORDS:
            username = None
        elif (found := parse_period(word)) is not None:
            period = found
        else:
            break
        rest.pop()
    if not rest:
        raise ParseError(ParseErrorCode.TARGET_USAGE)
    value_text = " ".join(rest)
    if value_text.casefold() in OFF_WORDS:
        return TargetCommand(metric, None, period, username)
    return TargetCommand(metric, _parse_value(metric, value_text), period, username)


@dataclass(frozen=True, slots=True)
class TargetChange:
    start: date  # the day the change applies from
    target: Target | None  # the new target; None when removed
    previous: Target | None  # the target it ended, if any


async def set_target(
    session: UnitOfWork,
    team_id: int,
    actor_id: int,
    command: TargetCommand,
    user_id: int | None,
    today: date,
) -> TargetChange:
    """Apply /target (set, change or off). `user_id` None: the team default.

    One rule for all three: the change applies from the first day of the current period (the
    day, week or month of the target set or ended), so the whole period is judged by it; past
    periods keep what they had (never earlier than the last change). One change per team at a
    time (its row is locked)."""
    await lock_teams(session, team_id)
    current = await open_target(session, team_id, user_id, command.metric)
    previous_end = await last_target_end(session, team_id, user_id, command.metric)
    starts = [previous_end or date.min]
    if current is not None:
        starts.append(max(period_range(current.period, today).start, current.valid_from))
    if command.value is not None:
        starts.append(period_range(command.period, today).start)
    start = max(starts)
    if current is not None:
        # Ended before it began (set and changed within one period): an empty span, kept for
        # the record.
        current.valid_to = max(start, current.valid_from)
    if command.value is None:
        await session.flush()
        return TargetChange(start, None, current)
    target = Target(
        team_id=team_id,
        user_id=user_id,
        metric=command.metric,
        period=command.period,
        value=command.value,
        valid_from=start,
        created_by_id=actor_id,
    )
    session.add(target)
    await session.flush()
    return TargetChange(start, target, current)


def _span(target: Target, start: date, end: date | None) -> TargetSpan:
    return TargetSpan(target.value, target.period, start, end)


def person_spans(
    targets: list[Target], user_id: int, metric: Metric, *, team_defaults: bool = True
) -> list[TargetSpan]:
    """The spans in force for one person: personal targets, and the team default elsewhere
    (unless `team_defaults` is False: a manager)."""
    personal = [t for t in targets if t.user_id == user_id and t.metric == metric]
    spans = [_span(t, t.valid_from, t.valid_to) for t in personal]
    covered = sorted((t.valid_from, t.valid_to or date.max) for t in personal)
    defaults = [t for t in targets if t.user_id is None and t.metric == metric]
    for default in defaults if team_defaults else []:
        start, end = default.valid_from, default.valid_to or date.max
        for cover_start, cover_end in covered:
            if cover_end <= start or cover_start >= end:
                continue
            if cover_start > start:
                spans.append(_span(default, start, cover_start))
            start = max(start, cover_end)
            if start >= end:
                break
        if start < end:
            spans.append(_span(default, start, None if end == date.max else end))
    return sorted(
        (s for s in spans if s.valid_to is None or s.valid_to > s.valid_from),
        key=lambda s: s.valid_from,
    )


def in_force(
    targets: list[Target],
    user_id: int | None,
    metric: Metric,
    day: date,
    *,
    team_defaults: bool = True,
) -> Target | None:
    """The row in force on `day` for a person (personal first, then the team default unless
    `team_defaults` is False) or, for `user_id` None, the team default."""
    candidates = [
        t
        for t in targets
        if t.metric == metric and t.valid_from <= day and (t.valid_to is None or t.valid_to > day)
    ]
    personal = [t for t in candidates if user_id is not None and t.user_id == user_id]
    default = [t for t in candidates if t.user_id is None and (team_defaults or user_id is None)]
    chosen = personal or default
    return chosen[-1] if chosen else None
