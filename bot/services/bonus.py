"""The bonus calculator: a team's scheme (with the month it applies from) and what it pays.

How a scheme pays, for one person and one month (all exact, `Fraction` kopecks):

- the plan is the person's revenue target for the month, shrunk by vacations and the days
  before they joined, exactly as /month counts it;
- below the threshold (a share of the plan's revenue) nothing is paid, the per-deal base
  included; at the threshold exactly it is paid;
- the base: an amount per deal of the month (repeat sales count too);
- the % of revenue: each rate applies to the part of the revenue between its tier's start
  (a share of the plan) and the next tier's start, the first tier from the first ruble
  ("5 % up to the plan, 8 % above it": 5 % of the first 100 % of the plan, 8 % of the rest);
- the cap bounds the month's total (base and % together);
- a threshold or a tier above the first needs a plan: without a revenue target for the
  month (or a plan of 0) such a scheme pays nothing, and says why;
- the total is rounded once, to the kopeck, half up (`bot.domain.round_half_up`).

A new scheme applies from the 1st of the next month, so the month under way keeps the rules it
began with; a team's first scheme applies from the 1st of the current month. Past months keep
theirs: each scheme is a row with the month it starts.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import select

from bot.domain import ParseError, ParseErrorCode, Totals, round_half_up
from bot.services.parsing import parse_amount
from bot.services.periods import DateRange, Period, period_range
from bot.services.standing import Standing, standing_of, standing_queries
from models import BonusScheme, Metric, Person, TeamInfo, UnitOfWork
from models.bonus_scheme import scheme_starting, schemes_query, team_schemes
from models.entry import kind_totals_query, team_kind_totals_query
from models.team import lock_teams
from models.user import PERSON_COLUMNS, User, person, team_members

BASIS = 10_000  # rates are kept in hundredths of a per cent
MAX_RATE_PERCENT = 100
MAX_PLAN_PERCENT = 1000  # a threshold or tier start, as a share of the plan
MAX_TIERS = 5  # besides the first rate

_PERCENT_RE = re.compile(r"([0-9]{1,7})(?:[.,]([0-9]+))?\s*%?")
_NEGATIVE_RE = re.compile(r"\s*[-−–]\s*[0-9]")


@dataclass(frozen=True, slots=True)
class Tier:
    from_percent: int  # of the plan, where this rate starts (the first tier: 0)
    rate: int  # hundredths of a per cent of revenue


@dataclass(frozen=True, slots=True)
class BonusRules:
    per_deal_kopecks: int = 0
    tiers: tuple[Tier, ...] = ()  # none: no % of revenue
    threshold_percent: int = 0  # 0: from the first ruble
    cap_kopecks: int | None = None

    @property
    def needs_plan(self) -> bool:
        return self.threshold_percent > 0 or len(self.tiers) > 1

    @property
    def pays_anything(self) -> bool:
        return self.per_deal_kopecks > 0 or any(tier.rate for tier in self.tiers)


def tiers_of(text: str) -> tuple[Tier, ...]:
    """Tiers as `tiers_text` wrote them."""
    pairs = (pair.split(":") for pair in text.split())
    return tuple(Tier(int(start), int(rate)) for start, rate in pairs)


def rules_of(row: BonusScheme) -> BonusRules:
    return BonusRules(
        row.per_deal_kopecks, tiers_of(row.tiers), row.threshold_percent, row.cap_kopecks
    )


def tiers_text(tiers: Sequence[Tier]) -> str:
    """The tiers as the `bonus_schemes.tiers` column keeps them."""
    return " ".join(f"{tier.from_percent}:{tier.rate}" for tier in tiers)


# --- the arithmetic ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierPart:
    tier: Tier
    revenue: Fraction  # the part of the revenue paid at this rate (kopecks)
    amount: Fraction  # kopecks


@dataclass(frozen=True, slots=True)
class Payout:
    """What a scheme pays one person for one month, every step exact, the total rounded."""

    deals: int
    revenue: Fraction  # kopecks (a "what if" deal of average size may bring a fraction)
    plan: Fraction | None  # the month's revenue target, days off applied; None: no target
    threshold: Fraction | None  # the revenue from which anything is paid; None: no threshold
    missing_plan: bool  # the scheme needs a plan this person has not got
    below_threshold: bool
    base: Fraction  # per-deal part
    parts: tuple[TierPart, ...]  # the % of revenue, tier by tier
    before_cap: Fraction
    capped: bool
    kopecks: int  # the payout: rounded once, half up, to the kopeck

    @property
    def commission(self) -> Fraction:
        return sum((part.amount for part in self.parts), Fraction(0))


def payout(rules: BonusRules, deals: int, revenue: Fraction | int, plan: Fraction | None) -> Payout:
    revenue = Fraction(revenue)
    missing_plan = rules.needs_plan and not plan
    threshold = None
    if plan and rules.threshold_percent:
        threshold = plan * rules.threshold_percent / 100
    below = threshold is not None and revenue < threshold
    if missing_plan or below:
        nothing = Fraction(0)
        return Payout(
            deals, revenue, plan, threshold, missing_plan, below, nothing, (), nothing, False, 0
        )
    base = Fraction(deals * rules.per_deal_kopecks)
    parts = []
    starts = [(plan or 0) * tier.from_percent / 100 for tier in rules.tiers]
    for index, tier in enumerate(rules.tiers):
        low = Fraction(starts[index])
        high = starts[index + 1] if index + 1 < len(starts) else revenue
        part = max(min(revenue, Fraction(high)) - low, Fraction(0))
        parts.append(TierPart(tier, part, part * tier.rate / BASIS))
    before_cap = base + sum((part.amount for part in parts), Fraction(0))
    capped = rules.cap_kopecks is not None and before_cap > rules.cap_kopecks
    total = Fraction(rules.cap_kopecks or 0) if capped else before_cap
    return Payout(
        deals,
        revenue,
        plan,
        threshold,
        False,
        False,
        base,
        tuple(parts),
        before_cap,
        capped,
        round_half_up(total),
    )


@dataclass(frozen=True, slots=True)
class WhatIf:
    average_deal: Fraction  # kopecks
    extra_kopecks: int  # what one more deal of that size adds to the (rounded) payout


def what_if(rules: BonusRules, now: Payout) -> WhatIf | None:
    """One more deal of the person's average size this month; None before their first deal."""
    if not now.deals:
        return None
    average = now.revenue / now.deals
    then = payout(rules, now.deals + 1, now.revenue + average, now.plan)
    return WhatIf(average, then.kopecks - now.kopecks)


