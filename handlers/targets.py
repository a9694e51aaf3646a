"""/target (manager) and /targets (everyone in a team)."""

from datetime import date

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import InTeam, IsManager, PrivateChat
from bot.services.parsing import ParseError
from bot.services.periods import local_date
from bot.services.targets import in_force, parse_target_command, set_target
from bot.texts import Translator
from bot.views import metric_amount
from models import Metric, Target, Team, User
from models.base import utcnow
from models.target import team_targets
from models.user import find_member, team_members

router = Router(name=__name__)
router.message.filter(PrivateChat(), InTeam())
manager_router = Router(name=f"{__name__}.manager")
manager_router.message.filter(PrivateChat(), IsManager())


def describe(t: Translator, target: Target) -> str:
    return t(
        "target.value",
        metric=t(f"metric.{target.metric.value}"),
        value=metric_amount(t, target.metric, target.value),
        period=t(f"per.{target.period.value}"),
    )


@manager_router.message(Command("target"))
async def set_or_remove(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    t: Translator,
    user: User,
    team: Team,
) -> SendMessage:
    try:
        request = parse_target_command(command.args)
    except ParseError as error:
        text = t(f"error.{error.code}", **error.params)
        return message.answer(
            text if error.code == "target_usage" else f"{text}\n{t('example.target')}"
        )
    person = None
    if request.username is not None:
        person = await find_member(session, team.id, request.username)
        if person is None:
            return message.answer(t("error.user_unknown", value=request.username))
    today = local_date(utcnow(), team.timezone)
    result = await set_target(session, team, user, request, person, today)
    metric = t(f"metric.{request.metric.value}")
    if request.value is None:
        if result is None:
            return message.answer(t("target.none", metric=metric))
        key = "target.removed_person" if person else "target.removed_team"
        return message.answer(t(key, metric=metric, name=person.first_name if person else ""))
    assert result is not None
    key = "target.set_person" if person else "target.set_team"
    return message.answer(
        t(
            key,
            target=describe(t, result),
            day=t.day(result.valid_from),
            name=person.first_name if person else "",
        )
    )


def _lines(t: Translator, targets: list[Target], user_id: int | None, today: date) -> list[str]:
    lines = []
    for metric in Metric:
        target = in_force(targets, user_id, metric, today)
        if target is not None:
            scope = t("target.personal") if target.user_id is not None else t("target.team")
            lines.append(f"• {describe(t, target)} {scope}")
    return lines


@router.message(Command("targets"))
async def show_targets(
    message: Message, session: AsyncSession, t: Translator, user: User, team: Team
) -> SendMessage:
    today = local_date(utcnow(), team.timezone)
    targets = await team_targets(session, team.id, today, today)
    own = _lines(t, targets, user.id, today)
    parts = [t("targets.own_title"), "\n".join(own) if own else t("targets.none")]
    if user.is_manager:
        defaults = _lines(t, [x for x in targets if x.user_id is None], None, today)
        parts += ["", t("targets.team_title"), "\n".join(defaults) or t("targets.none")]
        people = {member.id: member for member in await team_members(session, team.id)}
        personal = []
        for target in targets:
            member = people.get(target.user_id) if target.user_id else None
            if member is not None and in_force(targets, member.id, target.metric, today) is target:
                personal.append(f"• {member.first_name}: {describe(t, target)}")
        if personal:
            parts += ["", t("targets.personal_title"), "\n".join(personal)]
        parts += ["", t("targets.manager_hint")]
    return message.answer("\n".join(parts))
