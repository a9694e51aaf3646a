"""Last on their branches: a short, specific answer to what nobody else handled."""

import logging
from collections.abc import Iterable

from aiogram import Router
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Message

from bot.filters import Command, CommandText
from bot.texts import Translator

logger = logging.getLogger(__name__)


def commands_of(routers: Iterable[Router]) -> tuple[str, ...]:
    """Every command a tree of routers answers in messages, read from their Command filters."""
    found: dict[str, None] = {}

    def visit(router: Router) -> None:
        for handler in router.message.handlers:
            for item in handler.filters or []:
                if isinstance(item.callback, Command):
                    found.update(dict.fromkeys(str(c) for c in item.callback.commands))
        for child in router.sub_routers:
            visit(child)

    for router in routers:
        visit(router)
    return tuple(found)


async def manager_only(message: Message, t: Translator) -> SendMessage:
    return message.answer(t("manager_only"))


async def needs_team(message: Message, t: Translator) -> SendMessage:
    return message.answer(t("no_team"))


async def unknown_command(message: Message, t: Translator) -> SendMessage:
    command = (message.text or "").split(maxsplit=1)[0][:40]
    return message.answer(t("unknown_command", command=command))


async def anything_else(message: Message, t: Translator) -> SendMessage:
    return message.answer(t("hint"))


def for_members(manager_branch: Router) -> Router:
    """A member who is not a manager, using a manager's command."""
    router = Router(name=f"{__name__}.members")
    router.message.register(manager_only, Command(*commands_of([manager_branch])))
    return router


def register_last(router: Router, member_branch: Router) -> None:
    """Someone in no team using a team command; unknown commands; anything else."""
    router.message.register(needs_team, Command(*commands_of([member_branch])))
    router.message.register(unknown_command, CommandText())
    router.message.register(anything_else)


async def unknown_button(query: CallbackQuery, t: Translator) -> AnswerCallbackQuery:
    # Old clients' buttons or forged data (an id beyond 64 bits): answered, so the spinner stops.
    logger.warning(
        "Button press %r from %s matched no button; answered as outdated",
        (query.data or "")[:64],
        query.from_user.id,
    )
    return query.answer(t.plain("button.unknown"))


def for_buttons() -> Router:
    """Last for callback queries: a press no handler took (stale, or forged data)."""
    router = Router(name=f"{__name__}.buttons")
    router.callback_query.register(unknown_button)
    return router