# --- which scheme, from when ------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def in_force(schemes: Sequence[BonusScheme], month: date) -> BonusScheme | None:
    """The scheme of the month starting `month` (schemes oldest first)."""
    found = None
    for scheme in schemes:
        if scheme.starts_on <= month:
            found = scheme
    return found


@dataclass(frozen=True, slots=True)
class SchemeView:
    current: BonusRules | None  # this month's; None: no scheme yet
    next: BonusRules | None  # from the 1st of next month, when it differs from `current`
    next_from: date


def scheme_view(schemes: Sequence[BonusScheme], today: date) -> SchemeView:
    this, following = month_start(today), next_month(today)
    current = in_force(schemes, this)
    upcoming = in_force(schemes, following)
    current_rules = rules_of(current) if current else None
    next_rules = rules_of(upcoming) if upcoming is not None and upcoming is not current else None
    return SchemeView(current_rules, next_rules, following)


def change_starts(schemes: Sequence[BonusScheme], today: date) -> date:
    """The 1st of next month; this month's 1st while the team has had no scheme."""
    if in_force(schemes, month_start(today)) is None:
        return month_start(today)
    return next_month(today)


async def next_change_starts(session: UnitOfWork, team_id: int, today: date) -> date:
    """The 1st of the month a change made today would apply from."""
    return change_starts(await team_schemes(session, team_id, next_month(today)), today)


