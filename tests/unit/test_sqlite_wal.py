"""SQLite files are switched to WAL by whichever connection comes first, also when many
connections open together on a fresh file (instances started at once, a new person's burst)."""

import sqlite3
import threading
from pathlib import Path

from models.database import use_wal

CONNECTIONS = 8


def fresh_file(path: Path) -> None:
    """A file as SQLite makes it: in rollback-journal mode."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (x INTEGER)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    connection.close()


def connect_and_use(path: Path, i: int, barrier: threading.Barrier, failures: list[str]) -> None:
    """What each of the bot's connections does when it opens, then a read (and a write)."""
    try:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=10000")
        barrier.wait()
        use_wal(connection)
        connection.execute("SELECT * FROM t").fetchall()
        if i % 3 == 0:
            connection.execute("INSERT INTO t VALUES (2)")
        connection.close()
    except sqlite3.Error as error:
        failures.append(f"{path.name}, connection {i}: {error}")


def test_connections_opened_together_on_a_fresh_file_all_work(tmp_path: Path) -> None:
    failures: list[str] = []
    for round_ in range(60):
        path = tmp_path / f"kpi{round_}.db"
        fresh_file(path)
        barrier = threading.Barrier(CONNECTIONS)
        threads = [
            threading.Thread(target=connect_and_use, args=(path, i, barrier, failures))
            for i in range(CONNECTIONS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert failures == []
