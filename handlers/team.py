"""Creating a team (/newteam) and inviting people to it (/invite)."""

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import CallbackQuery, LinkPreviewOptions, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import SwitchToNewTeam
from bot.filters import IsManager, PlainText, PrivateChat
from bot.keyboards import quick_commands
from bot.services.roster import is_last_manager
from bot.services.teams import (
    MAX_TEAM_NAME,
    TeamNameError,
    clean_team_name,
    create_team,
    ensure_invite,
    reset_invite,
)
from bot.texts import Translator
from models import Team, User

router = Router(name=__name__)
router.message.filter(PrivateChat())


class NewTeam(StatesGroup):
    name = State()
    confirm_switch = State()


async def _create_or_confirm(
    message: Message,
    raw_name: str | None,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    user: User,
    team: Team | None,
) -> SendMessage:
    name = clean_team_name(raw_name)
    if name is TeamNameError.TOO_LONG:
        return message.answer(t("newteam.too_long", max=MAX_TEAM_NAME))
    if name is TeamNameError.EMPTY:
        await state.set_state(NewTeam.name)
        return message.answer(t("newteam.ask_name"))
    if await is_last_manager(session, user):
        assert team is not None
        await state.clear()
        return message.answer(t("join.last_manager", current=team.name))
    if team is not None:
        await state.set_state(NewTeam.confirm_switch)
        await state.update_data(name=name)
        builder = InlineKeyboardBuilder()
        builder.button(
            text=t.plain("newteam.button.switch"), callback_data=SwitchToNewTeam(confirm=True)
        )
        builder.button(
            text=t.plain("newteam.button.stay"), callback_data=SwitchToNewTeam(confirm=False)
        )
        builder.adjust(1)
        return message.answer(
            t("newteam.confirm_switch", team=name, current=team.name),
            reply_markup=builder.as_markup(),
        )
    new_team = await create_team(session, user, name)
    await session.commit()
    await state.clear()
    return message.answer(t("newteam.created", team=new_team.name), reply_markup=quick_commands())


@router.message(Command("newteam"))
async def new_team(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    user: User,
    team: Team | None,
) -> SendMessage:
    return await _create_or_confirm(message, command.args, session, state, t, user, team)


@router.message(StateFilter(NewTeam.name), PlainText())
async def new_team_name(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    user: User,
    team: Team | None,
) -> SendMessage:
    return await _create_or_confirm(message, message.text, session, state, t, user, team)


@router.callback_query(SwitchToNewTeam.filter())
async def confirm_new_team(
    query: CallbackQuery,
    callback_data: SwitchToNewTeam,
    session: AsyncSession,
    state: FSMContext,
    t: Translator,
    user: User,
    team: Team | None,
) -> EditMessageText | None:
    name = (await state.get_data()).get("name")
    await state.clear()
    if not callback_data.confirm or not isinstance(name, str):
        text = t("newteam.stayed", team=team.name) if team else t("cancel.done")
    else:
        new_team = await create_team(session, user, name)
        await session.commit()
        text = t("newteam.created", team=new_team.name)
    await query.answer()
    if not isinstance(query.message, Message):
        return None
    return query.message.edit_text(text)


manager_router = Router(name=f"{__name__}.manager")
manager_router.message.filter(PrivateChat(), IsManager())


@manager_router.message(Command("invite"))
async def invite(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    t: Translator,
    team: Team,
) -> SendMessage:
    argument = (command.args or "").strip().lower()
    if argument not in ("", "reset"):
        return message.answer(t("invite.bad_argument"))
    token = reset_invite(team) if argument == "reset" else ensure_invite(team)
    await session.commit()
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={token}"
    key = "invite.reset" if argument == "reset" else "invite.link"
    return message.answer(
        t(key, team=team.name, link=link), link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
