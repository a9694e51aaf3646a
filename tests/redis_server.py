"""A throwaway Redis server for the tests that need one (several instances sharing conversation
state and the per-person lock).

`RedisServer.start()` runs Debian's `redis-server` (`apt-get install redis-server`) on
127.0.0.1, a free port, in a fresh directory under /tmp, with nothing persisted; `stop()` ends
it and removes the directory. When the binary or the `redis` package is missing or the server
does not come up, `start()` raises `RedisUnavailable`: the tests skip locally and fail in CI
(`CI=true`, like PostgreSQL's).
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.postgres import postgres_required

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 10.0  # seconds
BINARY_PATHS = ("/usr/bin/redis-server", "/usr/local/bin/redis-server")


class RedisUnavailable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @classmethod
    def start(cls) -> RedisServer:
        binary = shutil.which("redis-server") or next(
            (path for path in BINARY_PATHS if Path(path).exists()), None
        )
        if binary is None:
            raise RedisUnavailable("redis-server is not installed (apt-get install redis-server)")
        try:
            import redis  # noqa: F401  (the optional extra the bot needs for REDIS_URL)
        except ImportError:
            raise RedisUnavailable(
                "the redis package is missing (pip install '.[redis]')"
            ) from None
        directory = Path(tempfile.mkdtemp(prefix="kpi-redis-"))
        port = _free_port()
        process = subprocess.Popen(
            [
                binary,
                *("--bind", HOST, "--port", str(port), "--dir", str(directory)),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                *("--protected-mode", "yes", "--loglevel", "warning"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        server = cls(process, port, directory)
        atexit.register(server.stop)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _answers_ping(port):
            if process.poll() is not None or time.monotonic() > deadline:
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                server.stop()
                raise RedisUnavailable(f"redis-server did not start: {error.strip()[-500:]}")
            time.sleep(0.05)
        return server

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_redis() -> Iterator[RedisServer]:
    """The session's Redis server; a skip (locally) or a failure (CI) when there is none."""
    try:
        server = RedisServer.start()
    except RedisUnavailable as error:
        if postgres_required():  # CI=true: every server the suite needs must be there
            pytest.fail(f"CI needs Redis for the tests: {error.reason}")
        pytest.skip(f"no Redis server: {error.reason}")
    try:
        yield server
    finally:
        server.stop()
