"""Migrations: head on an empty database, the stairway, and models matching migrations."""

import asyncio
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from bot.db import alembic_config
from models import Base


def revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def sync_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "sub" / "kpi.db"


async def test_upgrade_head_on_empty_database_creates_every_table(db_file: Path) -> None:
    url = f"sqlite+aiosqlite:///{db_file}"
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    engine = create_engine(sync_url(db_file))
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables


async def test_models_match_migrations(db_file: Path) -> None:
    url = f"sqlite+aiosqlite:///{db_file}"
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    engine = create_engine(sync_url(db_file))
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


async def test_stairway_upgrade_downgrade_upgrade_each_revision(db_file: Path) -> None:
    url = f"sqlite+aiosqlite:///{db_file}"
    config = alembic_config(url)

    def stairway() -> None:
        previous = "base"
        for revision in revisions(url):
            command.upgrade(config, revision)
            command.downgrade(config, previous)
            command.upgrade(config, revision)
            previous = revision

    await asyncio.to_thread(stairway)
    engine = create_engine(sync_url(db_file))
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
