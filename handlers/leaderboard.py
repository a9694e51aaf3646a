"""/leaderboard (manager): the team ranked by one metric."""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import IsManager, PrivateChat
from bot.services.leaderboard import Leaderboard, Ranked, leaderboard, parse_leaderboard_args
from bot.services.parsing import ParseError
from bot.services.periods import Period, local_date
from bot.services.progress import Totals
from bot.texts import Safe, Translator
from bot.views import kpi_parts, metric_quantity
from models import Metric, Team
from models.base import utcnow

router = Router(name=__name__)
router.message.filter(PrivateChat(), IsManager())

MEDALS = ("🥇", "🥈", "🥉")


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
    if row.percent is not None:
        extras.append(t("lb.of_target", percent=row.percent))
    extras += kpi_parts(t, row.totals)
    text = _value(t, board, row.totals)
    if extras:
        text = " · ".join([text, *extras])
    return t("lb.row", place=marker, name=row.user.first_name, value=Safe(text))


def render(t: Translator, board: Leaderboard) -> str:
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
    total = " · ".join([_value(t, board, board.total), *kpi_parts(t, board.total)])
    lines += ["", t("lb.total", value=Safe(total))]
    return "\n".join(lines)


@router.message(Command("leaderboard"))
async def show_leaderboard(
    message: Message, command: CommandObject, session: AsyncSession, t: Translator, team: Team
) -> SendMessage:
    try:
        query = parse_leaderboard_args(command.args)
    except ParseError as error:
        return message.answer(t(f"error.{error.code}", **error.params))
    board = await leaderboard(session, team, query, local_date(utcnow(), team.timezone))
    return message.answer(render(t, board))
