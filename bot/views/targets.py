"""/target and /targets."""

import html
from datetime import date

from bot.domain import ParseError, ParseErrorCode
from bot.services.targets import in_force
from bot.texts import Translator
from bot.views.common import metric_amount, parse_problem
from bot.views.paging import split_message
from models import Metric, Person, Target


def describe(t: Translator, target: Target) -> str:
    return t(
        "target.value",
        metric=t(f"metric.{target.metric.value}"),
        value=metric_amount(t, target.metric, target.value),
        period=t(f"per.{target.period.value}"),
    )


def target_problem(t: Translator, error: ParseError) -> str:
    text = parse_problem(t, error)
    return text if error.code is ParseErrorCode.TARGET_USAGE else f"{text}\n{t('example.target')}"


def target_changed(
    t: Translator, metric: Metric, result: Target | None, person: Person | None, removed: bool
) -> str:
    name = person.first_name if person else ""
    metric_name = t(f"metric.{metric.value}")
    if removed:
        if result is None:
            return t("target.none", metric=metric_name)
        key = "target.removed_person" if person else "target.removed_team"
        return t(key, metric=metric_name, name=name)
    assert result is not None
    key = "target.set_person" if person else "target.set_team"
    return t(key, target=describe(t, result), day=t.day(result.valid_from), name=name)


def _lines(t: Translator, targets: list[Target], user_id: int | None, today: date) -> list[str]:
    lines = []
    for metric in Metric:
        target = in_force(targets, user_id, metric, today)
        if target is not None:
            scope = t("target.personal") if target.user_id is not None else t("target.team")
            lines.append(f"• {describe(t, target)} {scope}")
    return lines


def targets_list(
    t: Translator, targets: list[Target], viewer: Person, members: list[Person], today: date
) -> list[str]:
    """What is in force for the viewer; for a manager the team defaults and everyone's own (in
    as many messages as a big team's personal targets take)."""
    own = _lines(t, targets, viewer.id, today)
    parts = [t("targets.own_title"), "\n".join(own) if own else t("targets.none")]
    if viewer.is_manager:
        defaults = _lines(t, [x for x in targets if x.user_id is None], None, today)
        parts += ["", t("targets.team_title"), "\n".join(defaults) or t("targets.none")]
        people = {member.id: member for member in members}
        personal = []
        for target in targets:
            member = people.get(target.user_id) if target.user_id else None
            if member is not None and in_force(targets, member.id, target.metric, today) is target:
                name = html.escape(member.first_name, quote=False)
                personal.append(f"• {name}: {describe(t, target)}")
        if personal:
            parts += ["", t("targets.personal_title"), "\n".join(personal)]
        parts += ["", t("targets.manager_hint")]
    return split_message("\n".join(parts).split("\n"))
