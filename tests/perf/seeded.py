"""The benchmarks' databases: a file's URL, and a seeded file built once into a cache."""

import time
from collections.abc import Callable
from pathlib import Path

from bot.db import upgrade_to_head


def file_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def build_seeded(cached: Path, seed: Callable[[Path], dict[str, int]]) -> Path:
    """Migrate a fresh file beside `cached`, fill it with `seed` (row counts per table), then
    move it into place, so that a run cut short never leaves a half-seeded cache behind."""
    building = cached.with_suffix(".building")
    building.unlink(missing_ok=True)
    began = time.perf_counter()
    upgrade_to_head(file_url(building))  # Alembic runs its own event loop: none running yet
    migrated = time.perf_counter()
    counts = seed(building)
    seeded = time.perf_counter()
    building.rename(cached)
    listed = ", ".join(f"{n:,} {table}" for table, n in counts.items())
    print(
        f"seed: {seeded - began:.1f} s (migrate {migrated - began:.1f} s, "
        f"insert {seeded - migrated:.1f} s): {listed}",
        flush=True,
    )
    return cached