async def save_scheme(
    session: UnitOfWork, team_id: int, actor_id: int, rules: BonusRules, today: date
) -> date:
    """Store `rules` from the month `change_starts` names (one scheme a month: a second change
    before it starts replaces the first); returns that month's 1st. One change per team at a
    time (its row is locked; the unique (team, month) key backs it)."""
    await lock_teams(session, team_id)
    starts = await next_change_starts(session, team_id, today)
    row = await scheme_starting(session, team_id, starts)
    if row is None:
        row = BonusScheme(team_id=team_id, starts_on=starts, created_by_id=actor_id)
        session.add(row)
    row.per_deal_kopecks = rules.per_deal_kopecks
    row.tiers = tiers_text(rules.tiers)
    row.threshold_percent = rules.threshold_percent
    row.cap_kopecks = rules.cap_kopecks
    row.created_by_id = actor_id
    await session.flush()
    return starts


# --- what people type in the dialog -----------------------------------------------------------


def _refuse_negative(text: str) -> None:
    if _NEGATIVE_RE.match(text):
        raise ParseError(ParseErrorCode.BONUS_NEGATIVE, value=text.strip()[:32])


def parse_money(text: str) -> int:
    """An amount in rubles as /deal takes it (`500`, `1 500,50`, `15k`), in kopecks."""
    _refuse_negative(text)
    try:
        kopecks, rest = parse_amount(text)
    except ParseError as error:
        if error.code is ParseErrorCode.AMOUNT_INVALID:
            raise ParseError(ParseErrorCode.BONUS_NUMBER, value=text.strip()[:32]) from None
        raise
    if rest.strip():
        raise ParseError(ParseErrorCode.BONUS_NUMBER, value=text.strip()[:32])
    return kopecks


def parse_cap(text: str) -> int:
    _refuse_negative(text)
    if text.strip().strip("₽").strip() in ("0", "0,00", "0.00"):
        raise ParseError(ParseErrorCode.BONUS_CAP_ZERO)
    return parse_money(text)


def _percent(text: str, *, places: int, most: int) -> int:
    """A per cent in hundredths (places=2) or whole (places=0), at most `most` per cent."""
    _refuse_negative(text)
    word = text.strip()
    match = _PERCENT_RE.fullmatch(word)
    if match is None:
        raise ParseError(ParseErrorCode.BONUS_NUMBER, value=word[:32])
    fraction = (match[2] or "").rstrip("0")
    if len(fraction) > places:
        raise ParseError(ParseErrorCode.BONUS_PERCENT_PRECISION, value=word[:32])
    value = int(match[1]) * 10**places + int(fraction.ljust(places, "0") or 0)
    if value > most * 10**places:
        raise ParseError(ParseErrorCode.BONUS_PERCENT_RANGE, value=word[:32], max=most)
    return value


def parse_rate(text: str) -> int:
    """A % of revenue, up to two decimals (`5`, `2,5`, `7.25%`), in hundredths of a per cent."""
    return _percent(text, places=2, most=MAX_RATE_PERCENT)


def parse_threshold(text: str) -> int:
    """A whole per cent of the plan, 1 to 1000 (0 is "no threshold", its own button)."""
    value = _percent(text, places=0, most=MAX_PLAN_PERCENT)
    if value == 0:
        raise ParseError(ParseErrorCode.BONUS_PERCENT_RANGE, value=text.strip()[:32], max=1000)
    return value


