"""The dashboard's JSON API under /dashboard/api/: who is asking (initData, or a TV link), the
per-person limit, the role and the team's public-stats setting, then one service each."""

import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.dashboard import views
from bot.dashboard.auth import InitDataError, check_init_data, read_tv_token
from bot.dashboard.limits import RateLimiter
from bot.services.dashboard import (
    celebrations_since,
    last_week,
    ranked_by_share,
    recent_days,
    tag_totals,
)
from bot.services.leaderboard import LeaderboardQuery, leaderboard
from bot.services.periods import local_date, period_range
from bot.services.progress import progress_report
from bot.services.standing import team_calendar
from bot.services.weekly import load_results
from bot.texts import Translator, language_for, translator
from bot.web import DATABASE
from models import Metric, Period, Person, TeamInfo, UnitOfWork
from models.base import utcnow
from models.team import team_by_id
from models.tv_link import tv_secret
from models.user import SENDER, managers_language, person_by_id, sender_of

INIT_DATA_HEADER = "X-Telegram-Init-Data"
# A wall screen that was off for the night does not cheer yesterday's crossings all at once.
CELEBRATIONS_LOOK_BACK = timedelta(hours=24)
# Answers this big or bigger are gzipped for a client that accepts it.
COMPRESS_FROM_BYTES = 1024
API_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    bot_token: str
    init_data_max_age: int  # seconds
    requests_per_minute: int
    public_path: str  # PUBLIC_URL's path ("" when it is the host's root)


CONFIG = web.AppKey("dashboard_config", DashboardConfig)
LIMITER = web.AppKey("dashboard_limiter", RateLimiter)

Json = dict[str, Any]


