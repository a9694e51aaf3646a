"""What amoCRM, Bitrix24, Zadarma and the generic webhook send, checked and read into events.

Pure: a delivery's bytes and headers in, `IncomingEvent`s (or a refusal) out. Every secret is
compared in constant time.
"""

import base64
import hashlib
import hmac
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from bot.domain import RUBLE
from models import EntryKind


class System(StrEnum):
    AMOCRM = "amocrm"
    BITRIX24 = "bitrix24"
    ZADARMA = "zadarma"
    WEBHOOK = "webhook"


class State(StrEnum):
    WON = "won"  # a deal in its won stage
    OPEN = "open"  # a deal anywhere else (a won one leaving it is reversed)
    DONE = "done"  # a lead created, a call answered, a meeting held
    MISSED = "missed"  # a call nobody answered
    FETCH = "fetch"  # a Bitrix24 deal changed: read it through the portal's REST API first


# amoCRM's own status of a successfully realised lead, the same in every pipeline.
AMOCRM_WON_STATUS = "142"
# Bitrix24: a stage whose semantic is success, whatever the pipeline calls it.
BITRIX24_WON_SEMANTIC = "S"
BITRIX24_DEAL_EVENTS = frozenset({"ONCRMDEALUPDATE", "ONCRMDEALADD"})
ZADARMA_END_EVENTS = frozenset({"NOTIFY_END", "NOTIFY_OUT_END"})
# The generic endpoint's signature header: hex HMAC-SHA256 of the body with the team's key.
SIGNATURE_HEADER = "X-KPI-Signature"
MAX_EXTERNAL_ID = 64
MAX_NAME = 128
MAX_AMOUNT_KOPECKS = 10**9 * RUBLE
# Events one generic delivery may carry.
MAX_EVENTS_PER_DELIVERY = 500
# An event is believed only if it happened within this window around its arrival: older is no
# KPI of this year, later is a plan, and a year like 9999 or 1 breaks the date arithmetic.
EVENT_MAX_AGE = timedelta(days=400)
EVENT_MAX_AHEAD = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    kind: EntryKind
    external_id: str
    state: State
    occurred_at: datetime
    person: str = ""  # the system's user id or extension; "" when the event names nobody
    person_name: str | None = None
    amount_kopecks: int | None = None
    seconds: int | None = None  # a call's length


class Refused(Exception):
    """A delivery not proven to come from the connected system: answered as an unknown URL."""


