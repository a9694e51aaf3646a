"""Reading and checking what amoCRM, Bitrix24, Zadarma and the signed webhook send."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from bot.services.connections import valid_rest_url
from bot.services.crm_payloads import (
    Malformed,
    Refused,
    State,
    amocrm_events,
    bitrix24_deal,
    bitrix24_events,
    webhook_events,
    webhook_signature,
    zadarma_events,
)
from models import EntryKind

NOW = datetime(2026, 12, 16, 9, 0, tzinfo=UTC)
SECRET = "zadarma-api-secret"


def form(fields: dict[str, object]) -> bytes:
    return urlencode(fields).encode()


def test_amocrm_lead_added_is_a_lead_and_status_142_a_won_deal_with_its_budget() -> None:
    body = form(
        {
            "leads[add][0][id]": "11",
            "leads[add][0][status_id]": "20394",
            "leads[add][0][responsible_user_id]": "555",
            "leads[add][0][date_create]": "1765875600",
            "leads[status][0][id]": "12",
            "leads[status][0][status_id]": "142",
            "leads[status][0][price]": "15000.50",
            "leads[status][0][responsible_user_id]": "556",
            "leads[status][0][last_modified]": "1765879200",
            "leads[update][0][id]": "13",
            "leads[update][0][status_id]": "143",
            "leads[update][0][price]": "900",
            "account[subdomain]": "sales",
        }
    )
    events = amocrm_events(body, NOW)
    assert [(e.kind, e.external_id, e.state, e.amount_kopecks, e.person) for e in events] == [
        (EntryKind.LEAD, "11", State.DONE, None, "555"),
        (EntryKind.DEAL, "12", State.WON, 1_500_050, "556"),
        (EntryKind.DEAL, "13", State.OPEN, None, ""),
    ]
    assert events[0].occurred_at == datetime(2025, 12, 16, 9, 0, tzinfo=UTC)


def test_amocrm_without_an_id_is_malformed() -> None:
    with pytest.raises(Malformed):
        amocrm_events(form({"leads[status][0][status_id]": "142"}), NOW)


def zadarma_form(event: str, **fields: str) -> dict[str, str]:
    return {"event": event, "call_start": "2026-12-16 11:59:00", "pbx_call_id": "in_1", **fields}


@pytest.mark.parametrize("raw", [False, True])
def test_zadarma_signature_hex_or_raw_digest_and_a_call_in_the_teams_zone(raw: bool) -> None:
    fields = zadarma_form(
        "NOTIFY_END",
        caller_id="+74951234567",
        called_did="74957654321",
        internal="101",
        duration="45",
        disposition="answered",
    )
    signed = fields["caller_id"] + fields["called_did"] + fields["call_start"]
    digest = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha1)
    signature = base64.b64encode(digest.digest() if raw else digest.hexdigest().encode())
    (event,) = zadarma_events(form(fields), signature.decode(), SECRET, "Europe/Moscow", NOW)
    assert (event.kind, event.state, event.seconds, event.person) == (
        EntryKind.CALL,
        State.DONE,
        45,
        "101",
    )
    assert event.occurred_at == datetime(2026, 12, 16, 8, 59, tzinfo=UTC)
    with pytest.raises(Refused):
        zadarma_events(form(fields), signature.decode(), "another", "Europe/Moscow", NOW)
    with pytest.raises(Refused):
        zadarma_events(form(fields), signature.decode(), None, "Europe/Moscow", NOW)


def test_zadarma_outgoing_signs_extension_and_destination_and_other_events_are_ignored() -> None:
    fields = zadarma_form(
        "NOTIFY_OUT_END", destination="+79161234567", duration="5", disposition="busy"
    )
    signed = fields["destination"] + fields["call_start"]  # no extension: "" in front
    digest = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha1).hexdigest()
    signature = base64.b64encode(digest.encode()).decode()
    (event,) = zadarma_events(form(fields), signature, SECRET, "UTC", NOW)
    assert (event.state, event.person) == (State.MISSED, "")
    start = {**fields, "event": "NOTIFY_OUT_START"}
    assert zadarma_events(form(start), signature, SECRET, "UTC", NOW) == []


def test_bitrix24_event_needs_its_application_token_and_names_only_the_deal() -> None:
    fields = {
        "event": "ONCRMDEALUPDATE",
        "data[FIELDS][ID]": "7",
        "ts": "1765875600",
        "auth[application_token]": "tok",
    }
    (event,) = bitrix24_events(form(fields), "tok", NOW)
    assert (event.kind, event.external_id, event.state) == (EntryKind.DEAL, "7", State.FETCH)
    with pytest.raises(Refused):
        bitrix24_events(form(fields), "other", NOW)
    with pytest.raises(Refused):
        bitrix24_events(form(fields), None, NOW)
    other = {**fields, "event": "ONCRMCONTACTUPDATE"}
    assert bitrix24_events(form(other), "tok", NOW) == []


def test_bitrix24_deal_is_won_by_its_stage_semantic_whatever_the_stage_is_called() -> None:
    deal = {
        "ID": "7",
        "STAGE_ID": "C3:FINAL_INVOICE",
        "STAGE_SEMANTIC_ID": "S",
        "OPPORTUNITY": "64500.50",
        "ASSIGNED_BY_ID": "17",
        "CLOSEDATE": "2026-12-15T03:00:00+03:00",
    }
    won = bitrix24_deal({"result": deal}, NOW)
    assert (won.won, won.amount_kopecks, won.person) == (True, 6_450_050, "17")
    assert won.occurred_at == datetime(2026, 12, 15, 0, 0, tzinfo=UTC)
    lost = bitrix24_deal({"result": {**deal, "STAGE_SEMANTIC_ID": "F"}}, NOW)
    assert (lost.won, lost.amount_kopecks) == (False, None)
    with pytest.raises(Malformed):
        bitrix24_deal({"error": "Not found"}, NOW)


def test_webhook_signed_json_one_or_many_and_what_is_wrong_with_it() -> None:
    body = json.dumps(
        [
            {"kind": "deal", "amount": "15 000,50", "external_id": "D-1", "user": "ivan"},
            {"kind": "call", "external_id": "C-1", "at": "2026-12-16T10:00:00"},
            {"kind": "deal", "amount": 100, "external_id": "D-2", "status": "lost"},
            {"kind": "deal", "external_id": "D-3", "status": "lost"},
        ]
    ).encode()
    key = "k"
    events = webhook_events(body, webhook_signature(body, key), key, "Europe/Moscow", NOW)
    assert [(e.kind, e.state, e.amount_kopecks) for e in events] == [
        (EntryKind.DEAL, State.WON, 1_500_050),
        (EntryKind.CALL, State.DONE, None),
        (EntryKind.DEAL, State.OPEN, 10_000),
        (EntryKind.DEAL, State.OPEN, None),
    ]
    assert events[1].occurred_at == datetime(2026, 12, 16, 7, 0, tzinfo=UTC)
    with pytest.raises(Refused):
        webhook_events(body, "sha256=" + "0" * 64, key, "UTC", NOW)
    for wrong, says in (
        ({"kind": "sale", "external_id": "x"}, "kind"),
        ({"kind": "deal", "external_id": "x"}, "amount"),
        ({"kind": "deal", "amount": -1, "external_id": "x"}, "non-negative"),
        ({"kind": "call"}, "external_id"),
        ({"kind": "call", "external_id": "x", "at": "yesterday"}, "ISO 8601"),
    ):
        bad = json.dumps(wrong).encode()
        with pytest.raises(Malformed, match=says):
            webhook_events(bad, webhook_signature(bad, key), key, "UTC", NOW)


def test_a_bitrix24_rest_url_is_the_inbound_webhooks_shape() -> None:
    assert valid_rest_url("https://sales.bitrix24.ru/rest/1/abc123def/")
    assert not valid_rest_url("https://sales.bitrix24.ru/rest/abc/")
    assert not valid_rest_url("ftp://sales.bitrix24.ru/rest/1/abc/")


FAR_OFF = ("9999-12-31T23:00:00+00:00", "0001-01-01T00:00:00", "2025-11-01T00:00:00+00:00")


@pytest.mark.parametrize("at", [*FAR_OFF, "2026-12-17T13:00:00+00:00"])
def test_a_moment_far_from_its_arrival_is_malformed_whatever_the_system(at: str) -> None:
    """Out of [received - 400 days, received + 1 day]: refused as a sender's mistake, never
    stored (a year 9999 or 1 broke the applier and the intake for every team)."""
    key = "k"
    body = json.dumps({"kind": "call", "external_id": "C-1", "at": at}).encode()
    with pytest.raises(Malformed, match="400 days"):
        webhook_events(body, webhook_signature(body, key), key, "Europe/Moscow", NOW)
    moment = datetime.fromisoformat(at)
    unix = str(int(moment.replace(tzinfo=UTC).timestamp())) if moment.year > 1 else "9" * 30
    with pytest.raises(Malformed):
        amocrm_events(form({"leads[add][0][id]": "11", "leads[add][0][date_create]": unix}), NOW)
    event = {"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": "7", "ts": unix}
    with pytest.raises(Malformed):
        bitrix24_events(form({**event, "auth[application_token]": "tok"}), "tok", NOW)
    start = moment.strftime("%Y-%m-%d %H:%M:%S").rjust(19, "0")
    fields = zadarma_form("NOTIFY_END", call_start=start, caller_id="1", called_did="2")
    signature = base64.b64encode(
        hmac.new(SECRET.encode(), ("12" + start).encode(), hashlib.sha1).hexdigest().encode()
    ).decode()
    with pytest.raises(Malformed):
        zadarma_events(form(fields), signature, SECRET, "Europe/Moscow", NOW)


def test_a_bitrix24_deal_won_with_a_planned_closedate_is_dated_when_it_was_won() -> None:
    deal = {"STAGE_SEMANTIC_ID": "S", "OPPORTUNITY": "100", "ASSIGNED_BY_ID": "17"}
    for closedate in ("2027-03-01T03:00:00+03:00", "9999-12-31T00:00:00", "0001-01-01T00:00:00"):
        won = bitrix24_deal({"result": {**deal, "CLOSEDATE": closedate}}, NOW)
        assert won.occurred_at == NOW
