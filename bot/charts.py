"""PNG charts of a team's and a salesperson's results, sized to be read on a phone.

Only matplotlib's object API is used (``Figure`` + ``FigureCanvasAgg``): no pyplot, no global
figure registry, no rcParams changes. Every font size and family is passed explicitly, so
rendering neither depends on nor alters global state, and charts can be rendered concurrently in
threads. Rendering is CPU-bound (0.1-0.5 s); coroutines call ``await render_png(render_team_chart,
data)``, which renders in a worker thread.

Layout is done by hand in pixels (text is measured with a private Agg renderer) instead of
matplotlib's constrained layout, which costs about a third more CPU per chart.

All words come from the caller (already translated); this module only formats numbers (Babel).
Text is reduced to the characters DejaVu Sans (bundled with matplotlib) can draw: emoji and
other missing glyphs are dropped instead of being drawn as boxes with a "Glyph missing" warning.
"""

from __future__ import annotations

import asyncio
import functools
import io
import itertools
import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, TypeVar

from babel import Locale, UnknownLocaleError
from babel.numbers import format_compact_decimal, format_decimal

if TYPE_CHECKING:
    from matplotlib import font_manager, ft2font
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.domain import round_half_up

__all__ = [
    "COUNT_METRICS",
    "MAX_NAME",
    "WIDTH_PX",
    "PersonChartData",
    "PersonWeek",
    "TeamChartData",
    "render_person_chart",
    "render_png",
    "render_team_chart",
]

T = TypeVar("T")


def _load_matplotlib() -> None:
    """matplotlib (about 50 MB with numpy) is loaded by the first chart drawn, in the process
    that draws it (a chart worker): the bot's own process never needs it."""
    global font_manager, ft2font, FigureCanvasAgg, RendererAgg, Figure
    global FontProperties, Line2D, FuncFormatter, MaxNLocator
    from matplotlib import font_manager, ft2font
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, MaxNLocator


# Metrics drawn as counts, in this order; "revenue" (kopecks) gets its own panel on team charts.
COUNT_METRICS = ("calls", "meetings", "deals")
REVENUE = "revenue"

FONT_FAMILY = "DejaVu Sans"
DPI = 100
WIDTH_PX = 1080

# Text heights in pixels (converted to points for matplotlib with _pt).
TITLE_PX = 28
PANEL_TITLE_PX = 22
LABEL_PX = 19  # tick labels, names, legend
VALUE_PX = 17  # numbers printed at the ends of bars and lines
EMPTY_PX = 26

MARGIN_PX = 16
LINE = 1.3  # line height / font height

MAX_NAME = 18  # longer names are cut to MAX_NAME - 1 characters + "…"
ELLIPSIS = "…"
NO_TEXT = "—"  # a name that had nothing drawable (e.g. only emoji)
VARIATION_SELECTORS = ("\ufe00", "\ufe0f")

COLORS = {
    "calls": "#3b75af",
    "meetings": "#3a9a5b",
    "deals": "#d1495b",
    REVENUE: "#7b5ea7",
}
OTHER_COLOR = "#5f6b7a"
TARGET_COLOR = "#111111"
PACE_COLOR = "#444444"
PACE_DASHES = (0, (5, 3))
GRID_COLOR = "#d9d9d9"
TEXT_COLOR = "#222222"
MUTED_COLOR = "#666666"

# Team chart: pixels per person row (shrinks for big teams to keep the picture's height sane).
ROW_PX = 46
MIN_ROW_PX = 26
MAX_ROWS_HEIGHT_PX = 1500
MIN_ROWS = 5  # a team of one gets a bar of normal thickness, centred in a 5-row space
VALUE_LABEL_MIN_ROW_PX = 34  # numbers at the bar ends only while rows are tall enough
PANEL_GAP_PX = 44
REVENUE_WIDTH = 1.45  # revenue panel width relative to a count panel
BAR_HEIGHT = 0.66  # of a row
TARGET_HALF = 0.44  # target tick half-height, of a row

