"""A throwaway PostgreSQL server for the test suite.

`PostgresServer.start()` runs initdb in a fresh directory under /tmp and starts a server on
127.0.0.1 (a free port, trust auth, superuser "postgres", durability switched off for
speed); `stop()` shuts it down and removes the directory. When the binaries are missing or
the server cannot start, `start()` raises `PostgresUnavailable` with the reason: the tests
that need the server skip locally and fail in CI (see `postgres_required()`).

As root (tests and CI run as root) initdb and pg_ctl are run as the `postgres` system user
through runuser, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import asyncpg

__all__ = ["PostgresServer", "PostgresUnavailable", "postgres_required"]

SUPERUSER = "postgres"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30  # seconds
LOG_TAIL_LINES = 30
MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1; longer names are silently truncated by the server

# Settings for a fast, throwaway server; appended to postgresql.conf after initdb.
SERVER_SETTINGS: dict[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "autovacuum": "off",
    "jit": "off",
}


class PostgresUnavailable(Exception):
    """No PostgreSQL server could be started; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def postgres_required() -> bool:
    """True in CI (`CI=true`): a missing server is then a failure, not a skip."""
    return os.environ.get("CI", "").strip().lower() == "true"


def _version_key(bin_dir: str) -> tuple[int, ...]:
    name = Path(bin_dir).parent.name  # /usr/lib/postgresql/<version>/bin
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return (-1,)


