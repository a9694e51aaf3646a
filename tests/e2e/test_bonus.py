"""The bonus calculator as people use it: the manager's dialog (typed numbers, buttons, bad
input, /cancel), /bonus for an employee and for a manager, a change that waits for the 1st of
the next month while the month under way keeps its scheme, and the workbook read back."""

import asyncio
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from models import BonusScheme
from models.base import Clock
from tests.e2e.conftest import RunningBot
from tests.e2e.test_walkthrough import join_team, set_up_team
from tests.fake_telegram import BotMessage, FakeUser

WEDNESDAY_25_NOV = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WEDNESDAY_2_DEC = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SCHEME = (
    "Bonus: 500 ₽ per deal plus 5% of revenue up to 100% of the plan, 8% of what is above 100%,"
    " paid once revenue reaches 80% of the plan, at most 100,000 ₽ a month (the plan: the"
    " month's revenue target, less vacation days; without one nothing is paid)."
)


@pytest.fixture(autouse=True)
def wednesday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(WEDNESDAY_25_NOV)
    return frozen_clock


async def press(kpi: RunningBot, user: FakeUser, button: str, count: int) -> list[BotMessage]:
    """Press a button; the `count` messages sent or edited in answer."""
    mark = kpi.tg.mark()
    user.press_nowait(button)
    return await kpi.tg.next_n_in_chat(user.id, mark, count, context=f"{user} pressed {button}")


async def schemes(kpi: RunningBot) -> list[tuple[date, int, str, int, int | None]]:
    async with kpi.db.read() as session:
        rows = await session.scalars(select(BonusScheme).order_by(BonusScheme.starts_on))
        return [
            (r.starts_on, r.per_deal_kopecks, r.tiers, r.threshold_percent, r.cap_kopecks)
            for r in rows
        ]


async def set_scheme(kpi: RunningBot, anna: FakeUser, answers: list[str]) -> BotMessage:
    """The whole dialog with typed answers (a button's label where one is pressed); the
    question to confirm."""
    await anna.say("/bonusrules")
    reply: BotMessage | None = None
    for answer in answers:
        if answer.startswith("["):
            reply = (await press(kpi, anna, answer.strip("[]"), 2))[1]
        else:
            reply = await anna.say(answer)
    assert reply is not None
    return reply


