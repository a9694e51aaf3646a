"""PNG charts: valid phone-sized PNGs, any names, 0-30+ people, no leaks, safe in threads."""

from __future__ import annotations

import ast
import asyncio
import gc
import io
import struct
import subprocess
import sys
import threading
import tracemalloc
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import matplotlib
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from bot import charts
from bot.charts import (
    MAX_NAME,
    WIDTH_PX,
    PersonChartData,
    PersonWeek,
    TeamChartData,
    render_person_chart,
    render_png,
    render_team_chart,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 1_000_000
ROOT = Path(__file__).resolve().parents[2]

LABELS_EN = {"calls": "Calls", "meetings": "Meetings", "deals": "Deals"}
LABELS_RU = {"calls": "Звонки", "meetings": "Встречи", "deals": "Сделки"}
PACE_TOTALS = {"calls": 100.0, "meetings": 12.0, "deals": 3.0}
NAMES = ["Ольга Смирнова", "Иван", "Пётр Кузнецов", "Anna Lee", "Екатерина Васильева"]

# Memory test: 200 renders in all; tracemalloc slows rendering ~4x, so it traces the last 20
# (a per-render leak shows up in any 20 of them) and the whole 200 are checked by object counts.
MEMORY_RENDERS = 200
MEMORY_TRACED = 20
MEMORY_LIMIT = 5 * 2**20


# --- helpers --------------------------------------------------------------------------------


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, which must come first."""
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def assert_phone_png(png: bytes) -> tuple[int, int]:
    width, height = png_size(png)
    assert width >= 1080
    assert len(png) < MAX_BYTES
    # Telegram's sendPhoto limits: width + height <= 10000, ratio <= 20.
    assert width + height <= 10_000
    assert max(width, height) / min(width, height) <= 20
    return width, height


def pixels(png: bytes) -> tuple[tuple[int, int], str, bytes]:
    with Image.open(io.BytesIO(png)) as image:
        return image.size, image.mode, image.tobytes()


def colours(png: bytes) -> int:
    with Image.open(io.BytesIO(png)) as image:
        found = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert found is not None
    return len(found)


def no_warnings(render: Callable[[], bytes]) -> bytes:
    """``render()``, failing on any warning (not only when pytest runs with -W error)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render()
    assert [str(w.message) for w in caught] == []
    return png


def person(i: int, name: str | None = None, targets: bool = True) -> PersonWeek:
    values = {
        "calls": 20 + (i * 37) % 130,
        "meetings": (i * 7) % 19,
        "deals": i % 6,
        "revenue": ((i * 7919) % 40_000) * 100,
    }
    goals: dict[str, int | None] = (
        {"calls": 120, "meetings": 12, "deals": 3, "revenue": 2_000_000}
        if targets
        else {"calls": None, "meetings": None, "deals": None, "revenue": None}
    )
    return PersonWeek(f"{NAMES[i % len(NAMES)]} {i}" if name is None else name, values, goals)


def team(
    n: int, *, language: str = "ru", targets: bool = True, names: list[str] | None = None
) -> TeamChartData:
    people = [person(i, names[i] if names else None, targets) for i in range(n)]
    return TeamChartData(
        title="Отдел продаж «Север» · 23–29 ноя",
        metric_labels=LABELS_RU if language == "ru" else LABELS_EN,
        target_label="Цель" if language == "ru" else "Target",
        revenue_label="Выручка, ₽" if language == "ru" else "Revenue, ₽",
        people=people,
        language=language,
        empty_text="Нет данных за эту неделю" if language == "ru" else "No data this week",
    )


def person_chart(days: int = 7, *, pace: bool = True, language: str = "ru") -> PersonChartData:
    series = {
        "calls": [(d * 13) % 31 for d in range(days)],
        "meetings": [d % 4 for d in range(days)],
        "deals": [int(d % 3 == 2) for d in range(days)],
    }
    return PersonChartData(
        title="Ольга Смирнова · 23–29 ноя",
        day_labels=[f"Пн {d + 1}" if days <= 7 else str(d + 1) for d in range(days)],
        metric_labels=LABELS_RU,
        pace_label="Темп",
        series=series,
        pace=(
            {m: [t * (d + 1) / days for d in range(days)] for m, t in PACE_TOTALS.items()}
            if pace
            else {}
        ),
        language=language,
    )


# --- team chart -----------------------------------------------------------------------------


def test_team_chart_is_a_phone_sized_png() -> None:
    png = no_warnings(lambda: render_team_chart(team(10)))
    width, height = assert_phone_png(png)
    assert width == WIDTH_PX
    assert 20_000 < len(png) < 300_000
    assert height >= 600
    assert colours(png) > 20  # bars, text and grid were drawn, not a blank page


def test_one_to_sixty_people() -> None:
    pngs = {n: no_warnings(lambda n=n: render_team_chart(team(n))) for n in (1, 2, 30, 60)}
    heights = [assert_phone_png(png)[1] for png in pngs.values()]
    assert heights == sorted(heights)  # taller for bigger teams...
    assert png_size(pngs[30])[1] <= 1800  # ...30 people: a scroll or two on a phone
    assert heights[-1] <= 2000  # rows get thinner for big teams


def test_empty_team_renders_the_given_text() -> None:
    data = team(0)
    png = no_warnings(lambda: render_team_chart(data))
    assert_phone_png(png)
    blank = replace(data, empty_text="")
    assert pixels(render_team_chart(blank)) != pixels(png)  # the text was drawn


def test_all_zeros_and_no_targets() -> None:
    zero = PersonWeek("Иван", dict.fromkeys(("calls", "meetings", "deals", "revenue"), 0), {})
    data = replace(team(1), people=[zero, zero])
    assert_phone_png(no_warnings(lambda: render_team_chart(data)))
    assert_phone_png(no_warnings(lambda: render_team_chart(team(5, targets=False))))


def test_missing_metrics_and_labels_do_not_crash() -> None:
    people = [PersonWeek("Иван", {"calls": 5}, {"deals": 2}), PersonWeek("Анна", {}, {})]
    data = TeamChartData("T", {}, "", "", people, "ru")
    assert_phone_png(no_warnings(lambda: render_team_chart(data)))


def test_targets_change_the_picture() -> None:
    with_targets = pixels(render_team_chart(team(3)))
    assert with_targets != pixels(render_team_chart(team(3, targets=False)))


def test_huge_revenue_and_english_numbers() -> None:
    rich = PersonWeek("Big Deal", {"calls": 1, "revenue": 987_654_321_00}, {"revenue": 10**12})
    data = replace(team(2, language="en"), people=[rich, person(1)])
    assert_phone_png(no_warnings(lambda: render_team_chart(data)))


def test_long_title_and_legend_fit() -> None:
    data = replace(team(3), title="Очень длинное название отдела " * 5)
    assert_phone_png(no_warnings(lambda: render_team_chart(data)))


# --- names and text -------------------------------------------------------------------------


def test_cyrillic_names_render_without_warnings() -> None:
    data = team(2, names=["Ольга Смирнова", "Иван"])
    assert_phone_png(no_warnings(lambda: render_team_chart(data)))


def test_dejavu_lacks_emoji_so_the_stripping_matters() -> None:
    """Drawing an emoji straight away warns "Glyph ... missing": the tests below mean something."""
    fig = Figure()
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, "🚀", fontfamily="DejaVu Sans")
    with pytest.warns(UserWarning, match="missing from font"):
        fig.savefig(io.BytesIO(), format="png")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Иван 🚀", "Иван"),
        ("👨‍👩‍👧 Ольга", "Ольга"),  # family emoji: ZWJs go too
        ("🇷🇺 Пётр ❤️", "Пётр ❤"),  # U+2764 is in DejaVu, its variation selector is dropped
        ("Li 李 Wei", "Li Wei"),
        ("A\tB\nC\x00", "A B C"),
        ("Выручка, ₽ · «Север» — 23–29", "Выручка, ₽ · «Север» — 23–29"),
    ],
)
def test_text_is_reduced_to_what_the_font_can_draw(raw: str, clean: str) -> None:
    assert charts._clean(raw) == clean


