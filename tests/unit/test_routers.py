"""How the routers are put together."""

from aiogram import Router
from aiogram.dispatcher.event.handler import CallableObject

import handlers
from handlers.fallback import commands_of


def walk(router: Router) -> list[Router]:
    return [router, *(found for child in router.sub_routers for found in walk(child))]


def test_every_filter_and_handler_is_a_coroutine() -> None:
    """aiogram sends a synchronous filter or handler (a magic F filter too) to a worker thread
    on every update that reaches it; on the /call path that was most of a millisecond."""
    synchronous: list[str] = []
    for router in (found for root in handlers.setup() for found in walk(root)):
        for name, observer in router.observers.items():
            callables: list[tuple[str, CallableObject]] = [
                (f"{name} router filter", item) for item in observer._handler.filters or []
            ]
            for handler in observer.handlers:
                callables.append((f"{name} handler", handler))
                callables += [(f"{name} filter", item) for item in handler.filters or []]
            synchronous += [
                f"{router.name}: {kind} {item.callback!r}"
                for kind, item in callables
                if not item.awaitable
            ]
    assert synchronous == []


def test_each_dispatcher_gets_a_tree_of_its_own() -> None:
    first = {id(r) for root in handlers.setup() for r in walk(root)}
    second = {id(r) for root in handlers.setup() for r in walk(root)}
    assert not first & second


def test_fallbacks_answer_exactly_the_commands_of_their_branches() -> None:
    managers = commands_of([handlers.managers()])
    assert {"invite", "target", "leaderboard", "team", "settings", "teamchart"} <= set(managers)
    assert "call" not in managers
    members = commands_of([handlers.members()])
    assert {"call", "deal", "undo", "today", "log", "export", "invite", "remind"} <= set(members)
    assert "start" not in members and "help" not in members