async def test_the_dialog_refuses_bad_input_and_bonus_shows_the_arithmetic(
    kpi: RunningBot,
) -> None:
    anna = kpi.tg.user(1001, "Anna", username="anna", language_code="en")
    bob = kpi.tg.user(1002, "Bob", username="bob", language_code="en")
    token = await set_up_team(kpi, anna, bob, "Sales North")
    await anna.say("/target revenue 100000")

    assert (await anna.say("/bonus")).plain == (
        "Your team has no bonus scheme yet. Set one with /bonusrules."
    )
    assert (await bob.say("/bonus")).plain == "Your team has no bonus scheme yet."
    assert "manager" in ((await bob.say("/bonusrules")).plain or "")

    # /cancel, or the Cancel button, leaves the dialog: what follows is no answer to it.
    await anna.say("/bonusrules")
    assert (await anna.say("/cancel")).plain == "Cancelled."
    assert "Step 2" not in ((await anna.say("500")).plain or "")
    await anna.say("/bonusrules")
    assert [m.plain for m in await press(kpi, anna, "Cancel", 1)] == ["Cancelled."]
    assert "Step 2" not in ((await anna.say("500")).plain or "")

    first = await anna.say("/bonusrules")
    assert "step 1 of 5" in (first.plain or "")
    assert first.buttons() == [["No base"], ["Cancel"]]
    for typed, problem in [
        ("-500", "“-500” is below zero: a bonus can't take money away."),
        ("five hundred", "“five hundred” is not a number."),
    ]:
        reply = await anna.say(typed)
        assert (
            reply.plain == f"{problem}\nSend the base per deal again, like 500, or tap «No base»."
        ), typed
    assert "Step 2 of 5" in ((await anna.say("500")).plain or "")
    assert (await anna.say("-5")).plain.startswith("“-5” is below zero")  # type: ignore[union-attr]
    assert (await anna.say("101")).plain.startswith("“101” is out of range: from 1 to 100 %.")  # type: ignore[union-attr]
    assert "Step 3 of 5" in ((await anna.say("5")).plain or "")
    out_of_order = await anna.say("120 10; 100 8")
    assert (out_of_order.plain or "").startswith(
        "“100 8” must start above the accelerator before it"
    )
    threshold = await anna.say("100 8")
    assert "Step 4 of 5" in (threshold.plain or "")
    assert threshold.buttons() == [
        ["From 80 % of the plan"],
        ["From 100 % of the plan"],
        ["From the first ruble"],
        ["Cancel"],
    ]
    answered, cap = await press(kpi, anna, "From 80 % of the plan", 2)
    assert answered.edited and answered.plain == "Threshold: From 80 % of the plan"
    assert "Step 5 of 5" in (cap.plain or "")
    assert (await anna.say("0")).plain.startswith("A cap of 0 would pay nothing")  # type: ignore[union-attr]
    assert (await anna.say("-1")).plain.startswith("“-1” is below zero")  # type: ignore[union-attr]
    assert (await anna.say("lots")).plain.startswith("“lots” is not a number.")  # type: ignore[union-attr]
    confirm = await anna.say("100000")
    assert confirm.plain == f"The new scheme:\n{SCHEME}\nIt applies from 1 November. Save it?"
    assert await schemes(kpi) == []  # nothing is saved before Save

    saved = (await press(kpi, anna, "Save", 1))[0]
    assert saved.plain == f"✅ Saved. From 1 November: {SCHEME}"
    assert await schemes(kpi) == [(date(2026, 11, 1), 50_000, "0:500 100:800", 80, 10_000_000)]
    # A stale button of the finished dialog changes nothing.
    stale = anna.press_nowait("No base")
    answer = await kpi.tg.wait_callback_answer(stale)
    assert answer.text == "That question is closed. /bonusrules starts again."
    assert len(await schemes(kpi)) == 1

    await bob.say("/deal 50000")
    await bob.say("/deal 40000")
    own = await bob.say("/bonus")
    assert own.plain == (
        "💰 Your bonus for November 2026, if the month ended today: 5,500.00 ₽\n"
        "2 deals, revenue 90,000.00 ₽\n"
        "Plan: 100,000.00 ₽\n"
        "500 ₽ × 2 = 1,000.00 ₽\n"
        "5% of 90,000.00 ₽ = 4,500.00 ₽\n"
        "➕ One more deal of your average size (45,000 ₽) would add 3,800.00 ₽.\n"
        "\n"
        f"📋 {SCHEME}"
    )
    team = await anna.say("/bonus")
    assert team.plain is not None
    assert team.plain.startswith(
        "💰 Bonuses for November 2026, if the month ended today:\n"
        "Anna: 0.00 ₽ (0 deals, 0.00 ₽), no revenue target\n"
        "Bob: 5,500.00 ₽ (2 deals, 90,000.00 ₽)\n"
        "Total: 5,500.00 ₽\n"
        "\n"
        "💰 Your bonus for November 2026, if the month ended today: 0.00 ₽\n"
    ), team.plain

    # Someone who left this month with deals in it is still on the manager's list.
    carl = kpi.tg.user(1003, "Carl", username="carl", language_code="en")
    await join_team(kpi, carl, token, anna)
    await carl.say("/deal 100000")
    await anna.say("/remove @carl")
    listed = (await anna.say("/bonus")).plain or ""
    # His plan is his day in the team: 1 of November's 20 working days, 5 000 ₽ (not the
    # month's 100 000 ₽); 500 ₽ + 5% of 5 000 ₽ + 8% of the 95 000 ₽ above it.
    assert "\nCarl: 8,350.00 ₽ (1 deal, 100,000.00 ₽)\nTotal: 13,850.00 ₽\n" in listed, listed


def bonus_column(sheet: Worksheet) -> dict[str, object]:
    """Each person's cell under the summary's Bonus header."""
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("Bonus")
    return {str(row[0]): row[column] for row in rows[1:]}


