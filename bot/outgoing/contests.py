"""A contest's posts to the team's group, each once: the contest row's flag is flipped by one
unit of work only, and the outbox key refuses a second copy. Without a group, the final result
goes to the manager who started the contest, with a pointer to /bindchat."""

from datetime import datetime

from bot.outgoing.group import group_translator
from bot.services.contests import (
    Stage,
    contest_key,
    contest_standing,
    midway_passed,
    next_round,
)
from bot.services.outbox import enqueue
from bot.services.periods import local_date
from bot.texts import language_for, translator
from bot.views import contests as views
from bot.views.paging import split_message
from models import TeamInfo, UnitOfWork
from models.contest import ContestFacts, contest_by_id, mark_posted
from models.user import person_by_id


async def _queue(
    session: UnitOfWork, contest_id: int, what: str, chat_id: int, texts: list[str], now: datetime
) -> int:
    queued = 0
    for number, text in enumerate(texts, 1):
        key = contest_key(contest_id, what if number == 1 else f"{what}:{number}")
        queued += await enqueue(session, key, chat_id, text=text, not_before=now)
    return queued


async def post_stage(
    session: UnitOfWork, team: TeamInfo, contest_id: int, stages: list[Stage], now: datetime
) -> int:
    """One post for the `stages` due: the result if it is among them (the rest is old news),
    else the kick-off if the group has not had it (with the standing, once past mid-way), else
    the mid-way standing; messages queued."""
    if Stage.FINAL in stages:
        stage = Stage.FINAL
    elif Stage.KICKOFF in stages:
        stage = Stage.KICKOFF
    else:
        stage = Stage.MIDWAY
    if not await mark_posted(session, contest_id, *(s.value for s in stages)):
        return 0  # posted already, or cancelled meanwhile
    contest = await contest_by_id(session, contest_id)
    assert contest is not None
    if stage is Stage.FINAL:
        await next_round(session, team, contest, now)
    if team.chat_id is None:
        return await _final_to_manager(session, team, contest, stage, now)
    t = await group_translator(session, team)
    if stage is Stage.KICKOFF and not midway_passed(contest, team, now):
        texts = views.kickoff_messages(t, contest)
    else:
        standing = await contest_standing(session, team, contest, local_date(now, team.timezone))
        if stage is Stage.KICKOFF:
            texts = views.late_kickoff_messages(t, standing, team.public_stats)
        else:
            show = views.midway_messages if stage is Stage.MIDWAY else views.final_messages
            texts = show(t, standing, team.public_stats)
    return await _queue(session, contest.id, stage.value, team.chat_id, texts, now)


async def _final_to_manager(
    session: UnitOfWork, team: TeamInfo, contest: ContestFacts, stage: Stage, now: datetime
) -> int:
    manager = await person_by_id(session, contest.created_by_id)
    if stage is not Stage.FINAL or manager is None or manager.team_id != team.id:
        return 0
    t = translator(language_for(manager.language_code))
    standing = await contest_standing(session, team, contest, local_date(now, team.timezone))
    texts = split_message(
        [*views.final_messages(t, standing, public=True), t("contest.no_group")], "\n\n"
    )
    return await _queue(session, contest.id, "final:manager", manager.id, texts, now)


async def post_cancelled(
    session: UnitOfWork, team: TeamInfo, contest: ContestFacts, now: datetime
) -> int:
    """The group is told once, if it heard of the contest at all."""
    if team.chat_id is None or not contest.kickoff_posted:
        return 0
    t = await group_translator(session, team)
    return await _queue(
        session, contest.id, "cancelled", team.chat_id, [views.cancelled_message(t, contest)], now
    )


async def post_changed(
    session: UnitOfWork, team: TeamInfo, contest_id: int, version: int, now: datetime
) -> int:
    """The new rules, once per change, if the group heard of the contest at all."""
    contest = await contest_by_id(session, contest_id)
    if team.chat_id is None or contest is None or not contest.kickoff_posted:
        return 0
    t = await group_translator(session, team)
    text = views.changed_message(t, contest)
    return await _queue(session, contest.id, f"changed:{version}", team.chat_id, [text], now)
