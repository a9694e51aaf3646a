"""Texts and buttons of /connect, /connections and /link, and the managers' notices about them."""

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.connections import ConnectionStatus, Endpoint, Linked, SeenPerson
from bot.services.crm_payloads import SIGNATURE_HEADER, System
from bot.texts import Translator
from models import Person

SYSTEM_NAMES = {
    System.AMOCRM: "amoCRM",
    System.BITRIX24: "Bitrix24",
    System.ZADARMA: "Zadarma",
    System.WEBHOOK: "webhook",
}
# Telegram allows 100 buttons under a message.
MAX_PEOPLE_BUTTONS = 90
MAX_MEMBER_BUTTONS = 90
BUTTON_LABEL = 60


def system_name(source: str) -> str:
    try:
        return SYSTEM_NAMES[System(source)]
    except ValueError:
        return source


def usage(t: Translator) -> str:
    return t("connect.usage")


def endpoint(t: Translator, made: Endpoint, url: str) -> str:
    lines = [
        t("connect.made" if made.created else "connect.reset", system=SYSTEM_NAMES[made.system])
    ]
    lines.append(t("connect.url", url=url))
    if made.signing_key is not None:
        lines.append(
            t("connect.signing_key", signing_key=made.signing_key, header=SIGNATURE_HEADER)
        )
    lines.append(t("connect.once"))
    lines.append(t(f"connect.steps.{made.system.value}"))
    return "\n\n".join(lines)


def person_label(t: Translator, person: SeenPerson) -> str:
    if person.external_id == "":
        who = t.plain("link.no_extension")
    elif person.name:
        who = f"{person.name} ({person.external_id})"
    else:
        who = f"#{person.external_id}"
    return f"{SYSTEM_NAMES[person.system]} · {who}"


def connections_list(
    t: Translator, found: list[ConnectionStatus], timezone: str, today: date
) -> str:
    if not found:
        return t("connections.none")
    zone = ZoneInfo(timezone)
    lines = [t("connections.title")]
    for status in found:
        name = SYSTEM_NAMES[status.system]
        if not status.ready:
            lines.append(t("connections.waiting", system=name, command=status.system.value))
            continue
        last = _moment(t, status.last_event_at, zone, today)
        lines.append(
            t("connections.line", system=name, last=last)
            + " · "
            + t.plural("connections.today", status.today)
        )
        if status.system is System.ZADARMA:
            lines.append(t("connections.min_call", seconds=status.min_call_seconds))
        if status.failures:
            lines.append(t.plural("connections.failures", status.failures))
    lines.append(t("connections.hint"))
    return "\n".join(lines)


def _moment(t: Translator, moment: datetime | None, zone: ZoneInfo, today: date) -> str:
    if moment is None:
        return t("connections.never")
    local = moment.astimezone(zone)
    clock = local.strftime("%H:%M")
    return clock if local.date() == today else f"{t.day(local.date())} {clock}"


def people_to_link(
    t: Translator, people: list[SeenPerson], button: Callable[[int], CallbackData]
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not people:
        return t("link.none"), None
    builder = InlineKeyboardBuilder()
    for person in people[:MAX_PEOPLE_BUTTONS]:
        label = person_label(t, person)
        if person.member_name is not None:
            label += f" → {person.member_name}"
        builder.button(text=label[:BUTTON_LABEL], callback_data=button(person.id))
    builder.adjust(1)
    text = t("link.title")
    if len(people) > MAX_PEOPLE_BUTTONS:
        text += "\n" + t("link.more", shown=MAX_PEOPLE_BUTTONS, total=len(people))
    return text, builder.as_markup()


def members_to_choose(
    t: Translator,
    person: SeenPerson,
    members: list[Person],
    button: Callable[[int], CallbackData],
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for member in members[:MAX_MEMBER_BUTTONS]:
        name = " ".join(part for part in (member.first_name, member.last_name) if part)
        if member.username:
            name += f" @{member.username}"
        builder.button(text=name[:BUTTON_LABEL], callback_data=button(member.id))
    builder.adjust(2)
    return t("link.choose", who=person_label(t, person)), builder.as_markup()


def linked(t: Translator, done: Linked) -> str:
    text = t("link.done", who=person_label(t, done.person), member=done.member.first_name)
    if done.logged:
        text += "\n" + t.plural("link.logged", done.logged)
    return text


def new_person_notice(t: Translator, system: System, external_id: str, name: str | None) -> str:
    person = SeenPerson(0, system, external_id, name, None, None)
    return t("notice.new_person", who=person_label(t, person))


def failing_notice(t: Translator, system: System) -> str:
    return t("notice.failing", system=SYSTEM_NAMES[system], command=system.value)


def silent_notice(t: Translator, system: System, days: int) -> str:
    name = SYSTEM_NAMES[system]
    return t("notice.silent", system=name) + " " + t.plural("notice.days", days, system=name)
