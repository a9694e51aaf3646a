"""The throwaway PostgreSQL server of tests/postgres.py really works."""

import socket
from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.postgres import PostgresServer, PostgresUnavailable, postgres_required


def start_or_skip() -> PostgresServer:
    try:
        return PostgresServer.start()
    except PostgresUnavailable as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (CI=true) but unavailable: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    server = start_or_skip()
    try:
        yield server
    finally:
        server.stop()


async def connect(server: PostgresServer, database: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=server.host, port=server.port, user=server.user, database=database
    )


async def database_names(server: PostgresServer) -> set[str]:
    conn = await connect(server, "postgres")
    try:
        rows = await conn.fetch("SELECT datname FROM pg_database")
    finally:
        await conn.close()
    return {row["datname"] for row in rows}


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def test_copy_of_a_template_has_its_tables(pg: PostgresServer) -> None:
    await pg.create_database("tpl")
    conn = await connect(pg, "tpl")
    try:
        await conn.execute("CREATE TABLE calls (id serial PRIMARY KEY, note text)")
        await conn.execute("INSERT INTO calls (note) VALUES ('a'), ('b'), ('c')")
    finally:
        await conn.close()

    await pg.create_database("copy", template="tpl")

    engine = create_async_engine(pg.url("copy"))
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(text("SELECT count(*) FROM calls"))
    finally:
        await engine.dispose()
    assert count == 3

    await pg.drop_database("copy")
    await pg.drop_database("tpl")
    names = await database_names(pg)
    assert "copy" not in names
    assert "tpl" not in names


async def test_drop_terminates_open_connections(pg: PostgresServer) -> None:
    name = 'odd "name" t_0001'
    await pg.create_database(name)
    engine = create_async_engine(pg.url(name))
    raw = await connect(pg, name)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT current_database()")) == name
        # The engine's pool and `raw` still hold idle connections to the database.
        await pg.drop_database(name)
        assert name not in await database_names(pg)
    finally:
        await raw.close()
        await engine.dispose()
    await pg.drop_database(name)  # dropping a missing database is fine


def test_stop_leaves_no_server_behind() -> None:
    server = start_or_skip()
    assert server.running
    assert port_open(server.port)
    pid = server.pid
    assert pid is not None

    server.stop()
    server.stop()  # a second stop is harmless

    assert not server.running
    assert not port_open(server.port)
    assert not server.base_dir.exists()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        state = "gone"
    assert state in {"gone", "Z"}, f"postmaster {pid} still running (state {state})"
