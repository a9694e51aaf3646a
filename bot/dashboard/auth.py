"""Who is asking: Telegram's initData checked by its signature and its age; TV links signed with
a key of the bot's own and revocable through the team's secret in the database."""

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import parse_qsl

Reason = Literal["missing", "invalid", "stale"]
# TV links: "<team id>.<secret>.<signature>", all of them URL-safe.
TV_TOKEN = re.compile(r"^([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{16,32})\.([A-Za-z0-9_-]{22})$")
# initData signed a little ahead of our clock is still fresh: clocks differ.
CLOCK_SKEW_SECONDS = 60


class InitDataError(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class WebAppUser:
    id: int
    language_code: str | None


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram puts into initData for these fields (tests sign their own with it)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    return hmac.new(_secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()


def check_init_data(raw: str, bot_token: str, max_age: int, now: datetime) -> WebAppUser:
    """The user of a genuine, fresh initData; InitDataError("missing" | "invalid" | "stale")."""
    if not raw:
        raise InitDataError("missing")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("invalid") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a field given twice: which one was signed?
        raise InitDataError("invalid")
    given = fields.pop("hash", "")
    expected = sign_init_data(fields, bot_token)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InitDataError("invalid")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError):
        raise InitDataError("invalid") from None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise InitDataError("invalid")
    age = now.timestamp() - auth_date
    if age > max_age or age < -CLOCK_SKEW_SECONDS:
        raise InitDataError("stale")
    language = user.get("language_code")
    return WebAppUser(user_id, language if isinstance(language, str) else None)


# --- TV links -------------------------------------------------------------------------------


def _tv_key(bot_token: str) -> bytes:
    return hmac.new(b"KpiDashboardTV", bot_token.encode(), hashlib.sha256).digest()


def _tv_signature(bot_token: str, team_id: int, secret: str) -> str:
    digest = hmac.new(_tv_key(bot_token), f"{team_id}.{secret}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def tv_token(bot_token: str, team_id: int, secret: str) -> str:
    return f"{team_id}.{secret}.{_tv_signature(bot_token, team_id, secret)}"


@dataclass(frozen=True, slots=True)
class TvClaim:
    """What a well-signed TV token says; it holds only while the team's secret is `secret`."""

    team_id: int
    secret: str


def read_tv_token(bot_token: str, token: str) -> TvClaim | None:
    """The claim of a token this bot signed; None for anything else (no database asked)."""
    match = TV_TOKEN.fullmatch(token)
    if match is None:
        return None
    team_id, secret, signature = int(match[1]), match[2], match[3]
    expected = _tv_signature(bot_token, team_id, secret)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    return TvClaim(team_id, secret)
