"""Long texts within Telegram's limits, whatever the team's size.

Three shapes, chosen per message: a page of a list with ◀ ▶ buttons (the press renders the page
again from current data), several messages in a row, or a caption whose list is cut to
"…and N more" with the whole list in messages after the photo or file. Lengths are counted as
Telegram counts them: after the HTML is parsed, in UTF-16 code units.
"""

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from bot.texts import Translator
from bot.views.common import MAX_CAPTION, MAX_TEXT, telegram_length

_TAG_RE = re.compile(r"<[^>]*>")
# The "page N of M" line and the blank lines around the parts, with room to spare.
_PAGE_FRAME = 64


def visible_length(text: str) -> int:
    """The length Telegram checks: markup parsed away, entities unescaped, UTF-16 units."""
    return telegram_length(html.unescape(_TAG_RE.sub("", text)))


def page_ranges(blocks: Sequence[str], budget: int, max_blocks: int | None = None) -> list[range]:
    """Consecutive blocks grouped so that each group, a block a line, fits `budget` (and has at
    most `max_blocks`); always at least one group, empty when there are no blocks."""
    ranges: list[range] = []
    start = used = 0
    for index, block in enumerate(blocks):
        size = visible_length(block) + 1
        full = used + size > budget or (max_blocks is not None and index - start >= max_blocks)
        if index > start and full:
            ranges.append(range(start, index))
            start, used = index, 0
        used += size
    ranges.append(range(start, len(blocks)))
    return ranges


@dataclass(frozen=True, slots=True)
class Page:
    text: str
    index: int  # 0-based, after clamping
    count: int
    shown: range  # the blocks on this page


def page(
    t: Translator,
    head: str,
    blocks: Sequence[str],
    foot: str,
    index: int | None,
    *,
    max_blocks: int | None = None,
    showing: int | None = None,
) -> Page:
    """Page `index` of head, blocks and foot (out of range: the nearest page; None: the last,
    or the one with block `showing`), with "page N of M" when there is more than one."""
    budget = MAX_TEXT - visible_length(head) - visible_length(foot) - _PAGE_FRAME
    ranges = page_ranges(blocks, budget, max_blocks)
    if index is None:
        index = len(ranges) - 1
        if showing is not None:
            index = next((i for i, shown in enumerate(ranges) if showing in shown), index)
    index = min(max(index, 0), len(ranges) - 1)
    shown = ranges[index]
    parts = [head, "", *blocks[shown.start : shown.stop]]
    if foot:
        parts += ["", foot]
    if len(ranges) > 1:
        parts += ["", t("page.of", n=t.number(index + 1), count=t.number(len(ranges)))]
    return Page("\n".join(parts), index, len(ranges), shown)


def page_buttons(
    current: Page, button: Callable[[int], CallbackData]
) -> list[InlineKeyboardButton]:
    """◀ and ▶ to the neighbouring pages (none on a single page)."""
    row = []
    if current.index > 0:
        row.append(InlineKeyboardButton(text="◀", callback_data=button(current.index - 1).pack()))
    if current.index < current.count - 1:
        row.append(InlineKeyboardButton(text="▶", callback_data=button(current.index + 1).pack()))
    return row


def split_message(parts: Sequence[str], separator: str = "\n", limit: int = MAX_TEXT) -> list[str]:
    """A text too long for one message as several, each cut between two parts (lines or
    paragraphs; a part never spans HTML tags), with no blank part opening or closing one."""
    gap = visible_length(separator)
    messages: list[list[str]] = [[]]
    used = 0
    for part in parts:
        size = visible_length(part)
        if messages[-1] and used + gap + size > limit:
            messages.append([])
            used = 0
        if not messages[-1] and not part.strip():
            continue
        used += size + (gap if messages[-1] else 0)
        messages[-1].append(part)
    texts = []
    for message in messages:
        while message and not message[-1].strip():
            message.pop()
        if message:
            texts.append(separator.join(message))
    return texts


@dataclass(frozen=True, slots=True)
class Caption:
    text: str
    follow_up: list[str]  # messages sent right after the photo or file


def caption_with_list(
    lines: Sequence[str],
    list_line: Callable[[Sequence[str], int], str],
    items: Sequence[str],
    full_list: Sequence[str],
) -> Caption:
    """`lines`, then `list_line(shown, left_out)` naming `items`. When the caption cannot hold
    them all, it names as many as fit ("…and N more") and `full_list` (a title, then the items)
    follows as messages of its own: never cut silently."""
    whole = "\n".join([*lines, list_line(items, 0)])
    if visible_length(whole) <= MAX_CAPTION:
        return Caption(whole, [])
    low, high = 0, len(items) - 1  # the most items that fit, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        text = "\n".join([*lines, list_line(items[:middle], len(items) - middle)])
        if visible_length(text) <= MAX_CAPTION:
            low = middle
        else:
            high = middle - 1
    text = "\n".join([*lines, list_line(items[:low], len(items) - low)])
    return Caption(fit_caption(text).text, split_message(full_list))


def fit_caption(text: str) -> Caption:
    """A caption as is when it fits; else the lines that fit, and the rest in messages after."""
    lines = text.split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if visible_length("\n".join([*kept, line])) > MAX_CAPTION:
            return Caption("\n".join(kept), split_message(lines[index:]))
        kept.append(line)
    return Caption(text, [])