class Malformed(Exception):
    """A proven delivery the bot cannot read: its sender is told what is wrong."""


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _form(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as error:
        raise Malformed("the body is not UTF-8") from error


def _kopecks(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(" ", "").replace(",", "."))
    except InvalidOperation as error:
        raise Malformed(f"amount {str(value)[:32]!r} is not a number") from error
    if not amount.is_finite() or amount < 0:
        raise Malformed("the amount must be a non-negative number")
    kopecks = int((amount * RUBLE).to_integral_value())
    if kopecks > MAX_AMOUNT_KOPECKS:
        raise Malformed("the amount is too large")
    return kopecks


def _id(value: object, what: str) -> str:
    text = str(value or "").strip()
    if not text or len(text) > MAX_EXTERNAL_ID:
        raise Malformed(f"{what} is missing or longer than {MAX_EXTERNAL_ID} characters")
    return text


def _recent(moment: datetime, received_at: datetime, ahead: timedelta = EVENT_MAX_AHEAD) -> bool:
    """Whether an aware moment lies within the window around `received_at`."""
    try:
        return received_at - EVENT_MAX_AGE <= moment <= received_at + ahead
    except OverflowError:  # the moment's offset pushes it past year 1 or 9999
        return False


def _dated(moment: datetime, received_at: datetime) -> datetime:
    """The event's moment in UTC; Malformed outside the window around its arrival."""
    if not _recent(moment, received_at):
        raise Malformed(
            f"the event's time {moment.isoformat()[:32]} is more than "
            f"{EVENT_MAX_AGE.days} days ago or in the future"
        )
    return moment.astimezone(UTC)


def _unix(value: str | None, received_at: datetime) -> datetime:
    if value and value.isdigit():
        try:
            moment = datetime.fromtimestamp(int(value), UTC)
        except (OverflowError, OSError, ValueError) as error:
            raise Malformed(f"the time {value[:20]} is not a Unix time") from error
        return _dated(moment, received_at)
    return received_at


# --- amoCRM: form-encoded, leads[add|status|update][i][field]; the URL's secret proves it -----

_AMOCRM_FIELD = re.compile(r"^leads\[(add|status|update)\]\[(\d+)\]\[(\w+)\]$")


def amocrm_events(body: bytes, received_at: datetime) -> list[IncomingEvent]:
    leads: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for key, value in _form(body).items():
        if match := _AMOCRM_FIELD.match(key):
            action, index, field = match.groups()
            leads[(action, index)][field] = value
    events = []
    for (action, _index), lead in sorted(leads.items()):
        lead_id = _id(lead.get("id"), "leads[...][id]")
        person = str(lead.get("responsible_user_id") or "")[:MAX_EXTERNAL_ID]
        changed = _unix(lead.get("last_modified") or lead.get("updated_at"), received_at)
        if action == "add":
            created = _unix(lead.get("date_create") or lead.get("created_at"), received_at)
            events.append(IncomingEvent(EntryKind.LEAD, lead_id, State.DONE, created, person))
        won = lead.get("status_id") == AMOCRM_WON_STATUS
        if action != "add" or won:
            state = State.WON if won else State.OPEN
            amount = _kopecks(lead.get("price")) if won else None
            events.append(
                IncomingEvent(EntryKind.DEAL, lead_id, state, changed, person, None, amount)
            )
    return events


# --- Bitrix24: form-encoded outbound event; auth[application_token] proves it -----------------


def bitrix24_events(
    body: bytes, application_token: str | None, received_at: datetime
) -> list[IncomingEvent]:
    form = _form(body)
    if application_token is None or not _same(
        form.get("auth[application_token]", ""), application_token
    ):
        raise Refused
    if form.get("event", "").upper() not in BITRIX24_DEAL_EVENTS:
        return []
    deal_id = _id(form.get("data[FIELDS][ID]"), "data[FIELDS][ID]")
    occurred = _unix(form.get("ts"), received_at)
    return [IncomingEvent(EntryKind.DEAL, deal_id, State.FETCH, occurred)]


@dataclass(frozen=True, slots=True)
class BitrixDeal:
    won: bool
    amount_kopecks: int | None
    person: str
    occurred_at: datetime


def _portal_moment(text: object, received_at: datetime) -> datetime | None:
    """A deal's date field if it names a moment within the window and not after the event."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not _recent(moment, received_at, ahead=timedelta(0)):
        return None
    return moment.astimezone(UTC)


def bitrix24_deal(answer: Mapping[str, object], received_at: datetime) -> BitrixDeal:
    """crm.deal.get's answer: {"result": {"STAGE_SEMANTIC_ID": "S", "OPPORTUNITY": ...}}.

    A won deal is dated by its CLOSEDATE; that is a date people plan and edit by hand, so one
    after the event (still the plan) or long before it gives way to the event's own time."""
    deal = answer.get("result")
    if not isinstance(deal, Mapping):
        raise Malformed("crm.deal.get gave no deal")
    won = deal.get("STAGE_SEMANTIC_ID") == BITRIX24_WON_SEMANTIC
    moment = received_at
    for field in ("CLOSEDATE", "DATE_MODIFY") if won else ("DATE_MODIFY",):
        if (found := _portal_moment(deal.get(field), received_at)) is not None:
            moment = found
            break
    person = str(deal.get("ASSIGNED_BY_ID") or "")[:MAX_EXTERNAL_ID]
    return BitrixDeal(won, _kopecks(deal.get("OPPORTUNITY")) if won else None, person, moment)


# --- Zadarma: form-encoded call notifications; the Signature header proves them ---------------


def _zadarma_signed(form: Mapping[str, str]) -> str:
    if form.get("event", "").startswith("NOTIFY_OUT_"):  # an outgoing call: from the extension
        return form.get("internal", "") + form.get("destination", "") + form.get("call_start", "")
    return form.get("caller_id", "") + form.get("called_did", "") + form.get("call_start", "")


def zadarma_signature(form: Mapping[str, str], api_secret: str) -> str:
    """What Zadarma's own library sends: base64 of the HMAC-SHA1's hex digest."""
    digest = hmac.new(api_secret.encode(), _zadarma_signed(form).encode(), hashlib.sha1)
    return base64.b64encode(digest.hexdigest().encode()).decode()


def _zadarma_raw_signature(form: Mapping[str, str], api_secret: str) -> str:
    digest = hmac.new(api_secret.encode(), _zadarma_signed(form).encode(), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode()


def zadarma_events(
    body: bytes, signature: str, api_secret: str | None, timezone: str, received_at: datetime
) -> list[IncomingEvent]:
    form = _form(body)
    if api_secret is None:
        raise Refused
    # The documentation shows the raw digest encoded, the official library the hex one: both.
    hex_ok = _same(signature, zadarma_signature(form, api_secret))
    raw_ok = _same(signature, _zadarma_raw_signature(form, api_secret))
    if not (hex_ok or raw_ok):
        raise Refused
    if form.get("event") not in ZADARMA_END_EVENTS:
        return []
    call_id = _id(form.get("pbx_call_id"), "pbx_call_id")
    try:
        started = datetime.strptime(form.get("call_start", ""), "%Y-%m-%d %H:%M:%S")
        occurred = started.replace(tzinfo=ZoneInfo(timezone))
    except ValueError:
        occurred = received_at
    occurred = _dated(occurred, received_at)
    duration = form.get("duration", "")
    seconds = int(duration) if duration.isdigit() else 0
    state = State.DONE if form.get("disposition") == "answered" else State.MISSED
    extension = form.get("internal", "")[:MAX_EXTERNAL_ID]
    return [IncomingEvent(EntryKind.CALL, call_id, state, occurred, extension, seconds=seconds)]


# --- the generic signed JSON endpoint ----------------------------------------------------------


def webhook_signature(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def _moment(value: object, timezone: str, received_at: datetime) -> datetime:
    if value in (None, ""):
        return received_at
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise Malformed(f'"at" {str(value)[:40]!r} is not an ISO 8601 time') from error
    return _dated(
        moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone)), received_at
    )


def _generic_event(item: object, timezone: str, received_at: datetime) -> IncomingEvent:
    if not isinstance(item, dict):
        raise Malformed("each event must be a JSON object")
    try:
        kind = EntryKind(str(item.get("kind", "")).lower())
    except ValueError as error:
        raise Malformed('"kind" must be one of call, meeting, lead, deal') from error
    external_id = _id(item.get("external_id"), '"external_id"')
    amount = _kopecks(item.get("amount"))
    status = str(item.get("status", "won")).lower()
    if status not in ("won", "lost"):
        raise Malformed('"status" must be won or lost')
    if kind is EntryKind.DEAL and status == "won" and amount is None:
        raise Malformed('a won deal needs "amount"')  # a lost one only names what to reverse
    state = State.DONE if kind is not EntryKind.DEAL else State(status.replace("lost", "open"))
    name = item.get("name")
    return IncomingEvent(
        kind,
        external_id,
        state,
        _moment(item.get("at"), timezone, received_at),
        str(item.get("user") or "")[:MAX_EXTERNAL_ID],
        str(name)[:MAX_NAME] if name else None,
        amount if kind is EntryKind.DEAL else None,
    )


def webhook_events(
    body: bytes, signature: str, key: str | None, timezone: str, received_at: datetime
) -> list[IncomingEvent]:
    if key is None or not _same(signature.removeprefix("sha256="), webhook_signature(body, key)):
        raise Refused
    try:
        data = json.loads(body)
    except ValueError as error:
        raise Malformed("the body is not JSON") from error
    items = data if isinstance(data, list) else [data]
    if len(items) > MAX_EVENTS_PER_DELIVERY:
        raise Malformed(f"at most {MAX_EVENTS_PER_DELIVERY} events a delivery")
    return [_generic_event(item, timezone, received_at) for item in items]
