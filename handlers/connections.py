"""/connect, /connections and /link: a manager connects the team's CRM and PBX."""

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery, DeleteMessage, EditMessageText, SendMessage
from aiogram.types import CallbackQuery, Message

from bot.domain import RowId
from bot.filters import Command
from bot.middlewares import WRITES
from bot.outgoing.celebrations import celebrate_crossings
from bot.services.connections import (
    MAX_MIN_CALL_SECONDS,
    AlreadyConnected,
    NotConnected,
    connect,
    link_person,
    seen_people,
    seen_person,
    set_bitrix24,
    set_min_call_seconds,
    set_zadarma_secret,
    team_connections,
    valid_rest_url,
    valid_secret,
)
from bot.services.crm_payloads import System
from bot.services.periods import local_date
from bot.texts import Translator
from bot.views import connections as views
from models import Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.user import person_of, team_members


class LinkWho(CallbackData, prefix="lkw"):
    """A person of a connected system under /link: whom to link them to comes next."""

    person: RowId


class LinkTo(CallbackData, prefix="lkt"):
    person: RowId
    member: int


def _systems(t: Translator, word: str) -> System | None:
    try:
        return System(word.lower())
    except ValueError:
        return None


async def connect_system(
    message: Message,
    command: CommandObject,
    session: UnitOfWork,
    t: Translator,
    team: TeamInfo,
    hooks_url: str | None = None,
) -> SendMessage | list[DeleteMessage | SendMessage]:
    words = (command.args or "").split()
    if hooks_url is None:
        return message.answer(t("connect.no_server"))
    reset = bool(words) and words[0].lower() == "reset"
    if reset:
        words = words[1:]
    system = _systems(t, words[0]) if words else None
    if system is None:
        return message.answer(views.usage(t))
    extra = words[1:]
    if extra and not reset:
        return await _configure(message, session, t, team, system, extra)
    try:
        made = await connect(session, team.id, system, reset=reset)
    except AlreadyConnected:
        return message.answer(
            t("connect.already", system=views.SYSTEM_NAMES[system], command=system.value)
        )
    url = f"{hooks_url}/{system.value}/{made.token}"
    return message.answer(views.endpoint(t, made, url), disable_web_page_preview=True)


async def _configure(
    message: Message,
    session: UnitOfWork,
    t: Translator,
    team: TeamInfo,
    system: System,
    extra: list[str],
) -> SendMessage | list[DeleteMessage | SendMessage]:
    """`/connect zadarma <API secret>`, `/connect zadarma min <seconds>`,
    `/connect bitrix24 <REST webhook URL> <application token>`. The message holding a secret is
    deleted from the chat, and the secret is never repeated."""
    name = views.SYSTEM_NAMES[system]
    if system is System.ZADARMA and extra[0].lower() == "min":
        seconds = extra[1] if len(extra) == 2 else ""
        if not seconds.isdigit() or int(seconds) > MAX_MIN_CALL_SECONDS:
            return message.answer(t("connect.bad_min_call", most=MAX_MIN_CALL_SECONDS))
        try:
            await set_min_call_seconds(session, team.id, int(seconds))
        except NotConnected:
            return message.answer(t("connect.first", system=name, command=system.value))
        return message.answer(t("connect.min_call_set", seconds=int(seconds)))
    hide = DeleteMessage(chat_id=message.chat.id, message_id=message.message_id)
    try:
        if system is System.ZADARMA and len(extra) == 1 and valid_secret(extra[0]):
            await set_zadarma_secret(session, team.id, extra[0])
        elif (
            system is System.BITRIX24
            and len(extra) == 2
            and valid_rest_url(extra[0])
            and valid_secret(extra[1])
        ):
            await set_bitrix24(session, team.id, extra[0], extra[1])
        else:
            return [hide, message.answer(t(f"connect.bad_secret.{system.value}"))]
    except NotConnected:
        return [hide, message.answer(t("connect.first", system=name, command=system.value))]
    return [hide, message.answer(t("connect.secret_saved", system=name))]


async def list_connections(
    message: Message, session: UnitOfWork, t: Translator, team: TeamInfo
) -> SendMessage:
    found = await team_connections(session, team)
    today = local_date(utcnow(), team.timezone)
    return message.answer(views.connections_list(t, found, team.timezone, today))


async def start_link(
    message: Message, session: UnitOfWork, t: Translator, team: TeamInfo
) -> SendMessage:
    people = await seen_people(session, team.id)
    text, markup = views.people_to_link(t, people, lambda pid: LinkWho(person=pid))
    return message.answer(text, reply_markup=markup)


async def choose_member(
    query: CallbackQuery,
    callback_data: LinkWho,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo | None,
) -> AnswerCallbackQuery | tuple[AnswerCallbackQuery, EditMessageText]:
    if team is None or not user.is_manager:
        return query.answer(t.plain("manager_only"))
    person = await seen_person(session, team.id, callback_data.person)
    if person is None or not isinstance(query.message, Message):
        return query.answer(t.plain("link.gone"))
    members = await team_members(session, team.id)
    text, markup = views.members_to_choose(
        t, person, members, lambda member: LinkTo(person=person.id, member=member)
    )
    return query.answer(), query.message.edit_text(text, reply_markup=markup)


async def link_to_member(
    query: CallbackQuery,
    callback_data: LinkTo,
    session: UnitOfWork,
    t: Translator,
    user: Person,
    team: TeamInfo | None,
    dashboard_url: str | None = None,
) -> AnswerCallbackQuery | tuple[AnswerCallbackQuery, EditMessageText]:
    if team is None or not user.is_manager:
        return query.answer(t.plain("manager_only"))
    done = await link_person(session, team.id, callback_data.person, callback_data.member)
    if done is None or not isinstance(query.message, Message):
        return query.answer(t.plain("link.gone"))
    if done.logged:  # what was held for them may cross a target now
        today = local_date(utcnow(), team.timezone)
        screens = dashboard_url is not None
        await celebrate_crossings(session, team, person_of(done.member), today, screens=screens)
    return query.answer(), query.message.edit_text(views.linked(t, done))


def register_managers(router: Router) -> None:
    router.message.register(connect_system, Command("connect"), flags=WRITES)
    router.message.register(list_connections, Command("connections"))
    router.message.register(start_link, Command("link"))
    router.callback_query.register(choose_member, LinkWho.filter())
    router.callback_query.register(link_to_member, LinkTo.filter(), flags=WRITES)
