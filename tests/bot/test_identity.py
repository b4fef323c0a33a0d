"""The bot's identity replies: the same words for any identifier, the history after verification."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot import identity
from bot.assist import case_status, greeting
from core.db import Database
from crm import Customer, Sender, store
from crm.verification import VerificationSettings
from tests import factories
from tests.crm.test_identity import known_customer
from tests.outbound.servers import smtp_sink

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
S = VerificationSettings(_env_file=None)  # type: ignore[call-arg]
EMAIL = [{"entity": "email", "value": "ana.silva@example.com"}]


def setup(db: Database, *, with_case: bool = True) -> tuple[str, str]:
    with db.session() as s:
        factories.agent(s, "tom", display_name="Tom Okafor", timezone="Europe/London")
        ana = known_customer(s)
        ana.profile = {**ana.profile, "plan": "Fibre 500", "appointments": [
            {"kind": "engineer_visit", "case": "CS-10423", "starts": "2026-12-04T08:00:00+00:00",
             "ends": "2026-12-04T12:00:00+00:00"}]}
        if with_case:
            old = factories.conversation(s, customer=ana)
            store.add_message(s, old, Sender.AGENT, "I've set your line to be monitored for a week.",
                              meta={"agent_name": "Tom Okafor"})
            factories.case(s, ana, "CS-10423", conversation_id=old.id, promised_by=NOW - timedelta(days=8),
                           notes="Opened automatically: Customer is upset (sentiment -0.92, frustration 1.00)")
        visitor = factories.customer(s, name=None)
        return factories.conversation(s, customer=visitor).id, ana.id


def claim(db: Database, cid: str, entities: list[dict], text: str = "my email is ...", **kw: object):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return identity.claim(s, cid, entities, text, secret="k", settings=S, sms=False, now=NOW, **kw)  # type: ignore[arg-type]


def answer(db: Database, cid: str, text: str):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return identity.answer(s, cid, text, secret="k", settings=S, now=NOW + timedelta(minutes=1))


def test_claim_reply_is_identical_for_known_and_unknown_email(db: Database) -> None:
    cid, _ = setup(db)
    known = claim(db, cid, EMAIL)
    unknown = claim(db, cid, [{"entity": "email", "value": "nobody@example.com"}])
    assert known.reply.text == unknown.reply.text == (
        "Thanks. If that email address is on our records, I've sent a 6-digit code to that address. It's valid for "
        "10 minutes; type it here when it arrives. If you can't get to it, you can tell me the postcode on the "
        "account instead.")
    assert known.code is not None and unknown.code is None
    for leak in ("Ana", "CS-10423", "Fibre 500", "TW20418833"):
        assert leak not in known.reply.text


def test_claim_without_any_mail_channel_asks_the_company_question_instead(db: Database) -> None:
    cid, _ = setup(db)
    out = claim(db, cid, EMAIL, email=False)
    assert out.code is None
    assert out.reply.text == ("Thanks. I can't send codes at the moment, so to confirm it's you, please tell me "
                              "the postcode on the account.")


def test_claim_malformed_email_in_text_says_what_is_wrong(db: Database) -> None:
    cid, _ = setup(db)
    out = claim(db, cid, [], "my email is ana.silva@example")
    assert out.reply.kind == "verify_invalid"
    assert out.reply.text.startswith("That doesn't look like an email address")
    nothing = claim(db, cid, [], "I'm a customer, find my account")
    assert nothing.reply.text.startswith("I couldn't find an email address, phone number or account number")


def test_answer_right_code_continues_with_the_history_and_fills_slots(db: Database) -> None:
    cid, ana_id = setup(db)
    code = claim(db, cid, EMAIL).code.code  # type: ignore[union-attr]
    out = answer(db, cid, f"{code[:3]} {code[3:]}")
    assert out.verified_customer_id == ana_id
    assert out.reply.text.startswith("Thanks, Ana, that's you confirmed. Case CS-10423 (Intermittent drop-outs every "
                                     "evening) is open.")
    assert "I've set your line to be monitored" in out.reply.text  # what a person wrote
    assert "That time has passed and I'm sorry" in out.reply.text  # overdue promise
    assert "Opened automatically" not in out.reply.text and "sentiment" not in out.reply.text
    assert out.slots["account_number"] == "TW20418833" and out.slots["plan"] == "Fibre 500"
    assert out.slots["email"] == "ana.silva@example.com"


def test_answer_wrong_codes_count_down_then_lock_with_a_retry_time(db: Database) -> None:
    cid, _ = setup(db)
    code = claim(db, cid, EMAIL).code.code  # type: ignore[union-attr]
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    texts = [answer(db, cid, wrong).reply.text for _ in range(3)]
    assert texts[0] == "That doesn't match what we have. You have 2 more tries."
    assert texts[1] == "That doesn't match what we have. You have 1 more try."
    assert texts[2] == ("That's too many wrong answers, so for your security I've locked this for now. You can try "
                        "again after Thursday 3 December, 08:16 (UK time), or ask for a person.")


def test_case_status_for_anonymous_visitor_offers_verification_and_reveals_nothing(db: Database) -> None:
    cid, _ = setup(db)
    with db.session() as s:
        reply = case_status(s, cid, "CS-10423", now=NOW)
        visit = identity.technician_visit(s, cid, now=NOW)
        account = identity.account_number(s, cid)
    for r in (reply, visit, account):
        assert r.kind == "verify_offer"
        assert "CS-10423" not in r.text and "TW20418833" not in r.text


def test_case_status_never_reads_out_internal_notes(db: Database) -> None:
    setup(db)
    with db.session() as s:
        ana = store.find_customer(s, "external_id", "cust-1001")
        conv = factories.conversation(s, customer=ana)
        reply = case_status(s, conv.id, None, now=NOW)
        hello = greeting(s, conv.id, now=NOW)
    assert reply.text == (
        "Case CS-10423 (Intermittent drop-outs every evening) is open. The last update from Tom Okafor on "
        f"{_today_text(reply.text)}: \u201cI've set your line to be monitored for a week.\u201d We promised you an "
        "update by Wednesday 25 November, 08:00 (UK time). That time has passed and I'm sorry we haven't got back "
        "to you yet.")
    assert reply.meta["options"] == ["Talk to a person"]
    assert "UTC" not in hello.text and "Wednesday 25 November, 08:00 (UK time)" in hello.text


def _today_text(text: str) -> str:
    # The agent message was written "now" by the factory: read its formatted time back from the reply.
    m = re.search(r"Tom Okafor on (.+? \(UK time\)):", text)
    assert m, text
    return m.group(1)


def test_technician_visit_says_when_for_a_known_customer(db: Database) -> None:
    setup(db)
    with db.session() as s:
        ana = store.find_customer(s, "external_id", "cust-1001")
        conv = factories.conversation(s, customer=ana)
        booked = identity.technician_visit(s, conv.id, now=NOW)
        after = identity.technician_visit(s, conv.id, now=NOW + timedelta(days=2))
        number = identity.account_number(s, conv.id)
    assert booked.text == ("Yes: an engineer visit is booked for case CS-10423 on Friday 4 December, 08:00 (UK time). "
                           "The engineer will arrive between 08:00 and 12:00.")
    assert after.text.startswith("There's no engineer visit booked on your account at the moment.")
    assert number.text == "Your account number is TW20418833."


def test_send_code_delivers_through_real_smtp_and_records_the_delivery(db: Database) -> None:
    from crm import VerificationChallenge
    from outbound import SmtpMailer

    cid, _ = setup(db)
    code = claim(db, cid, EMAIL).code
    assert code is not None
    with smtp_sink() as sink:
        ch = identity.Channels(SmtpMailer(sink.host, sink.port, "help@tidewater.example"), None, S)
        identity.send_code(db, ch, code, run=lambda fn: fn())
        [mail] = sink.wait_for(1)
    assert mail.rcpt_tos == ["ana.silva@example.com"]
    assert mail.message["Subject"] == "Your Tidewater Fibre verification code"
    assert f"verification code is {code.code}." in mail.message.get_content()
    with db.session() as s:
        row = s.get(VerificationChallenge, code.challenge_id)
        assert row is not None and row.delivery["ok"] is True and row.delivery["channel"] == "email"


def test_claim_unknown_account_number_gets_the_same_reply_and_no_code(db: Database) -> None:
    cid, _ = setup(db)
    known = claim(db, cid, [{"entity": "account_number", "value": "TW20418833"}], "my account number is TW20418833")
    unknown = claim(db, cid, [{"entity": "account_number", "value": "TW99999999"}], "my account number is TW99999999")
    assert known.reply.text == unknown.reply.text
    assert known.reply.text.startswith("Thanks. If that account number is on our records, I've sent a 6-digit code "
                                       "to the email address on that account.")
    assert known.code is not None and unknown.code is None


def test_send_code_by_sms_posts_a_signed_webhook_to_the_gateway(db: Database) -> None:
    from outbound import WebhookSender
    from tests.outbound.servers import http_sink

    cid, _ = setup(db)
    with db.session() as s:
        out = identity.claim(s, cid, [{"entity": "phone", "value": "07700 900123"}], "my number is 07700 900123",
                             secret="k", settings=S, sms=True, now=NOW)
    assert out.code is not None and out.code.channel == "sms"
    assert out.reply.text.startswith("Thanks. If that phone number is on our records, I've sent a 6-digit code to "
                                     "that number by text.")
    with http_sink("gateway-secret") as sink:
        ch = identity.Channels(None, WebhookSender(sink.url, "gateway-secret", sleep=lambda _: None), S)
        identity.send_code(db, ch, out.code, run=lambda fn: fn())
    [request] = sink.requests
    assert request.signature_ok and request.headers["x-firstline-event"] == "verification.code"
    assert request.json()["data"] == {"to": "+44 7700 900123", "text": f"Your Tidewater Fibre code is {out.code.code}. "
                                      "It expires in 10 min."}


def test_answer_right_code_without_open_cases_mentions_plan_and_last_chat(db: Database) -> None:
    cid, ana_id = setup(db, with_case=False)
    with db.session() as s:
        ana = s.get(Customer, ana_id)
        old = factories.conversation(s, customer=ana)
        old.created_at = datetime(2026, 10, 3, 12, 5, tzinfo=UTC)
        store.add_message(s, old, Sender.CUSTOMER, "I've been charged £28 twice this month")
    code = claim(db, cid, EMAIL).code.code  # type: ignore[union-attr]
    out = answer(db, cid, code)
    assert out.reply.text == ("Thanks, Ana, that's you confirmed. I can see you're on Fibre 500 and have no open "
                              "cases. Last time, on Saturday 3 October, you asked: \u201cI've been charged £28 twice "
                              "this month\u201d. What can I help you with?")