def test_emoji_names_render_without_warnings_and_are_dropped() -> None:
    names = ["Иван 🚀", "👨‍👩‍👧 Ольга", "🔥🔥🔥", "李 Wei"]
    plain = ["Иван", "Ольга", "", "Wei"]
    fancy = no_warnings(lambda: render_team_chart(team(4, names=names)))
    assert_phone_png(fancy)
    # The emoji leave no trace: the same picture as the names without them.
    assert pixels(fancy) == pixels(render_team_chart(team(4, names=plain)))


def test_emoji_in_titles_and_labels() -> None:
    data = PersonChartData(
        title="🚀 Ольга",
        day_labels=["Пн 🙂", "Вт"],
        metric_labels={"calls": "📞 Звонки"},
        pace_label="Темп 🐢",
        series={"calls": [1, 2]},
        pace={"calls": [1.0, 2.0]},
        language="ru",
    )
    assert_phone_png(no_warnings(lambda: render_person_chart(data)))


def test_dollars_and_backslashes_are_not_mathtext() -> None:
    """'$\\frac{$' would be a mathtext syntax error at draw time if it were parsed."""
    odd = "Bob $\\frac{$ 5$ \\alpha"
    data = TeamChartData(
        title=odd,
        metric_labels=dict.fromkeys(("calls", "meetings", "deals"), odd),
        target_label=odd,
        revenue_label=odd,
        people=[person(0, odd), person(1)],
        language="en",
    )
    assert_phone_png(no_warnings(lambda: render_team_chart(data)))
    data_p = replace(person_chart(), title=odd, day_labels=[odd] * 7)
    assert_phone_png(no_warnings(lambda: render_person_chart(data_p)))