def parse_tiers(text: str, first_rate: int) -> tuple[Tier, ...]:
    """Accelerators after the first rate: `<from % of the plan> <rate %>`, several separated by
    commas or semicolons (`100 8; 120 10`), each starting above the one before."""
    tiers = [Tier(0, first_rate)]
    for chunk in re.split(r"[;\n]|,\s", text.strip()):
        words = chunk.replace("%", " ").split()
        if not words:
            continue
        if len(words) != 2:
            raise ParseError(ParseErrorCode.BONUS_TIER_SHAPE, value=chunk.strip()[:32])
        start = _percent(words[0], places=0, most=MAX_PLAN_PERCENT)
        rate = parse_rate(words[1])
        if start <= tiers[-1].from_percent:
            raise ParseError(ParseErrorCode.BONUS_TIER_ORDER, value=chunk.strip()[:32])
        tiers.append(Tier(start, rate))
    if len(tiers) == 1:
        raise ParseError(ParseErrorCode.BONUS_TIER_SHAPE, value=text.strip()[:32])
    if len(tiers) > MAX_TIERS + 1:
        raise ParseError(ParseErrorCode.BONUS_TIERS_MANY, max=MAX_TIERS)
    return tuple(tiers)


# --- /bonus -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonBonus:
    person: Person
    payout: Payout
    what_if: WhatIf | None


@dataclass(frozen=True, slots=True)
class BonusReport:
    dates: DateRange
    scheme: SchemeView
    own: PersonBonus | None  # the viewer's (None: no scheme this month)
    team: list[PersonBonus]  # a manager's whole team, the viewer included; else empty


def person_bonus(
    rules: BonusRules, standing: Standing, person: Person, totals: Totals
) -> PersonBonus:
    plan = standing.target(person, Metric.REVENUE)
    now = payout(rules, totals.deals, totals.revenue_kopecks, plan)
    return PersonBonus(person, now, what_if(rules, now))


async def bonus_report(
    session: UnitOfWork, viewer: Person, team: TeamInfo, today: date
) -> BonusReport:
    """The viewer's bonus if the month ended today, and for a manager everyone's (the people
    who left this month with entries in it included)."""
    dates = period_range(Period.MONTH, today)
    # One trip for the reads that do not depend on one another.
    user_id = None if viewer.is_manager else viewer.id
    schemes_read = schemes_query(team.id, next_month(today))
    targets_read, vacations_read = standing_queries(team, dates, user_id)
    own_read = kind_totals_query(
        team_id=team.id, user_id=viewer.id, start=dates.start, end=dates.end
    )
    team_read = team_kind_totals_query(team_id=team.id, start=dates.start, end=dates.end)
    totals_call = team_read if viewer.is_manager else own_read
    results = await session.run_many(
        (schemes_read.statement, schemes_read.params),
        (targets_read.statement, targets_read.params),
        (vacations_read.statement, vacations_read.params),
        (totals_call.statement, totals_call.params),
    )
    scheme = scheme_view(schemes_read.convert(results[0]), today)
    if scheme.current is None:
        return BonusReport(dates, scheme, None, [])
    targets, vacations = targets_read.convert(results[1]), vacations_read.convert(results[2])
    standing = standing_of(team, dates, targets, vacations)
    if not viewer.is_manager:
        totals = Totals()
        for row in own_read.convert(results[3]):
            totals.add(row)
        own_bonus = person_bonus(scheme.current, standing, viewer, totals)
        return BonusReport(dates, scheme, own_bonus, [])
    team_totals: dict[int, Totals] = {}
    for found in team_read.convert(results[3]):
        team_totals.setdefault(found.user_id, Totals()).add(found.total)
    people = await month_people(session, team, team_totals)
    rows_of_team = [
        person_bonus(scheme.current, standing, person, team_totals.get(person.id, Totals()))
        for person in people
    ]
    own = next((row for row in rows_of_team if row.person.id == viewer.id), None)
    return BonusReport(dates, scheme, own, rows_of_team)


async def month_people(
    session: UnitOfWork, team: TeamInfo, totals: dict[int, Totals]
) -> list[Person]:
    """The current members, and whoever left with entries among `totals`, by name."""
    people = await team_members(session, team.id)
    members = {member.id for member in people}
    gone = [user_id for user_id in totals if user_id not in members]
    if gone:
        rows = await session.execute(select(*PERSON_COLUMNS).where(User.id.in_(gone)))
        people += [person(tuple(row)) for row in rows]
    return sorted(people, key=lambda found: (found.first_name.casefold(), found.id))
