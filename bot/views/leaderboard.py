"""/leaderboard: everyone ranked by one metric, with % of target and the team total."""

from bot.domain import ConversionGap, Totals
from bot.services.leaderboard import Leaderboard, Ranked
from bot.services.periods import Period
from bot.texts import Safe, Translator
from bot.views.common import ALL_FIGURES, Figure, kpi_parts, metric_quantity
from bot.views.paging import split_message
from models import Metric

MEDALS = ("🥇", "🥈", "🥉")

# The figures each board shows beside its metric (None: the default board, deals and revenue).
FIGURES: dict[Metric | None, frozenset[Figure]] = {
    None: ALL_FIGURES,
    Metric.DEALS: ALL_FIGURES,
    Metric.REVENUE: frozenset({Figure.AVERAGE, Figure.REPEAT}),
    Metric.LEADS: frozenset({Figure.CONVERSION}),
    Metric.CALLS: frozenset(),
    Metric.MEETINGS: frozenset(),
}


def _value(t: Translator, board: Leaderboard, totals: Totals) -> str:
    metric = board.query.metric
    if metric is None:  # the default ranking: deals, then revenue
        return metric_quantity(t, Metric.DEALS, totals.deals) + t(
            "total.revenue", amount=t.money(totals.revenue_kopecks)
        )
    return metric_quantity(t, metric, totals.value(metric))


def _row(t: Translator, board: Leaderboard, place: int, row: Ranked) -> str:
    marker = MEDALS[place] if place < len(MEDALS) and row.value > 0 else f"{place + 1}."
    extras = []
    if row.target:
        extras.append(t("lb.of_target", percent=Safe(t.percent(row.value, row.target, 0))))
    extras += kpi_parts(t, row.totals, FIGURES[board.query.metric])
    text = _value(t, board, row.totals)
    if extras:
        text = " · ".join([text, *extras])
    return t("lb.row", place=marker, name=row.user.first_name, value=Safe(text))


def leaderboard(t: Translator, board: Leaderboard) -> list[str]:
    """The ranking, in as many messages as a big team's needs: read top down, it goes on in
    the next message (a query with its #tag would not fit a page button's 64 bytes)."""
    metric = board.query.metric
    title_metric = t(f"metric.{metric.value}") if metric else t("lb.default_metric")
    if board.query.period is Period.DAY:
        when = t.day(board.dates.start)
    elif board.query.period is Period.WEEK:
        when = t("vacation.range", start=t.day(board.dates.start), end=t.day(board.dates.end))
    else:
        when = t.month(board.dates.start)
    title = t("lb.title", metric=title_metric, period=when)
    if board.query.tag:
        title += f" · #{board.query.tag}"
    lines = [title, ""]
    lines += [_row(t, board, place, row) for place, row in enumerate(board.rows)]
    figures = FIGURES[metric]
    total = " · ".join([_value(t, board, board.total), *kpi_parts(t, board.total, figures)])
    lines += ["", t("lb.total", value=Safe(total))]
    gaps = [row.totals for row in board.rows] + [board.total]
    if Figure.CONVERSION in figures and any(
        isinstance(totals.conversion, ConversionGap) for totals in gaps
    ):
        lines.append(t("lb.no_conversion"))
    return split_message(lines)