def test_long_names_are_cut_with_an_ellipsis() -> None:
    name = charts._name("Константин Константинопольский")
    assert len(name) == MAX_NAME
    assert name.endswith("…")
    assert charts._name("Иван") == "Иван"
    assert charts._name("🚀") == "—"


def test_numbers_follow_the_language() -> None:
    assert charts._Numbers("ru").full(15_000) == "15 000"  # Babel's no-break space, made plain
    assert charts._Numbers("en").full(15_000) == "15,000"
    assert charts._Numbers("en").short(1_500_000) == "1.5M"
    assert charts._Numbers("ru").short(1_500_000).startswith("1,5")
    assert charts._Numbers("zz").full(15_000) == "15,000"  # unknown language: English


def test_font_sizes_are_phone_sized() -> None:
    smallest = min(
        charts.TITLE_PX, charts.PANEL_TITLE_PX, charts.LABEL_PX, charts.VALUE_PX, charts.EMPTY_PX
    )
    assert smallest >= 16


# --- person chart ---------------------------------------------------------------------------


def test_person_week_chart() -> None:
    png = no_warnings(lambda: render_person_chart(person_chart(7)))
    width, _ = assert_phone_png(png)
    assert width == WIDTH_PX
    assert colours(png) > 20


def test_person_month_chart_without_pace() -> None:
    assert_phone_png(no_warnings(lambda: render_person_chart(person_chart(31, pace=False))))


def test_person_chart_long_day_labels() -> None:
    data = replace(person_chart(31), day_labels=[f"Понедельник, {d} ноября" for d in range(31)])
    assert_phone_png(no_warnings(lambda: render_person_chart(data)))


def test_person_series_shorter_or_longer_than_the_days() -> None:
    month = person_chart(31)
    # A month in progress: 12 days so far, pace for all 31; one series too long; an extra metric.
    data = replace(month, series={"calls": [3] * 12, "meetings": [1] * 40, "leads": [2] * 12})
    assert_phone_png(no_warnings(lambda: render_person_chart(data)))


@pytest.mark.parametrize("what", ["no days", "no series"])
def test_person_chart_with_nothing_to_show(what: str) -> None:
    week = person_chart(7)
    if what == "no days":
        data = replace(week, day_labels=[], empty_text="Пока пусто")
    else:
        data = replace(week, series={}, empty_text="Пока пусто")
    assert_phone_png(no_warnings(lambda: render_person_chart(data)))


def test_person_chart_all_zeros() -> None:
    data = replace(person_chart(7), series={"calls": [0] * 7, "deals": [0] * 7})
    assert_phone_png(no_warnings(lambda: render_person_chart(data)))


