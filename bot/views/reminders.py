"""The daily reminder's text."""

from bot.services.reminders import Behind, Standing
from bot.texts import Safe, Translator
from bot.views.common import metric_amount, metric_quantity, metric_target, quantities
from bot.views.rewards import streak_reminder


def _behind_line(t: Translator, behind: Behind) -> str:
    """As /month says it: how far behind, and what each working day left needs."""
    pace, metric = behind.pace, behind.metric
    target = t(
        f"remind.target.{behind.period.value}", target=Safe(metric_target(t, metric, pace.target))
    )
    if pace.need_per_day is None:
        return t(
            "remind.missed",
            metric=t(f"metric.{metric.value}"),
            left=metric_amount(t, metric, pace.short),
            target=Safe(target),
        )
    return t(
        "remind.behind",
        metric=t(f"metric.{metric.value}"),
        behind=metric_amount(t, metric, pace.behind),
        expected=metric_amount(t, metric, pace.due_by_now),
        need=Safe(metric_quantity(t, metric, pace.need_per_day)),
        days=Safe(t.plural("n_working_days_left", pace.days_left)),
        target=Safe(target),
    )


def reminder(
    t: Translator, standing: Standing, on_track_notes: bool, streak: int = 0
) -> str | None:
    """The nudge, an "on track" line, or None (on track and such notes turned off); with the
    person's streak, if they have one, and the day today would make it."""
    parts = quantities(t, standing.today)
    numbers = ", ".join(parts) if parts else t("remind.nothing_yet")
    if standing.behind:
        lines = [t("remind.title", numbers=numbers), t("remind.to_pace")]
        lines += [_behind_line(t, behind) for behind in standing.behind]
        text = "\n".join([*lines, t("remind.commands")])
    elif standing.has_targets:
        if not on_track_notes:
            return None
        text = t("remind.on_track", numbers=numbers)
    else:
        text = t("remind.no_targets", numbers=numbers)
    if streak:
        text += "\n" + streak_reminder(t, streak)
    return text
