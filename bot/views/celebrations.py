"""Cheers in the team's group when someone (or the team) crosses a target."""

from bot.texts import Safe, Translator
from bot.views.common import MAX_TEXT, metric_quantity, telegram_length
from models import Celebration, Metric

TEAM_SUBJECT = 0  # Celebration.subject of a team-wide target
# Telegram's limit is 4096; a long night's list is split below it.
MAX_MESSAGE = MAX_TEXT - 96


def celebration_line(t: Translator, celebration: Celebration) -> str:
    if celebration.metric is Metric.REVENUE:
        amount = t("celebrate.revenue", amount=t.money(celebration.target))
    else:
        amount = metric_quantity(t, celebration.metric, celebration.target)
    key = "celebrate.team" if celebration.subject == TEAM_SUBJECT else "celebrate.person"
    return t(
        key,
        name=celebration.name,
        target=Safe(amount),
        period=t(f"per.{celebration.period.value}"),
    )


def celebration_messages(t: Translator, celebrations: list[Celebration]) -> list[tuple[int, str]]:
    """The lines grouped into messages under Telegram's length limit, each with the id of its
    first celebration (which names the message in the outbox)."""
    messages: list[tuple[int, list[str]]] = []
    size = 0
    for celebration in celebrations:
        line = celebration_line(t, celebration)
        length = telegram_length(line) + 1
        if not messages or size + length > MAX_MESSAGE:
            messages.append((celebration.id, []))
            size = 0
        messages[-1][1].append(line)
        size += length
    return [(first, "\n".join(lines)) for first, lines in messages]
