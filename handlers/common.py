"""Commands that work everywhere in a private chat, in any state: /help and /cancel."""

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot.filters import Command
from bot.texts import Translator
from bot.views.help import help_text
from models import Person, TeamInfo


async def show_help(
    message: Message,
    t: Translator,
    user: Person,
    team: TeamInfo | None,
    dashboard_url: str | None = None,
) -> list[SendMessage]:
    texts = help_text(t, user, team is not None, dashboard=dashboard_url is not None)
    return [message.answer(text) for text in texts]


async def cancel(message: Message, state: FSMContext, t: Translator) -> SendMessage:
    if await state.get_state() is None:
        return message.answer(t("cancel.nothing"))
    await state.clear()
    return message.answer(t("cancel.done"))


def register(router: Router) -> None:
    """Anyone, in private."""
    router.message.register(show_help, Command("help"))
    router.message.register(cancel, Command("cancel"))