# --- resources, global state, threads -------------------------------------------------------


def test_no_pyplot_and_no_backend_switch() -> None:
    tree = ast.parse((ROOT / "bot" / "charts.py").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported |= {f"{node.module}.{alias.name}" for alias in node.names}
            imported.add(node.module)
        elif isinstance(node, ast.Attribute) and node.attr in ("use", "rcParams", "rc"):
            pytest.fail(f"charts.py touches matplotlib.{node.attr}")
    assert not {name for name in imported if "pyplot" in name or "pylab" in name}
    # Nor does anything it imports load pyplot (checked in a fresh interpreter).
    code = (
        "import sys; from bot.charts import render_team_chart, TeamChartData;"
        "render_team_chart(TeamChartData('t', {}, '', '', [], 'en'));"
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_rc_params_are_left_alone() -> None:
    before = dict(matplotlib.rcParams)
    render_team_chart(team(3))
    render_person_chart(person_chart(7))
    assert dict(matplotlib.rcParams) == before


def _live(kind: type) -> int:
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


def measure_memory_growth() -> None:
    """Run in a fresh interpreter by the test below.

    200 renders of a one-person team chart (the same code path as any team, the cheapest).

    Whole run: no Figure or Axes survives and the number of live objects stays flat. Last
    MEMORY_TRACED renders: traced memory grows by less than MEMORY_LIMIT * MEMORY_TRACED / 200,
    i.e. less than MEMORY_LIMIT over 200 renders at that rate.
    """
    data = team(1)
    render_team_chart(data)  # warm up font and text caches
    figures, axes = _live(Figure), _live(Axes)
    objects = len(gc.get_objects())
    for _ in range(MEMORY_RENDERS - MEMORY_TRACED):
        render_team_chart(data)

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(MEMORY_TRACED):
            render_team_chart(data)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()

    growth = after - before
    print(f"traced growth over {MEMORY_TRACED} renders: {growth / 1024:.0f} KiB")
    assert growth < MEMORY_LIMIT * MEMORY_TRACED / MEMORY_RENDERS
    assert (_live(Figure), _live(Axes)) == (figures, axes)
    assert len(gc.get_objects()) - objects < 5_000  # caches may settle; a leak would be 100k+


def test_no_memory_growth_over_200_renders() -> None:
    # A fresh interpreter: allocations by whatever earlier tests left running must not count.
    code = "from tests.unit.test_charts import measure_memory_growth; measure_memory_growth()"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr


async def test_render_png_runs_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def render(data: TeamChartData) -> bytes:
        threads.append(threading.get_ident())
        return render_team_chart(data)

    assert_phone_png(await render_png(render, team(1)))
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert_phone_png(await render_png(render, team(1), pool))
    assert len(threads) == 2
    assert loop_thread not in threads


CONCURRENT_JOBS: list[tuple[Callable[..., bytes], object]] = [
    (render_team_chart, team(1)),
    (render_team_chart, team(10, language="en")),
    (render_team_chart, team(3)),
    (render_team_chart, team(0)),
    (render_team_chart, team(2, targets=False)),
    (render_person_chart, person_chart(7)),
    (render_person_chart, person_chart(31, pace=False)),
    (render_person_chart, person_chart(14, language="en")),
]


@pytest.fixture(scope="module")
def sequential() -> list[tuple[tuple[int, int], str, bytes]]:
    """The pixels of each of CONCURRENT_JOBS rendered one after another."""
    return [pixels(render(data)) for render, data in CONCURRENT_JOBS]


@pytest.mark.parametrize("use_pool", [False, True], ids=["to_thread", "executor"])
async def test_concurrent_renders_match_sequential_ones(
    use_pool: bool, sequential: list[tuple[tuple[int, int], str, bytes]]
) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        executor = pool if use_pool else None
        results = await asyncio.gather(
            *(render_png(render, data, executor) for render, data in CONCURRENT_JOBS)
        )
    assert len(results) == 8
    for png, want in zip(results, sequential, strict=True):
        assert_phone_png(png)
        assert pixels(png) == want
