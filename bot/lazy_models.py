"""aiogram's Telegram types, validated on first use instead of built all at import.

`aiogram.types` ends by rebuilding every one of its ~400 pydantic models (to resolve their
forward references), which builds each model's validator and serializer at once: about 150 MB
of a bot's memory (measured with aiogram 3.31 and pydantic 2.13: 165 MB of RSS after
`import aiogram`, 67 MB with this, after parsing updates and building a reply), although a bot
meets a few dozen of those types. The models already ask for `defer_build`; what undoes it is
the rebuild. So while aiogram's types are imported, that rebuild only leaves each model the
namespace it would have used, and pydantic builds a model from it when it is first used.

Applied on importing `bot` (before anything imports aiogram). If aiogram or pydantic change so
that the assumptions below stop holding, nothing is deferred: the bot only uses more memory.
"""

import logging
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)

_TYPES_PACKAGE = "aiogram.types"


def defer_model_builds() -> None:
    import sys

    if _TYPES_PACKAGE in sys.modules:
        return  # imported already: too late, and nothing to undo
    try:
        from pydantic import BaseModel
    except ImportError:  # pragma: no cover - aiogram depends on pydantic
        return
    rebuild = BaseModel.__dict__.get("model_rebuild")
    if not isinstance(rebuild, classmethod):
        return
    original = rebuild.__func__
    namespaces: list[Any] = []

    def deferred_rebuild(cls: type[BaseModel], *args: Any, **kwargs: Any) -> bool | None:
        namespace = kwargs.get("_types_namespace")
        if (
            namespace is not None
            and not args
            and cls.__module__.startswith(_TYPES_PACKAGE + ".")
            and cls.model_config.get("defer_build")
        ):
            cls.__pydantic_parent_namespace__ = namespace
            namespaces.append(namespace)
            return None
        result: bool | None = original(cls, *args, **kwargs)
        return result

    BaseModel.model_rebuild = classmethod(deferred_rebuild)  # type: ignore[method-assign,assignment]
    try:
        import aiogram.methods
        import aiogram.types  # noqa: F401
    finally:
        BaseModel.model_rebuild = rebuild  # type: ignore[method-assign,assignment]
    if not namespaces:
        return
    # The API methods, their generic Response and aiogram's other models refer to the same
    # types: each resolves them from the same namespace when it is first built.
    types = namespaces[-1]
    # (A generic such as Response is complete; what it is given, Response[list[Update]], is
    # made later and inherits this namespace.) Module-level names come from each model's module.
    for model in _subclasses(BaseModel):
        if model.__module__.startswith("aiogram."):
            own = model.__pydantic_parent_namespace__
            if own is types:
                continue
            # One dict shared by all but the few that have names of their own.
            model.__pydantic_parent_namespace__ = {**types, **own} if own else types
    logger.debug("%d aiogram types left to build on first use", len(namespaces))


def _subclasses(cls: type) -> Iterator[type[Any]]:
    subclass: type[Any]
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def keep_response_types() -> None:
    """aiogram reads every API answer as `Response[<the method's result type>]`, a class pydantic
    makes on first use and keeps only while something refers to it (a weak cache). A garbage
    collection frees it, and the next answer makes it again: measured 0.3-0.5 s of the event
    loop each time for `Response[list[Update]]` and `Response[Message]` (the types built on first
    use; 15 ms when built at import), several times a minute under load. Kept for good here."""
    from aiogram.methods.base import Response
    from pydantic import BaseModel

    if "__class_getitem__" in vars(Response):
        return  # kept already
    parametrize = BaseModel.__dict__["__class_getitem__"].__func__
    made: dict[Any, type[BaseModel]] = {}

    def kept(cls: type[BaseModel], params: Any) -> Any:
        if cls is not Response:
            return parametrize(cls, params)
        try:
            return made[params]
        except KeyError:
            model = made[params] = parametrize(cls, params)
            return model
        except TypeError:  # an unhashable parameter: made as pydantic makes it
            return parametrize(cls, params)

    Response.__class_getitem__ = classmethod(kept)  # type: ignore[assignment,method-assign]
