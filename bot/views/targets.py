"""/target and /targets."""

import html

from bot.domain import ParseError, ParseErrorCode
from bot.services.standing import OwnTarget, TargetsView
from bot.services.targets import TargetChange
from bot.texts import Safe, Translator
from bot.views.common import metric_amount, metric_target, parse_problem
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
    t: Translator, metric: Metric, change: TargetChange, person: Person | None
) -> str:
    name = person.first_name if person else ""
    metric_name = t(f"metric.{metric.value}")
    day = t.day(change.start)
    if change.target is None:
        if change.previous is None:
            return t("target.none", metric=metric_name)
        if person is None:
            return t("target.removed_team", metric=metric_name, day=day)
        if person.is_manager:
            return t("target.removed_manager", metric=metric_name, day=day, name=name)
        return t("target.removed_person", metric=metric_name, day=day, name=name)
    target = describe(t, change.target)
    if person is None:
        return t("target.set_team", target=target, day=day)
    if person.is_manager:
        return t("target.set_manager", target=target, day=day, name=name)
    return t("target.set_person", target=target, day=day, name=name)


def _own_line(t: Translator, own: OwnTarget) -> str:
    scope = t("target.personal") if own.target.user_id is not None else t("target.team")
    line = f"• {describe(t, own.target)} {scope}"
    if own.for_you is not None and own.for_you != own.target.value:
        line += t(
            f"targets.for_you.{own.target.period.value}",
            value=Safe(metric_target(t, own.target.metric, own.for_you)),
        )
    return line


def targets_list(
    t: Translator, view: TargetsView, viewer: Person, members: list[Person]
) -> list[str]:
    """What is in force for the viewer (their days off applied, as /month does); for a manager
    the team defaults and everyone's own (in as many messages as a big team's take)."""
    own = [_own_line(t, item) for item in view.own]
    parts = [t("targets.own_title"), "\n".join(own) if own else t("targets.none")]
    if viewer.is_manager:
        defaults = [f"• {describe(t, target)}" for target in view.defaults]
        parts += ["", t("targets.team_title"), "\n".join(defaults) or t("targets.none")]
        people = {member.id: member for member in members}
        personal = []
        for target in view.personal:
            member = people.get(target.user_id) if target.user_id else None
            if member is not None:
                name = html.escape(member.first_name, quote=False)
                personal.append(f"• {name}: {describe(t, target)}")
        if personal:
            parts += ["", t("targets.personal_title"), "\n".join(personal)]
        parts += ["", t("targets.manager_hint")]
    return split_message("\n".join(parts).split("\n"))
