"""The unit of work: one AsyncSession per update (or per step of a job), owned by its opener.

Services receive it, read and write through it, flush, and never commit: the opener
(`Database.read()` / `Database.write()`) ends it, and a writer commits once, at the end.
Besides the ORM it runs `Prepared` statements in the same transaction, for the statements that
every update runs.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.prepared import Prepared, Row

Runner = Callable[["UnitOfWork", Prepared, dict[str, Any]], Awaitable[list[Row]]]


class UnitOfWork(AsyncSession):
    def __init__(self, runner: Runner, *, writes: bool, **kwargs: Any) -> None:
        super().__init__(expire_on_commit=False, **kwargs)
        self._runner = runner
        self.writes = writes  # False: a reader, which the database refuses to let write

    async def run(self, statement: Prepared, /, **params: Any) -> list[Row]:
        """The statement's rows (a DML statement's RETURNING rows; none without RETURNING)."""
        return await self._runner(self, statement, params)

    async def first(self, statement: Prepared, /, **params: Any) -> Row | None:
        rows = await self.run(statement, **params)
        return rows[0] if rows else None