PERSON_PANEL_PX = 270
PERSON_GAP_PX = 26
MAX_DAY_TICKS = 8
DAY_LABEL_GAP_PX = 24
EMPTY_HEIGHT_PX = 600
X_TICK_PX = 12  # tick length + pad below an axis, above its labels


@dataclass(frozen=True, slots=True)
class PersonWeek:
    name: str
    values: dict[str, int]  # metric -> value for the period; "revenue" in kopecks
    targets: dict[str, float | None]  # metric -> target for the period (exact) or None


@dataclass(frozen=True, slots=True)
class TeamChartData:
    title: str  # "Sales North · 23–29 Nov"
    metric_labels: dict[str, str]  # "calls" -> "Calls"/"Звонки", ...
    target_label: str  # legend text for target markers
    revenue_label: str  # title of the revenue panel, e.g. "Revenue, ₽"
    people: Sequence[PersonWeek]
    language: str  # "en" | "ru": number formatting
    empty_text: str = ""  # shown instead of the panels when there are no people


@dataclass(frozen=True, slots=True)
class PersonChartData:
    title: str
    day_labels: Sequence[str]  # one per day of the period: 7 for a week, up to 31 for a month
    metric_labels: dict[str, str]
    pace_label: str  # legend text for the pace line
    series: Mapping[str, Sequence[int]]  # metric -> value per day
    pace: Mapping[str, Sequence[float]]  # metric -> cumulative expected by that day; may be empty
    language: str
    empty_text: str = ""  # shown when there are no days or no series


# --- public API -----------------------------------------------------------------------------


async def render_png(
    render: Callable[[T], bytes], data: T, executor: Executor | None = None
) -> bytes:
    """Run ``render(data)`` off the event loop: in ``executor`` if given, else a worker thread."""
    if executor is None:
        return await asyncio.to_thread(render, data)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, render, data)


