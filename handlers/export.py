"""/export [csv] [week|month|YYYY-MM]: the numbers as an Excel workbook or a CSV file."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, Message

from bot.domain import ParseError
from bot.filters import Command
from bot.services.exporting import export_filename, load_export, parse_export_args, render_export
from bot.services.periods import local_date
from bot.texts import Translator
from bot.views import export as views
from bot.views.common import parse_problem
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow


async def export(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo,
) -> SendMessage | list[SendMessage | SendDocument]:
    today = local_date(utcnow(), team.timezone)
    try:
        request = parse_export_args(command.args, today)
    except ParseError as error:
        return message.answer(parse_problem(t, error))
    data = await load_export(session, user, team, request.dates)
    labels = views.export_labels(t, with_bonus=data.bonus is not None)
    content = await render_export(
        data, request, labels, views.export_rows(t, data), views.bonus_sheet(t, data)
    )
    document = BufferedInputFile(content, filename=export_filename(data, request))
    caption = views.caption(t, user, team, request, data)
    sent = message.answer_document(document, caption=caption.text)
    return [sent, *(message.answer(text) for text in caption.follow_up)]


def register(router: Router) -> None:
    """Members, in private."""
    router.message.register(export, Command("export"))
