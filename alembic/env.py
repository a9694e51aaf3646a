import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import event, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config import DatabaseSettings
from models import Base
from models.database import ensure_sqlite_folder, is_sqlite, use_wal
from models.lease import MIGRATIONS_LOCK_KEY

config = context.config
target_metadata = Base.metadata

# Another instance migrating holds SQLite's write lock this long at most (a batch migration
# copies a table); waiting for it is what makes instances started together safe.
SQLITE_MIGRATION_WAIT_SECONDS = 600

# The bot configures logging itself; the alembic command line uses alembic.ini's.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name)


def database_url() -> str:
    # Set by bot.db.alembic_config when migrating from the bot; from the environment otherwise.
    return config.get_main_option("sqlalchemy.url") or DatabaseSettings().url


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """All pending revisions in one transaction, taken under a lock every instance waits for:
    the second instance reads the version only once the first has committed, and finds head."""
    with connection.begin():
        if connection.dialect.name == "postgresql":
            # Released with the transaction, also when the process dies.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATIONS_LOCK_KEY}
            )
        # On SQLite the transaction began with BEGIN IMMEDIATE (below): the write lock is held.
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


def migration_engine(url: str) -> AsyncEngine:
    if not is_sqlite(url):
        return create_async_engine(url, poolclass=pool.NullPool)
    engine = create_async_engine(
        url, poolclass=pool.NullPool, connect_args={"timeout": SQLITE_MIGRATION_WAIT_SECONDS}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we say when a transaction begins
        # Before the bot's connections open together on the file: each would try to switch it.
        use_wal(dbapi_connection, SQLITE_MIGRATION_WAIT_SECONDS)

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        # The write lock up front, DDL inside the transaction (SQLite's DDL is transactional).
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def run_async_migrations() -> None:
    url = database_url()
    ensure_sqlite_folder(url)
    engine = migration_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_async_migrations())
