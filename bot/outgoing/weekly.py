"""The Monday report: every member's chart (managers the team's) and the team chart for the
group, rendered off the event loop with no unit of work open, then queued for the report time."""

import asyncio
from collections.abc import Awaitable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime

from bot.charts import render_person_chart, render_png, render_team_chart
from bot.services.outbox import enqueue
from bot.services.periods import DateRange
from bot.services.weekly import WeeklyPlan, is_manager_copy, plan_weekly_reports
from bot.texts import language_for, translator
from bot.views.charts import person_caption, person_chart, team_caption, team_chart
from bot.views.paging import Caption
from models import TeamInfo, UnitOfWork


@dataclass(frozen=True, slots=True)
class Outgoing:
    key: str
    chat_id: int
    user_id: int | None
    photo: bytes
    caption: Caption  # its follow-up messages are queued right after the photo


async def render_weekly_reports(
    plan: WeeklyPlan, executor: Executor | None = None
) -> list[Outgoing]:
    """Render every pending chart off the event loop, all at once so that every worker of
    `executor` is busy; the team chart once per language."""
    results, team = plan.results, plan.team
    team_renders: dict[str, asyncio.Future[bytes]] = {}

    def team_png(language: str) -> "asyncio.Future[bytes]":
        if language not in team_renders:
            data = team_chart(results, translator(language))
            team_renders[language] = asyncio.ensure_future(
                render_png(render_team_chart, data, executor)
            )
        return team_renders[language]

    jobs: list[tuple[str, int, int | None, Awaitable[bytes], Caption]] = []
    for key, member in plan.pending.items():
        if member is None:
            assert team.chat_id is not None
            language = language_for(plan.group_language)
            t = translator(language)
            jobs.append((key, team.chat_id, None, team_png(language), team_caption(t, results)))
            continue
        language = language_for(member.language_code)
        t = translator(language)
        if is_manager_copy(member):
            jobs.append((key, member.id, member.id, team_png(language), team_caption(t, results)))
        else:
            person = results.of(member.id)
            render = render_png(render_person_chart, person_chart(results, person, t), executor)
            caption = person_caption(t, results, person)
            jobs.append((key, member.id, member.id, asyncio.ensure_future(render), caption))
    pngs = await asyncio.gather(*(job[3] for job in jobs))
    return [
        Outgoing(key, chat_id, user_id, png, caption)
        for (key, chat_id, user_id, _render, caption), png in zip(jobs, pngs, strict=True)
    ]


async def store_weekly_reports(
    session: UnitOfWork, outgoing: list[Outgoing], not_before: datetime | None = None
) -> int:
    """Queue the rendered charts (keys make a second run a no-op)."""
    queued = 0
    for message in outgoing:
        queued += await enqueue(
            session,
            message.key,
            message.chat_id,
            text=message.caption.text,
            photo=message.photo,
            user_id=message.user_id,
            not_before=not_before,
        )
        # Queued after the photo, for the same time: the sender goes by time, then by queue order.
        for number, text in enumerate(message.caption.follow_up, 1):
            await enqueue(
                session,
                f"{message.key}:more{number}",
                message.chat_id,
                text=text,
                user_id=message.user_id,
                not_before=not_before,
            )
    return queued


async def queue_weekly_reports(
    session: UnitOfWork, team: TeamInfo, week: DateRange, executor: Executor | None = None
) -> int:
    """Plan, render and queue in one unit of work (on-demand use and tests). The scheduler
    renders between two units of work instead."""
    plan = await plan_weekly_reports(session, team, week)
    if plan is None:
        return 0
    return await store_weekly_reports(session, await render_weekly_reports(plan, executor))