def _has_binaries(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres"))


def find_bin_dir() -> Path:
    """The directory holding initdb, pg_ctl and postgres (the highest installed version)."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        if _has_binaries(Path(candidate)):
            return Path(candidate)
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run(
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            )
            bin_dir = Path(result.stdout.strip())
            if _has_binaries(bin_dir):
                return bin_dir
    initdb = shutil.which("initdb")
    if initdb is not None and _has_binaries(Path(initdb).parent):
        return Path(initdb).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
        "/usr/lib/postgresql/*/bin, `pg_config --bindir` or PATH"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _quote_ident(name: str) -> str:
    if not name or "\x00" in name:
        raise ValueError(f"invalid database name: {name!r}")
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        raise ValueError(f"database name longer than {MAX_IDENTIFIER_BYTES} bytes: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers signal 0; it is gone for our purposes.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


class PostgresServer:
    """A running throwaway server; create it with `PostgresServer.start()`."""

    def __init__(
        self, *, bin_dir: Path, base_dir: Path, port: int, run_as: list[str], pid: int | None
    ) -> None:
        self.bin_dir = bin_dir
        self.base_dir = base_dir
        self.data_dir = base_dir / "data"
        self.socket_dir = base_dir
        self.log_file = base_dir / "postgres.log"
        self.host = HOST
        self.port = port
        self.user = SUPERUSER
        self.pid = pid
        self._run_as = run_as
        self._stopped = False

    # -- lifecycle ------------------------------------------------------------------------

    @classmethod
    def start(
        cls, *, parent: str | Path = "/tmp", timeout: int = STARTUP_TIMEOUT, attempts: int = 3
    ) -> PostgresServer:
        """initdb a fresh cluster in a new directory under `parent` and start it.

        Raise PostgresUnavailable when that fails. `parent` must be reachable by the
        postgres user when running as root (not pytest's 0700 tmp dirs). A tmpfs such as
        /dev/shm makes creating databases much faster on a slow disk, but Docker gives
        /dev/shm only 64 MB by default, and every database takes ~8 MB.
        """
        bin_dir = find_bin_dir()
        run_as, owner = _run_as()
        last_error: PostgresUnavailable | None = None
        for _ in range(attempts):
            try:
                return cls._start_once(bin_dir, run_as, owner, Path(parent), timeout)
            except _PortTaken as exc:  # another process grabbed the port: try a new one
                last_error = exc
        assert last_error is not None
        raise last_error

    @classmethod
    def _start_once(
        cls,
        bin_dir: Path,
        run_as: list[str],
        owner: pwd.struct_passwd | None,
        parent: Path,
        timeout: int,
    ) -> PostgresServer:
        base_dir = Path(tempfile.mkdtemp(prefix="kpi-pg-", dir=parent))
        server = cls(bin_dir=bin_dir, base_dir=base_dir, port=_free_port(), run_as=run_as, pid=None)
        try:
            if owner is not None:
                os.chown(base_dir, owner.pw_uid, owner.pw_gid)
            server._initdb()
            server._configure()
            server._pg_ctl_start(timeout)
        except BaseException:
            server.stop()
            raise
        atexit.register(server.stop)
        return server

    def _initdb(self) -> None:
        result = self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            timeout=120,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"initdb failed with exit code {result.returncode}:\n"
                f"{(result.stderr or result.stdout).strip()}"
            )

    def _configure(self) -> None:
        settings = {
            **SERVER_SETTINGS,
            "listen_addresses": f"'{HOST}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
        }
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# tests/postgres.py\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _pg_ctl_start(self, timeout: int) -> None:
        result = self._run(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            str(timeout),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            timeout=timeout + 15,
            # Own session: Ctrl-C on the test run must not kill the server under the tests;
            # teardown (or atexit) stops it.
            new_session=True,
        )
        self.pid = self._read_pid()
        if result.returncode == 0 and self.pid is not None:
            return
        log = _tail(self.log_file)
        output = (result.stderr or result.stdout).strip()
        message = (
            f"PostgreSQL did not start within {timeout} s (pg_ctl exit code "
            f"{result.returncode}): {output}\n--- {self.log_file} (tail) ---\n{log}"
        )
        if "could not bind" in log or "Address already in use" in log:
            raise _PortTaken(message)
        raise PostgresUnavailable(message)

    def stop(self) -> None:
        """Stop the server at once (-m immediate) and remove its directory; safe to repeat."""
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data_dir))
        if self.pid is not None and _pid_alive(self.pid):
            # pg_ctl could not stop it: kill the postmaster we started (its children follow).
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while _pid_alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    @property
    def running(self) -> bool:
        return not self._stopped and self.pid is not None and _pid_alive(self.pid)

    # -- databases ------------------------------------------------------------------------

    def url(self, database: str) -> str:
        """SQLAlchemy async URL of `database` on this server."""
        return f"postgresql+asyncpg://{SUPERUSER}@{HOST}:{self.port}/{quote(database, safe='')}"

    def socket_url(self, database: str) -> str:
        """The same through the server's Unix socket (how a bot on the server's machine is best
        connected: no TCP on either side of each round trip)."""
        return (
            f"postgresql+asyncpg://{SUPERUSER}@/{quote(database, safe='')}"
            f"?host={quote(str(self.socket_dir), safe='')}&port={self.port}"
        )

    async def create_database(self, name: str, template: str | None = None) -> None:
        """CREATE DATABASE `name`, as a copy of `template` when given.

        The template must have no open connections (dispose engines on it first).
        """
        sql = f"CREATE DATABASE {_quote_ident(name)}"
        if template is not None:
            sql += f" TEMPLATE {_quote_ident(template)}"
        conn = await self._connect()
        try:
            if conn.get_server_version().major >= 15:
                # 15's default strategy (WAL_LOG) also writes the whole copy to WAL;
                # FILE_COPY's checkpoints are cheap with fsync off (10 vs 15 ms on tmpfs).
                sql += " STRATEGY FILE_COPY"
            await conn.execute(sql)
        finally:
            await conn.close()

    async def drop_database(self, name: str) -> None:
        """DROP DATABASE `name` if it exists, terminating the connections to it first."""
        quoted = _quote_ident(name)
        conn = await self._connect()
        try:
            if conn.get_server_version().major >= 13:
                await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            else:
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = $1 AND pid <> pg_backend_pid()",
                    name,
                )
                await conn.execute(f"DROP DATABASE IF EXISTS {quoted}")
        finally:
            await conn.close()

    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=HOST, port=self.port, user=SUPERUSER, database="postgres", timeout=10
        )

    # -- helpers --------------------------------------------------------------------------

    def _run(
        self, tool: str, *args: str, timeout: float = 60, new_session: bool = False
    ) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env["LC_ALL"] = "C"  # messages in English, no dependency on installed locales
        return subprocess.run(
            [*self._run_as, str(self.bin_dir / tool), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.base_dir,  # the postgres user may not be allowed into the current dir
            env=env,
            check=False,
            start_new_session=new_session,
        )

    def _read_pid(self) -> int | None:
        try:
            first_line = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
            return int(first_line)
        except (OSError, ValueError):
            return None

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else f"pid={self.pid}"
        return f"<PostgresServer {HOST}:{self.port} {state} {self.base_dir}>"


class _PortTaken(PostgresUnavailable):
    """The chosen port was taken between picking it and the server binding it."""


def _run_as() -> tuple[list[str], pwd.struct_passwd | None]:
    """Command prefix to run the server tools, and the user that must own the directory."""
    if os.geteuid() != 0:
        return [], None
    try:
        owner = pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, but there is no {SUPERUSER!r} system user to run PostgreSQL as"
        ) from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root, but `runuser` is not installed")
    return [runuser, "-u", SUPERUSER, "--"], owner


async def _ask(url: str, sql: str) -> int:
    """One number from the database at `url`, on a connection of the asker's own."""
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    server = await asyncpg.connect(dsn)
    try:
        value: int = await server.fetchval(sql)
    finally:
        await server.close()
    return value


async def drop_connections(url: str) -> int:
    """What a server restart or a fail-over does to a database's clients: every other
    connection to it is ended. How many were."""
    return await _ask(
        url,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )


async def connection_count(url: str) -> int:
    """How many connections the database has, besides the one asking."""
    return await _ask(
        url,
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
