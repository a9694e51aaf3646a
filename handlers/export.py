"""/export [csv] [week|month|YYYY-MM]: the numbers as an Excel workbook or a CSV file."""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import finish_database_work
from bot.filters import InTeam, PrivateChat
from bot.services.exporting import (
    ExportRequest,
    export_filename,
    export_labels,
    load_export,
    parse_export_args,
    render_export,
)
from bot.services.parsing import ParseError
from bot.services.periods import Period, local_date
from bot.texts import Safe, Translator
from models import Team, User
from models.base import utcnow

router = Router(name=__name__)
router.message.filter(PrivateChat(), InTeam())


def period_text(t: Translator, request: ExportRequest) -> str:
    if request.period is Period.WEEK:
        return t(
            "export.period.week", start=t.day(request.dates.start), end=t.day(request.dates.end)
        )
    return t.month(request.dates.start)


@router.message(Command("export"))
async def export(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    t: Translator,
    user: User,
    team: Team,
) -> SendMessage | SendDocument:
    today = local_date(utcnow(), team.timezone)
    try:
        request = parse_export_args(command.args, today)
    except ParseError as error:
        return message.answer(t(f"error.{error.code}", **error.params))
    data = await load_export(session, user, team, request.dates, t)
    # Nothing to write: end the update's transaction (and SQLite's write lock) before the build.
    await finish_database_work(session)
    content = await render_export(data, request, export_labels(t))
    entries = t.plural("n_entries", len(data.entries))
    key = "export.caption.team" if user.is_manager else "export.caption.own"
    period = Safe(period_text(t, request))
    caption = t(key, team=team.name, period=period, entries=Safe(entries))
    document = BufferedInputFile(content, filename=export_filename(team, request))
    return message.answer_document(document, caption=caption)