def render_team_chart(data: TeamChartData) -> bytes:
    _load_matplotlib()
    """Per-person calls / meetings / deals / revenue as horizontal bars with target ticks.

    One panel per metric, side by side on the same rows of names, each with its own scale
    (calls are counted in hundreds, deals in ones: on one axis the deals would be invisible).
    """
    fmt = _Numbers(data.language)
    page = _Page(_clean(data.title))
    if not data.people:
        return page.empty(_clean(data.empty_text))

    n = len(data.people)
    row_px = max(MIN_ROW_PX, min(ROW_PX, MAX_ROWS_HEIGHT_PX // n))
    rows_shown = max(n, MIN_ROWS)
    show_values = row_px >= VALUE_LABEL_MIN_ROW_PX
    names = [_name(p.name) for p in data.people]

    panels = [
        _BarPanel.of(data.people, m, _clean(data.metric_labels.get(m, m)), 1) for m in COUNT_METRICS
    ]
    panels.append(_BarPanel.of(data.people, REVENUE, _clean(data.revenue_label), 100))
    legend = []
    if any(p.has_targets for p in panels):
        legend.append((_target_handle(), _clean(data.target_label)))

    top = page.header(legend) + PANEL_TITLE_PX * LINE + 8
    plot_h = rows_shown * row_px
    fig = page.figure(top + plot_h + X_TICK_PX + LABEL_PX * LINE + MARGIN_PX)

    left = MARGIN_PX + max(page.width(name, LABEL_PX) for name in names) + 10
    unit = (WIDTH_PX - MARGIN_PX - left - 3 * PANEL_GAP_PX) / (3 + REVENUE_WIDTH)
    pad = (rows_shown - n) / 2
    rows = list(range(n))
    x = left
    for i, panel in enumerate(panels):
        width = unit * (REVENUE_WIDTH if panel.metric == REVENUE else 1)
        ax = page.axes(fig, x, top, width, plot_h)
        x += width + PANEL_GAP_PX
        ax.set_ylim(n - 0.5 + pad, -0.5 - pad)  # first person on top
        if i == 0:
            ax.set_yticks(rows, labels=names, parse_math=False)
            ax.tick_params(axis="y", length=0, pad=8)
        else:
            ax.set_yticks([])
        labels = [fmt.short(v) for v in panel.values] if show_values else []
        headroom = max((page.width(s, VALUE_PX) for s in labels), default=0)
        panel.draw(ax, rows, fmt, labels, (headroom + 12) / width)
    page.finish(fig, legend)
    return _png(fig)


def render_person_chart(data: PersonChartData) -> bytes:
    _load_matplotlib()
    """One panel per metric: the person's cumulative total by day against their pace line."""
    fmt = _Numbers(data.language)
    page = _Page(_clean(data.title))
    days = [_clean(d) for d in data.day_labels]
    metrics = [m for m in COUNT_METRICS if m in data.series]
    metrics += [m for m in data.series if m not in COUNT_METRICS]
    if not days or not metrics:
        return page.empty(_clean(data.empty_text))

    n = len(days)
    lines = []
    for metric in metrics:
        cumulative = list(itertools.accumulate(data.series[metric][:n]))
        pace = [float(v) for v in data.pace.get(metric, ())][:n]
        lines.append((metric, cumulative, pace))
    legend = []
    if any(pace for _, _, pace in lines):
        legend.append((_pace_handle(), _clean(data.pace_label)))

    # y axes: ticks first, so the left margin fits the widest tick label.
    scales = []
    for _, cumulative, pace in lines:
        top = max([*cumulative, *pace, 0.0])
        y_max = top * 1.25 if top > 0 else 1.0
        ticks = [t for t in _y_locator().tick_values(0, y_max) if 0 <= t <= y_max]
        scales.append((y_max, fmt.tick(top), ticks))
    left: float = MARGIN_PX + 10
    left += max(page.width(f(t, None), LABEL_PX) for _, f, ticks in scales for t in ticks)

    title_block = PANEL_TITLE_PX * LINE + 8
    top = page.header(legend)
    bottom_block = X_TICK_PX + LABEL_PX * LINE + MARGIN_PX
    height = top + len(lines) * (title_block + PERSON_PANEL_PX + PERSON_GAP_PX) + bottom_block
    fig = page.figure(height - PERSON_GAP_PX)

    # As many day labels as fit side by side (at most MAX_DAY_TICKS), always the last day's;
    # the first and last are centred on the plot's edges, so half a label must fit outside.
    widest = max(page.width(day, LABEL_PX) for day in days)
    left = max(left, MARGIN_PX + widest / 2)
    width = WIDTH_PX - left - max(MARGIN_PX, widest / 2 + 4)
    fitting = max(1, min(MAX_DAY_TICKS, int(width // (widest + DAY_LABEL_GAP_PX))))
    step = math.ceil(n / fitting)
    day_ticks = list(range(n - 1, -1, -step))[::-1]
    for i, ((metric, cumulative, pace), (y_max, tick_format, _)) in enumerate(
        zip(lines, scales, strict=True)
    ):
        top += title_block
        ax = page.axes(fig, left, top, width, PERSON_PANEL_PX)
        top += PERSON_PANEL_PX + PERSON_GAP_PX
        ax.set_xlim(-0.4, n - 0.6)
        if i == len(lines) - 1:
            ax.set_xticks(day_ticks, labels=[days[d] for d in day_ticks], parse_math=False)
        else:
            ax.set_xticks(day_ticks, labels=[])
        ax.set_ylim(0, y_max)
        ax.yaxis.set_major_locator(_y_locator())
        ax.yaxis.set_major_formatter(FuncFormatter(tick_format))
        _line_panel(
            ax,
            cumulative,
            pace,
            COLORS.get(metric, OTHER_COLOR),
            _clean(data.metric_labels.get(metric, metric)),
            fmt,
            n,
        )
    page.finish(fig, legend)
    return _png(fig)


# --- panels ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _BarPanel:
    metric: str
    label: str
    values: list[float]
    targets: list[float | None]

    @classmethod
    def of(cls, people: Sequence[PersonWeek], metric: str, label: str, divisor: int) -> _BarPanel:
        values = [p.values.get(metric, 0) / divisor for p in people]
        targets = [p.targets.get(metric) for p in people]
        return cls(metric, label, values, [None if t is None else t / divisor for t in targets])

    @property
    def has_targets(self) -> bool:
        return any(t is not None for t in self.targets)

    def draw(
        self, ax: Axes, rows: list[int], fmt: _Numbers, labels: list[str], headroom: float
    ) -> None:
        """Bars, target ticks and (if ``labels``) numbers; ``headroom``: share kept for them."""
        ax.barh(rows, self.values, height=BAR_HEIGHT, color=COLORS[self.metric], zorder=2)
        marked = [(row, t) for row, t in zip(rows, self.targets, strict=True) if t is not None]
        if marked:
            ax.vlines(
                [t for _, t in marked],
                [row - TARGET_HALF for row, _ in marked],
                [row + TARGET_HALF for row, _ in marked],
                colors=TARGET_COLOR,
                linewidth=3.5,
                zorder=3,
            )
        top = max([*self.values, *(t for _, t in marked), 0.0])
        _style_axes(ax, self.label)
        ax.grid(axis="x", color=GRID_COLOR, linewidth=1)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=3, integer=True, min_n_ticks=2))
        ax.xaxis.set_major_formatter(FuncFormatter(fmt.tick(top)))
        if top <= 0:
            ax.set_xlim(0, 1)
        elif labels:
            ax.set_xlim(0, top / max(0.5, 1 - headroom))
        else:
            ax.set_xlim(0, top * 1.05)
        for row, value, text in zip(rows, self.values, labels, strict=False):
            ax.annotate(
                text,
                (value, row),
                xytext=(5, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=_pt(VALUE_PX),
                fontfamily=FONT_FAMILY,
                color=TEXT_COLOR,
                parse_math=False,
                zorder=4,
                annotation_clip=False,
                # Over a target tick the number stays readable; the tick shows above and below.
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            )


def _line_panel(
    ax: Axes,
    cumulative: list[int],
    pace: list[float],
    color: str,
    label: str,
    fmt: _Numbers,
    n_days: int,
) -> None:
    if pace:
        ax.plot(range(len(pace)), pace, color=PACE_COLOR, linestyle=PACE_DASHES, linewidth=2.5)
    if cumulative:
        xs = range(len(cumulative))
        marker = "o" if n_days <= 14 else None
        ax.fill_between(xs, cumulative, color=color, alpha=0.15, linewidth=0, zorder=1)
        ax.plot(xs, cumulative, color=color, linewidth=3.5, marker=marker, markersize=8, zorder=3)
        ax.annotate(
            fmt.short(cumulative[-1]),
            (len(cumulative) - 1, cumulative[-1]),
            xytext=(4, 8),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=_pt(VALUE_PX),
            fontfamily=FONT_FAMILY,
            fontweight="bold",
            color=color,
            parse_math=False,
            zorder=4,
        )
    _style_axes(ax, label)
    ax.grid(axis="y", color=GRID_COLOR, linewidth=1)


def _style_axes(ax: Axes, label: str) -> None:
    ax.set_title(
        label,
        loc="left",
        fontsize=_pt(PANEL_TITLE_PX),
        fontfamily=FONT_FAMILY,
        fontweight="bold",
        color=TEXT_COLOR,
        parse_math=False,
        pad=6,
    )
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(
        labelsize=_pt(LABEL_PX), labelfontfamily=FONT_FAMILY, labelcolor=TEXT_COLOR, length=4
    )


def _y_locator() -> MaxNLocator:
    return MaxNLocator(nbins=4, integer=True, min_n_ticks=2)


def _target_handle() -> Line2D:
    return Line2D([], [], color=TARGET_COLOR, marker="|", linestyle="none", markersize=20, mew=3.5)


def _pace_handle() -> Line2D:
    return Line2D([], [], color=PACE_COLOR, linestyle=PACE_DASHES, linewidth=2.5)


# --- page layout ----------------------------------------------------------------------------


def _pt(px: float) -> float:
    """Font size in points for text ``px`` pixels high at DPI."""
    return px * 72 / DPI


class _Page:
    """A figure WIDTH_PX wide laid out top-down in pixels: title line, legend, content."""

    LEGEND_HANDLE_PX = 40
    LEGEND_GAP_PX = 10  # handle - text
    LEGEND_SPACING_PX = 28  # between entries / between title and legend

    def __init__(self, title: str) -> None:
        self.title = title
        self.renderer = RendererAgg(1, 1, DPI)  # for measuring text only
        self.height = 0.0
        self.legend_y = 0.0  # centre of the legend line, px from the top
        self.title_size = TITLE_PX

    def width(self, text: str, px: float, bold: bool = False) -> float:
        prop = FontProperties(family=FONT_FAMILY, size=_pt(px), weight="bold" if bold else None)
        return self.renderer.get_text_width_height_descent(text, prop, ismath=False)[0]

    def legend_width(self, legend: list[tuple[Line2D, str]]) -> float:
        entries = [
            self.LEGEND_HANDLE_PX + self.LEGEND_GAP_PX + self.width(text, LABEL_PX)
            for _, text in legend
        ]
        return sum(entries) + self.LEGEND_SPACING_PX * (len(entries) - 1)

    def header(self, legend: list[tuple[Line2D, str]]) -> float:
        """Fit the title (and legend) into the top lines; returns the px used below the top."""
        available: float = WIDTH_PX - 2 * MARGIN_PX
        title_line = TITLE_PX * LINE
        y = MARGIN_PX + title_line
        self.legend_y = MARGIN_PX + title_line / 2
        if legend:
            beside = available - self.legend_width(legend) - self.LEGEND_SPACING_PX
            if self.width(self.title, TITLE_PX, bold=True) <= beside:
                available = beside
            else:  # legend on a line of its own, under the title
                self.legend_y = y + LABEL_PX * LINE / 2
                y += LABEL_PX * LINE
        self.title = self._fit(self.title, available)
        return y + 12

    def _fit(self, text: str, available: float) -> str:
        """``text`` at TITLE_PX, or smaller down to LABEL_PX, else cut with "…" to fit."""
        for px in range(TITLE_PX, LABEL_PX - 1, -3):
            if self.width(text, px, bold=True) <= available:
                self.title_size = px
                return text
        self.title_size = LABEL_PX
        while len(text) > 1 and self.width(text + ELLIPSIS, LABEL_PX, bold=True) > available:
            text = text[:-1]
        return text.rstrip() + ELLIPSIS

    def figure(self, height_px: float) -> Figure:
        self.height = math.ceil(height_px)
        fig = Figure(figsize=(WIDTH_PX / DPI, self.height / DPI), dpi=DPI, facecolor="white")
        FigureCanvasAgg(fig)
        return fig

    def axes(self, fig: Figure, x: float, y: float, width: float, height: float) -> Axes:
        """Axes whose plot area spans ``width`` x ``height`` px from (x, y) px (top-left)."""
        box = (x / WIDTH_PX, 1 - (y + height) / self.height, width / WIDTH_PX)
        return fig.add_axes((*box, height / self.height))

    def finish(self, fig: Figure, legend: list[tuple[Line2D, str]]) -> None:
        fig.text(
            MARGIN_PX / WIDTH_PX,
            1 - (MARGIN_PX + TITLE_PX * LINE / 2) / self.height,
            self.title,
            ha="left",
            va="center_baseline",
            fontsize=_pt(self.title_size),
            fontfamily=FONT_FAMILY,
            fontweight="bold",
            color=TEXT_COLOR,
            parse_math=False,
        )
        x = WIDTH_PX - MARGIN_PX - self.legend_width(legend)
        y = 1 - self.legend_y / self.height
        for handle, text in legend:
            x0, x1 = x / WIDTH_PX, (x + self.LEGEND_HANDLE_PX) / WIDTH_PX
            xs = [(x0 + x1) / 2] if handle.get_linestyle() == "None" else [x0, x1]
            handle.set_data(xs, [y] * len(xs))  # a lone marker, or a line segment
            handle.set_transform(fig.transFigure)
            fig.add_artist(handle)
            x += self.LEGEND_HANDLE_PX + self.LEGEND_GAP_PX
            fig.text(
                x / WIDTH_PX,
                y,
                text,
                ha="left",
                va="center_baseline",
                fontsize=_pt(LABEL_PX),
                fontfamily=FONT_FAMILY,
                color=TEXT_COLOR,
                parse_math=False,
            )
            x += self.width(text, LABEL_PX) + self.LEGEND_SPACING_PX

    def empty(self, text: str) -> bytes:
        """Just the title and ``text`` in the middle: nothing to chart."""
        self.header([])
        fig = self.figure(EMPTY_HEIGHT_PX)
        fig.text(
            0.5,
            0.5,
            text,
            ha="center",
            va="center",
            wrap=True,
            fontsize=_pt(EMPTY_PX),
            fontfamily=FONT_FAMILY,
            color=MUTED_COLOR,
            parse_math=False,
        )
        self.finish(fig, [])
        return _png(fig)


def _png(fig: Figure) -> bytes:
    """Encode ``fig``; nothing else refers to it, so it is freed with the caller's frame."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


# --- text and numbers -----------------------------------------------------------------------


@functools.cache
def _drawable() -> frozenset[int]:
    """Code points both DejaVu Sans faces used here (regular and bold) have glyphs for."""
    _load_matplotlib()
    points: frozenset[int] | None = None
    for weight in ("normal", "bold"):
        path = font_manager.findfont(
            FontProperties(family=FONT_FAMILY, weight=weight), fallback_to_default=False
        )
        charmap = frozenset(ft2font.FT2Font(path).get_charmap())
        points = charmap if points is None else points & charmap
    assert points is not None
    return points


def _clean(text: str) -> str:
    """``text`` on one line, without characters the font cannot draw (emoji, CJK, controls).

    Invisible format characters (zero-width joiners, direction marks) and variation selectors go
    too: Agg does no shaping, and they would be left over from the emoji they belonged to.
    """
    drawable = _drawable()
    kept = []
    for char in text:
        if char.isspace():
            kept.append(" ")
        elif (
            ord(char) in drawable
            and unicodedata.category(char) not in ("Cc", "Cf")
            and not VARIATION_SELECTORS[0] <= char <= VARIATION_SELECTORS[1]
        ):
            kept.append(char)
    return " ".join("".join(kept).split())


def _name(name: str) -> str:
    cleaned = _clean(name)
    if not cleaned:
        return NO_TEXT
    if len(cleaned) > MAX_NAME:
        return cleaned[: MAX_NAME - 1].rstrip() + ELLIPSIS
    return cleaned


class _Numbers:
    """Locale-aware numbers: '15 000' (ru) / '15,000' (en); '1,5 млн' / '1.5M' from a million."""

    COMPACT_FROM = 1_000_000

    def __init__(self, language: str) -> None:
        try:
            self.locale = Locale.parse(language.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            self.locale = Locale.parse("en")

    def full(self, value: float) -> str:
        # Half up, as every number the bot shows (Python's round() goes half to even).
        whole = round_half_up(Fraction(value))
        return _clean(format_decimal(whole, format="#,##0", locale=self.locale))

    def short(self, value: float) -> str:
        if abs(value) >= self.COMPACT_FROM:
            # Rounded half up to the one decimal shown (1.25M -> 1.3M) before Babel sees it.
            step = 10 ** (3 * ((len(str(int(abs(value)))) - 1) // 3)) // 10
            value = round_half_up(Fraction(value) / step) * step
            compact = format_compact_decimal(value, fraction_digits=1, locale=self.locale)
            return _clean(compact)
        return self.full(value)

    def tick(self, top: float) -> Callable[[float, int | None], str]:
        """Tick formatter for an axis reaching ``top``: full numbers, compact if huge."""
        if top >= self.COMPACT_FROM:
            return lambda value, _pos: self.short(value) if value else "0"
        return lambda value, _pos: self.full(value)
