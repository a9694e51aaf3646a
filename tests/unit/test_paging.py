"""The paging helpers of bot/views/paging.py on their edges: lengths as Telegram counts them,
splits that never lose or reorder a part, captions that never cut silently."""

from hypothesis import given
from hypothesis import strategies as st

from bot.texts import Translator
from bot.views.common import MAX_CAPTION, MAX_TEXT
from bot.views.paging import (
    caption_with_list,
    fit_caption,
    page,
    split_message,
    visible_length,
)

EN = Translator("en")


def test_visible_length_counts_parsed_html_in_utf16_units() -> None:
    assert visible_length("<b>a &amp; b</b>") == len("a & b")
    assert visible_length("😀") == 2  # one emoji, two UTF-16 code units


@given(st.lists(st.text(alphabet="ab<&>😀 ", min_size=0, max_size=300), max_size=60))
def test_split_message_keeps_every_part_in_order_and_each_message_fits(parts: list[str]) -> None:
    escaped = [
        part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for part in parts
    ]
    messages = split_message(escaped, limit=500)
    assert all(visible_length(message) <= 500 for message in messages)
    kept = [part for message in messages for part in message.split("\n")]
    assert [p for p in kept if p.strip()] == [p for p in escaped if p.strip()]


def test_pages_cover_every_block_once_within_the_limit() -> None:
    blocks = [f"{n}. " + "x" * 150 for n in range(200)]
    first = page(EN, "<b>Title</b>", blocks, "hint", 0)
    assert first.count > 1 and first.index == 0
    seen = []
    for index in range(first.count):
        shown = page(EN, "<b>Title</b>", blocks, "hint", index)
        assert visible_length(shown.text) <= MAX_TEXT
        assert shown.text.endswith(f"Page {index + 1} of {first.count}")
        seen += list(shown.shown)
    assert seen == list(range(200))
    assert page(EN, "T", blocks, "", 10_000).index == first.count - 1  # an old button: clamped
    assert page(EN, "T", blocks, "", None, showing=0).index == 0
    assert page(EN, "T", ["one"], "", None).text == "T\n\none"  # one page: no label


def test_caption_names_who_fits_and_the_whole_list_follows() -> None:
    names = [f"Name {n:03d} " + "я" * 55 for n in range(150)]

    def line(shown: object, rest: int) -> str:
        text = ", ".join(shown)  # type: ignore[call-overload]
        return f"Behind: {text} …and {rest} more" if rest else f"Behind: {text}"

    caption = caption_with_list(["Title"], line, names, ["All:", *names])
    assert visible_length(caption.text) <= MAX_CAPTION
    listed = caption.text.count("Name ")
    assert listed > 0 and caption.text.endswith(f"…and {150 - listed} more")
    lines = [x for message in caption.follow_up for x in message.split("\n")]
    assert lines == ["All:", *names]
    short = caption_with_list(["Title"], line, names[:2], ["All:", *names[:2]])
    assert short.follow_up == [] and short.text == f"Title\nBehind: {names[0]}, {names[1]}"


def test_fit_caption_moves_what_does_not_fit_after_the_picture() -> None:
    assert fit_caption("short").follow_up == []
    lines = [f"line {n} " + "x" * 100 for n in range(20)]
    fitted = fit_caption("\n".join(lines))
    assert visible_length(fitted.text) <= MAX_CAPTION
    assert fitted.text.split("\n") + "\n".join(fitted.follow_up).split("\n") == lines
