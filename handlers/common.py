"""Commands that work everywhere in a private chat, in any state: /help and /cancel."""

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.methods import SendMessage
from aiogram.types import Message

from bot import views
from bot.filters import PrivateChat
from bot.texts import Translator
from models import Team, User

router = Router(name=__name__)
router.message.filter(PrivateChat())


@router.message(Command("help"))
async def show_help(message: Message, t: Translator, user: User, team: Team | None) -> SendMessage:
    return message.answer(views.help_text(t, user, team is not None))


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, t: Translator) -> SendMessage:
    if await state.get_state() is None:
        return message.answer(t("cancel.nothing"))
    await state.clear()
    return message.answer(t("cancel.done"))