async def test_a_change_waits_for_the_1st_and_past_months_keep_their_scheme(
    kpi: RunningBot, frozen_clock: Clock
) -> None:
    anna = kpi.tg.user(1001, "Anna", username="anna", language_code="en")
    bob = kpi.tg.user(1002, "Bob", username="bob", language_code="en")
    await set_up_team(kpi, anna, bob, "Sales North")
    await anna.say("/target revenue 100000")
    november = "Bonus: 500 ₽ per deal plus 5% of revenue, paid once revenue reaches 80% of the plan"
    confirm = await set_scheme(
        kpi, anna, ["500", "5", "[None]", "[From 80 % of the plan]", "[No cap]"]
    )
    assert (confirm.plain or "").startswith(f"The new scheme:\n{november}")
    assert "It applies from 1 November." in (confirm.plain or "")
    await press(kpi, anna, "Save", 1)
    await bob.say("/deal 50000")
    await bob.say("/deal 40000")

    confirm = await set_scheme(
        kpi, anna, ["1000", "[No %]", "[None]", "[From the first ruble]", "[No cap]"]
    )
    assert confirm.plain == (
        "The new scheme:\nBonus: 1,000 ₽ per deal.\nIt applies from 1 December. Save it?\n"
        "November 2026 keeps the scheme it began with."
    )
    await press(kpi, anna, "Save", 1)
    # Changed again before December: the change waiting for December is replaced.
    await set_scheme(kpi, anna, ["2000", "[No %]", "[None]", "[From the first ruble]", "[No cap]"])
    saved = (await press(kpi, anna, "Save", 1))[0]
    assert saved.plain == "✅ Saved. From 1 December: Bonus: 2,000 ₽ per deal."
    assert await schemes(kpi) == [
        (date(2026, 11, 1), 50_000, "0:500", 80, None),
        (date(2026, 12, 1), 200_000, "", 0, None),
    ]
    own = (await bob.say("/bonus")).plain or ""
    assert own.startswith("💰 Your bonus for November 2026, if the month ended today: 5,500.00 ₽")
    assert own.endswith("🔜 From 1 December: Bonus: 2,000 ₽ per deal.")

    # Below the threshold after an /undo: nothing, and how far it is.
    await bob.say("/undo")
    below = (await bob.say("/bonus")).plain or ""
    assert "Paid from 80,000.00 ₽ of revenue (80% of the plan): 30,000.00 ₽ to go." in below
    assert below.startswith("💰 Your bonus for November 2026, if the month ended today: 0.00 ₽")
    # One more 50 000 ₽ deal crosses it: 2 × 500 ₽ and 5% of 100 000 ₽.
    assert "would add 6,000.00 ₽" in below
    await bob.say("/deal 40000")

    frozen_clock.freeze(WEDNESDAY_2_DEC)
    await bob.say("/deal 10000")
    december = (await bob.say("/bonus")).plain or ""
    assert december.startswith(
        "💰 Your bonus for December 2026, if the month ended today: 2,000.00 ₽"
    )
    assert "🔜" not in december

    past = await anna.say("/export 2026-11")
    assert past.document is not None
    workbook = load_workbook(io.BytesIO(past.document[1]))
    assert workbook.sheetnames == ["Entries", "Summary", "Bonus"]
    assert bonus_column(workbook["Summary"]) == {"Anna": 0, "Bob": 5500, "Total": 5500}
    arithmetic = list(workbook["Bonus"].iter_rows(values_only=True))
    assert str(arithmetic[0][0]).startswith(november)
    assert arithmetic[2] == (
        "Person",
        "Deals",
        "Revenue",
        "Plan",
        "Paid from",
        "Per deal",
        "Revenue at 5%",
        "5% of it",
        "Before the cap",
        "Bonus",
        "Note",
    )
    assert arithmetic[3] == (
        "Anna",
        0,
        0,
        None,
        None,
        0,
        0,
        0,
        0,
        0,
        "no revenue target: nothing is paid",
    )
    assert arithmetic[4] == ("Bob", 2, 90000, 100000, 80000, 1000, 90000, 4500, 5500, 5500, None)

    current = await anna.say("/export")
    assert current.document is not None
    workbook = load_workbook(io.BytesIO(current.document[1]))
    assert bonus_column(workbook["Summary"]) == {"Anna": 0, "Bob": 2000, "Total": 2000}
    assert str(next(workbook["Bonus"].iter_rows(values_only=True))[0]) == (
        "Bonus: 2,000 ₽ per deal."
    )

    # Bonus amounts are private: no column in an employee's own workbook, none in a week's.
    own_file = await bob.say("/export 2026-11")
    assert own_file.document is not None
    assert load_workbook(io.BytesIO(own_file.document[1])).sheetnames == ["Entries", "Summary"]
    week = await anna.say("/export week")
    assert week.document is not None
    assert "Bonus" not in load_workbook(io.BytesIO(week.document[1])).sheetnames


async def test_bonus_is_never_shown_in_the_group(kpi: RunningBot) -> None:
    anna = kpi.tg.user(1001, "Anna", username="anna", language_code="en")
    bob = kpi.tg.user(1002, "Bob", username="bob", language_code="en")
    await set_up_team(kpi, anna, bob, "Sales North")
    await set_scheme(kpi, anna, ["500", "[No %]", "[None]", "[From the first ruble]", "[No cap]"])
    await press(kpi, anna, "Save", 1)
    await bob.say("/deal 15000")
    group = kpi.tg.group(-100500, "Sales chat")
    kpi.tg.add_bot_to_group(group, anna)
    await group.receive()
    await group.say(anna, "/bindchat")
    pointer = await group.say(bob, "/bonus")
    assert (pointer.plain or "").startswith("📬 I answer commands in a private chat")
    group.send(anna, "/bonus")  # within the minute: no second pointer, and no amounts
    await asyncio.sleep(0.5)  # time for an answer to come, if one did
    assert not [m.plain for m in group.messages if "₽" in (m.plain or "")]