class Refusal(Exception):
    """An answer other than the data: the status and its JSON body."""

    def __init__(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def bad_request(field: str) -> Refusal:
    return Refusal(400, {"error": "bad_request", "field": field})


FORBIDDEN = {"error": "forbidden"}
NOT_FOUND = {"error": "not_found"}


@dataclass(frozen=True, slots=True)
class Viewer:
    team: TeamInfo
    t: Translator
    user: Person | None  # None: a TV screen

    @property
    def is_manager(self) -> bool:
        return self.user is not None and self.user.is_manager

    @property
    def sees_team(self) -> bool:
        """Everyone's numbers: managers always, the others when the team's stats are public."""
        return self.is_manager or self.team.public_stats

    @property
    def today(self) -> date:
        return local_date(utcnow(), self.team.timezone)


Endpoint = Callable[[web.Request, UnitOfWork, Viewer], Awaitable[Json]]


def answer(status: int, body: Json, headers: dict[str, str] | None = None) -> web.Response:
    text = json.dumps(body, ensure_ascii=False)
    response = web.json_response(
        text=text, status=status, headers={**API_HEADERS, **(headers or {})}
    )
    if len(text) >= COMPRESS_FROM_BYTES:
        response.enable_compression()
    return response


def limited(request: web.Request, key: str) -> None:
    wait = request.app[LIMITER].retry_after(key)
    if wait:
        raise Refusal(429, {"error": "rate_limited"}, {"Retry-After": str(wait)})


def member(
    endpoint: Endpoint, *, managers_only: bool = False
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An endpoint for a person inside Telegram: their initData checked, then their team."""

    async def handle(request: web.Request) -> web.Response:
        config = request.app[CONFIG]
        try:
            try:
                asker = check_init_data(
                    request.headers.get(INIT_DATA_HEADER, ""),
                    config.bot_token,
                    config.init_data_max_age,
                    utcnow(),
                )
            except InitDataError as error:
                raise Refusal(401, {"error": "unauthorized", "reason": error.reason}) from None
            limited(request, f"user:{asker.id}")
            async with request.app[DATABASE].read() as session:
                row = await session.first(SENDER, user_id=asker.id)
                if row is None:
                    raise Refusal(403, FORBIDDEN)
                user, team = sender_of(row)
                if team is None or (managers_only and not user.is_manager):
                    raise Refusal(403, FORBIDDEN)
                language = language_for(asker.language_code or user.language_code)
                viewer = Viewer(team, translator(language), user)
                return answer(200, await endpoint(request, session, viewer))
        except Refusal as refusal:
            return answer(refusal.status, refusal.body, refusal.headers)

    return handle


def screen(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An endpoint for a TV link: signed by this bot and not revoked, read-only, in the language
    of the team's manager."""

    async def handle(request: web.Request) -> web.Response:
        config = request.app[CONFIG]
        try:
            claim = read_tv_token(config.bot_token, request.match_info["token"])
            if claim is None:
                raise Refusal(404, NOT_FOUND)
            limited(request, f"tv:{claim.team_id}")
            async with request.app[DATABASE].read() as session:
                secret = await tv_secret(session, claim.team_id)
                if secret is None or not hmac.compare_digest(secret, claim.secret):
                    raise Refusal(404, NOT_FOUND)
                team = await team_by_id(session, claim.team_id)
                if team is None:
                    raise Refusal(404, NOT_FOUND)
                language = language_for(await managers_language(session, team.id))
                viewer = Viewer(team, translator(language), None)
                return answer(200, await endpoint(request, session, viewer))
        except Refusal as refusal:
            return answer(refusal.status, refusal.body, refusal.headers)

    return handle


# --- parameters ---------------------------------------------------------------------------


def period_param(request: web.Request, default: str) -> Period:
    found = views.PERIOD_KEYS.get(request.query.get("period", default))
    if found is None:
        raise bad_request("period")
    return found


def metric_param(request: web.Request) -> Metric:
    try:
        return Metric(request.query.get("metric", Metric.DEALS.value))
    except ValueError:
        raise bad_request("metric") from None


def id_param(text: str | None, field: str) -> int:
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 19:
        raise bad_request(field)
    return int(text)


async def team_member(session: UnitOfWork, viewer: Viewer, user_id: int) -> Person:
    """Someone of the viewer's team (a manager opening a person); 403 for anyone else."""
    found = await person_by_id(session, user_id)
    if found is None or found.team_id != viewer.team.id:
        raise Refusal(403, FORBIDDEN)
    return found


# --- endpoints ----------------------------------------------------------------------------


async def session_of(request: web.Request, session: UnitOfWork, viewer: Viewer) -> Json:
    return views.session(viewer.t, viewer.team, viewer.user)


async def me(request: web.Request, session: UnitOfWork, viewer: Viewer) -> Json:
    assert viewer.user is not None
    period = period_param(request, "today")
    person = viewer.user
    if "user_id" in request.query:
        if not viewer.is_manager:
            raise Refusal(403, FORBIDDEN)
        person = await team_member(session, viewer, id_param(request.query["user_id"], "user_id"))
    today = viewer.today
    report = await progress_report(session, person, viewer.team, period, today)
    paced = [found for found in report.paces.values() if found.days_total]
    days_left = (
        paced[0].days_left
        if paced
        else views.calendar_days_left(team_calendar(viewer.team), report.dates, today)
    )
    return views.me(viewer.t, person, report, days_left)


async def board(request: web.Request, session: UnitOfWork, viewer: Viewer) -> Json:
    metric = metric_param(request)
    period = period_param(request, "week")
    if not viewer.sees_team:
        raise Refusal(403, FORBIDDEN)
    found = await leaderboard(
        session, viewer.team, LeaderboardQuery(metric, period, None), viewer.today
    )
    viewer_id = viewer.user.id if viewer.user is not None else None
    return views.board(viewer.t, metric, period, ranked_by_share(found), viewer_id)


async def team_table(request: web.Request, session: UnitOfWork, viewer: Viewer) -> Json:
    period = period_param(request, "week")
    today = viewer.today
    results = await load_results(session, viewer.team, period_range(period, today), today)
    return views.team_table(viewer.t, period, results)


async def person_days(request: web.Request, session: UnitOfWork, viewer: Viewer) -> Json:
    person = await team_member(session, viewer, id_param(request.match_info["user_id"], "user_id"))
    today = viewer.today
    results = await load_results(session, viewer.team, recent_days(today), today, user=person)
    return views.person_days(viewer.t, results, results.people[0])


async def week(request: web.Request, session: UnitOfWork, viewer: Viewer) -> Json:
    dates = last_week(viewer.today)
    return views.week(viewer.t, await load_results(session, viewer.team, dates, dates.end))


async def tags(request: web.Request, session: UnitOfWork, viewer: Viewer) -> Json:
    period = period_param(request, "week")
    dates = period_range(period, viewer.today)
    own = None if viewer.sees_team or viewer.user is None else viewer.user.id
    return views.tags(viewer.t, await tag_totals(session, viewer.team, dates, own))


async def celebrations(request: web.Request, session: UnitOfWork, viewer: Viewer) -> Json:
    now = utcnow()
    since = now
    if "since" in request.query:
        try:
            # An offset's "+" sent unencoded arrives as a space.
            since = datetime.fromisoformat(request.query["since"].replace(" ", "+"))
        except ValueError:
            raise bad_request("since") from None
        if since.tzinfo is None:
            raise bad_request("since")
        since = max(since, now - CELEBRATIONS_LOOK_BACK)
    crossed = await celebrations_since(session, viewer.team, since, people=viewer.sees_team)
    return {
        "now": now.isoformat(),
        "items": [views.celebration(viewer.t, item) for item in crossed],
    }


async def page_texts(request: web.Request) -> web.Response:
    """The page's texts alone, for a page whose session failed (no secret in them): public."""
    language = language_for(request.query.get("lang"))
    body = {"lang": language, "texts": views.page_texts(translator(language))}
    return answer(200, body, {"Cache-Control": "public, max-age=3600"})


def add_api_routes(app: web.Application, prefix: str) -> None:
    api = f"{prefix}api"
    app.router.add_get(f"{api}/texts", page_texts)
    app.router.add_get(f"{api}/session", member(session_of))
    app.router.add_get(f"{api}/me", member(me))
    app.router.add_get(f"{api}/board", member(board))
    app.router.add_get(f"{api}/team", member(team_table, managers_only=True))
    app.router.add_get(f"{api}/person/{{user_id}}", member(person_days, managers_only=True))
    app.router.add_get(f"{api}/week", member(week, managers_only=True))
    app.router.add_get(f"{api}/tags", member(tags))
    app.router.add_get(f"{api}/tv/{{token}}/session", screen(session_of))
    app.router.add_get(f"{api}/tv/{{token}}/board", screen(board))
    app.router.add_get(f"{api}/tv/{{token}}/celebrations", screen(celebrations))
