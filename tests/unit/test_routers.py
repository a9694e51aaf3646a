"""How the routers are put together."""

from aiogram.dispatcher.event.handler import CallableObject

from handlers import ROUTERS


def test_every_filter_and_handler_is_a_coroutine() -> None:
    """aiogram sends a synchronous filter or handler (a magic F filter too) to a worker thread
    on every update that reaches it; on the /call path that was most of a millisecond."""
    synchronous: list[str] = []
    for router in ROUTERS:
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
