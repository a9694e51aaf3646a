"""Small wins as people see them: the reaction on a log message, the day's digest in the
group, the streak line, and the rewards part of /settings."""

from collections.abc import Sequence

from bot.services.achievements import WinKind
from bot.services.reward_settings import digest_send_time
from bot.texts import Safe, Translator
from bot.views.common import metric_quantity
from bot.views.paging import visible_length
from models import Achievement, Metric, TeamInfo
from models.team_rewards import Rewards

# Telegram lets a bot set one reaction per message, from its fixed list of emoji.
REACTIONS = {
    WinKind.STREAK: "🔥",
    WinKind.BEST_DAY: "🏆",
    WinKind.BEST_WEEK: "🏆",
    WinKind.BEST_MONTH: "🏆",
    WinKind.FIRST_DEAL: "🎉",
    WinKind.TARGET_MET: "💯",
    WinKind.TEAM_WEEK: "🏆",
}
# Room kept under Telegram's 4,096 for the "…and N more" line.
DIGEST_BUDGET = 4096 - 64


def reaction(kind: WinKind) -> str:
    return REACTIONS[kind]


def win_line(t: Translator, win: Achievement) -> str:
    kind = WinKind(win.kind)
    if kind is WinKind.STREAK:
        return t.plural("win.streak", win.value, name=win.name)
    if kind is WinKind.FIRST_DEAL:
        return t("win.first_deal", name=win.name, month=t.month_in_text(win.day))
    metric = Metric(win.metric) if win.metric else Metric.DEALS
    if kind is WinKind.TARGET_MET:
        return t("win.target_met", name=win.name, metric=t(f"metric.{metric.value}"))
    amount = Safe(metric_quantity(t, metric, win.value))
    return t(f"win.{kind.value}", name=win.name, amount=amount)


def digest(t: Translator, wins: Sequence[Achievement]) -> str:
    """One message: the title and a line per win, "…and N more" past Telegram's limit."""
    lines = [t("digest.title")]
    used = visible_length(lines[0])
    for index, win in enumerate(wins):
        line = win_line(t, win)
        size = visible_length(line) + 1
        if used + size > DIGEST_BUDGET:
            lines.append(t.plural("digest.more", len(wins) - index))
            break
        lines.append(line)
        used += size
    return "\n".join(lines)


def streak_line(t: Translator, length: int) -> str | None:
    return t.plural("streak.line", length) if length else None


def streak_reminder(t: Translator, length: int) -> str:
    """In the reminder: the streak so far, and the day today makes it if kept."""
    return t.plural("streak.line", length) + t("streak.next", day=t.number(length + 1))


def switch(t: Translator, on: bool) -> str:
    return t("settings.value.on" if on else "settings.value.off")


def panel(t: Translator, team: TeamInfo, rewards: Rewards) -> str:
    """The rewards lines of the /settings panel."""
    if not rewards.digest_on:
        digest_state = t("settings.value.off")
    elif (send_at := digest_send_time(team, rewards)) != rewards.digest_time:
        digest_state = t(
            "rewards.digest_after_quiet",
            time=rewards.digest_time.strftime("%H:%M"),
            send_at=send_at.strftime("%H:%M"),
        )
    else:
        digest_state = t("rewards.digest_at", time=rewards.digest_time.strftime("%H:%M"))
    return t(
        "rewards.panel",
        streaks=switch(t, rewards.streaks_on),
        records=switch(t, rewards.records_on),
        digest=digest_state,
    )
