"""The daily reminder's text."""

from bot.services.reminders import Standing
from bot.texts import Translator
from bot.views.common import metric_quantity, quantities


def reminder(t: Translator, standing: Standing, on_track_notes: bool) -> str | None:
    """The nudge, an "on track" line, or None (on track and such notes turned off)."""
    parts = quantities(t, standing.today)
    numbers = ", ".join(parts) if parts else t("remind.nothing_yet")
    if standing.behind:
        lines = [t("remind.title", numbers=numbers), t("remind.to_pace")]
        lines += [
            t(
                "remind.left",
                left=metric_quantity(t, behind.metric, behind.left),
                target=metric_quantity(t, behind.metric, behind.target),
                period=t(f"remind.period.{behind.period.value}"),
            )
            for behind in standing.behind
        ]
        return "\n".join([*lines, t("remind.commands")])
    if standing.has_targets:
        return t("remind.on_track", numbers=numbers) if on_track_notes else None
    return t("remind.no_targets", numbers=numbers)
