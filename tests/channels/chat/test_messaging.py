"""WhatsApp and SMS: Twilio's documented webhook form, signed as Twilio signs it, through the
real service; replies checked as the fake Twilio Messages API received them."""

import pytest
from prometheus_client import REGISTRY

from bot.clock import utc_now
from bot.complaints import Actor, NewComplaint
from bot.handoffs import HandoffRequest
from bot.notifications.whatsapp_session import in_session
from bot.services import Services
from bot.types import Role, Status
from bot.words import text
from channels.messaging import EMPTY_TWIML, PATH, STATUS_PATH
from tests.channels.chat.conftest import (
    ACCOUNT_SID,
    CITIZEN,
    JPEG,
    LONG_WORD,
    OGG,
    SMS_NUMBER,
    WHATSAPP_NUMBER,
    twilio_signature,
)

WHATSAPP_CITIZEN = f"whatsapp:{CITIZEN}"
MEDIA_BASE = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages"


def whatsapp(sid: str, body: str = "", **extra: str) -> dict[str, str]:
    """An inbound WhatsApp message as Twilio posts it."""
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Fahad",
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": CITIZEN.removeprefix("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": WHATSAPP_NUMBER,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": WHATSAPP_CITIZEN,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def sms(sid: str, body: str) -> dict[str, str]:
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "FromCountry": "SA",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": SMS_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": CITIZEN,
        "ApiVersion": "2010-04-01",
    }


async def post(client, params: dict[str, str], path: str = PATH, signature: str | None = None):
    signature = signature if signature is not None else twilio_signature(path, params)
    return await client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def menu_text(language: str) -> str:
    if language == "ar":
        return (
            "أهلاً بك في بلاغ ٩٤٠. كيف أقدر أخدمك؟\n1. تقديم بلاغ\n2. متابعة بلاغ\n3. التحدث مع موظف"
        )
    return (
        "Welcome to Balagh 940. How can I help?\n"
        "1. Report a problem\n2. Follow a report\n3. Talk to an employee"
    )


async def test_a_whatsapp_message_reaches_the_dialogue_and_the_menu_comes_back_numbered(
    client, fake_rasa, fake_twilio
):
    response = await post(client, whatsapp("SM" + "a" * 32, "مرحبا"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text == EMPTY_TWIML

    assert fake_rasa.received == [
        {
            "sender": f"whatsapp:{CITIZEN}",
            "message": "مرحبا",
            "metadata": {
                "channel": "whatsapp",
                "language": "ar",
                "phone": CITIZEN,
                "media": [],
                "message_id": "SM" + "a" * 32,
                "sources": {"MessageSid": "SM" + "a" * 32},
            },
        }
    ]
    (sent,) = fake_twilio.sent
    assert sent["To"] == WHATSAPP_CITIZEN
    assert sent["From"] == WHATSAPP_NUMBER
    assert sent["Body"] == menu_text("ar")
    assert sent["StatusCallback"] == f"https://localhost{STATUS_PATH}"


async def test_the_turn_carries_the_request_id_to_the_dialogue_and_back(client, fake_rasa):
    """The load balancer's id (else one made here) names the turn in Rasa's metadata, in the
    actions' logs and in the answer."""
    params = whatsapp("SM" + "b" * 32, "مرحبا")
    signature = twilio_signature(PATH, params)
    from_balancer = await client.post(
        PATH,
        data=params,
        headers={"X-Twilio-Signature": signature, "X-Request-ID": "3f1c2b7e-lb-0001"},
    )
    made_here = await post(client, whatsapp("SM" + "c" * 32, "hello"))
    assert from_balancer.headers["X-Request-ID"] == "3f1c2b7e-lb-0001"
    assert fake_rasa.request_ids == ["3f1c2b7e-lb-0001", made_here.headers["X-Request-ID"]]


@pytest.mark.parametrize(
    ("greeting", "reply", "language"),
    [
        ("مرحبا", "٢", "ar"),
        ("مرحبا", "2", "ar"),
        ("hello", "2", "en"),
        ("hello", "follow a report", "en"),
    ],
)
async def test_a_numbered_reply_selects_that_option_of_the_last_menu(
    client, fake_rasa, fake_twilio, greeting, reply, language
):
    await post(client, whatsapp("SM1", greeting))
    await post(client, whatsapp("SM2", reply))
    assert fake_rasa.messages == [greeting, "/check_status"]
    assert fake_rasa.received[1]["metadata"]["language"] == language
    assert fake_twilio.bodies[0] == menu_text(language)


async def test_a_number_with_no_menu_open_goes_to_the_dialogue_as_typed(client, fake_rasa):
    await post(client, whatsapp("SM1", "٣"))
    assert fake_rasa.messages == ["٣"]


async def test_sms_comes_from_the_sms_number_and_long_replies_are_split_at_1600(
    client, fake_rasa, fake_twilio
):
    await post(client, sms("SM1", "long"))
    assert fake_rasa.received[0]["metadata"]["channel"] == "sms"
    assert fake_rasa.received[0]["sender"] == f"sms:{CITIZEN}"
    assert all(form["To"] == CITIZEN and form["From"] == SMS_NUMBER for form in fake_twilio.sent)
    assert [len(body) <= 1600 for body in fake_twilio.bodies] == [True] * 5
    assert " ".join(fake_twilio.bodies) == (LONG_WORD * 1500).strip()


async def test_whatsapp_replies_are_split_at_4096(client, fake_twilio):
    await post(client, whatsapp("SM1", "long"))
    assert [len(body) <= 4096 for body in fake_twilio.bodies] == [True, True]
    assert " ".join(fake_twilio.bodies) == (LONG_WORD * 1500).strip()


@pytest.mark.parametrize(
    "signature",
    ["", "bm90IGEgc2lnbmF0dXJl", "signed-for-another-url"],
)
async def test_a_forged_webhook_gets_403_and_changes_nothing(
    client, services, fake_rasa, fake_twilio, signature
):
    params = whatsapp("SM" + "f" * 32, "مرحبا")
    if signature == "signed-for-another-url":
        signature = twilio_signature("/channels/telegram/webhook", params)
    response = await post(client, params, signature=signature)
    assert response.status_code == 403
    assert (fake_rasa.received, fake_twilio.sent) == ([], [])
    # the message id was not used up: Twilio's genuine delivery is still handled
    assert (await post(client, params)).status_code == 200
    assert fake_rasa.messages == ["مرحبا"]


async def test_a_tampered_body_fails_the_signature(client, fake_rasa):
    params = whatsapp("SM1", "مرحبا")
    signature = twilio_signature(PATH, params)
    response = await post(client, {**params, "Body": "/talk_to_agent"}, signature=signature)
    assert response.status_code == 403
    assert fake_rasa.received == []


async def test_a_retried_webhook_is_one_turn_and_one_reply(client, fake_rasa, fake_twilio):
    params = whatsapp("SM" + "r" * 32, "مرحبا")
    answers = [await post(client, params) for _ in range(3)]
    assert {answer.status_code for answer in answers} == {200}
    assert {answer.text for answer in answers} == {EMPTY_TWIML}
    assert len(fake_rasa.received) == 1
    assert len(fake_twilio.sent) == 1


async def test_a_shared_location_becomes_the_complaint_location(client, fake_rasa):
    params = whatsapp(
        "SM1",
        MessageType="location",
        Latitude="25.3831",
        Longitude="49.5870",
        Address="شارع الملك عبدالعزيز، الهفوف",
        Label="بيتي",
    )
    await post(client, params)
    metadata = fake_rasa.received[0]["metadata"]
    assert fake_rasa.messages == [""]
    assert metadata["location"] == {
        "lat": 25.3831,
        "lng": 49.587,
        "address": "شارع الملك عبدالعزيز، الهفوف",
    }


def with_media(params: dict[str, str], *files: tuple[str, str]) -> dict[str, str]:
    media = {"NumMedia": str(len(files)), "MessageType": "image"}
    for index, (media_sid, media_type) in enumerate(files):
        media[f"MediaUrl{index}"] = f"{MEDIA_BASE}/{params['MessageSid']}/Media/{media_sid}"
        media[f"MediaContentType{index}"] = media_type
    return {**params, **media}


async def test_a_photo_is_fetched_with_the_account_credentials_and_kept(
    client, services, fake_rasa, fake_twilio
):
    fake_twilio.media["ME1"] = (JPEG, "image/jpeg")
    fake_twilio.media["ME2"] = (OGG, "audio/ogg")
    params = with_media(
        whatsapp("MM1", "حفرة كبيرة قدام البيت"), ("ME1", "image/jpeg"), ("ME2", "audio/ogg")
    )
    await post(client, params)

    assert fake_twilio.media_requests == [
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1",
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME2",
    ]
    photo, voice = fake_rasa.received[0]["metadata"]["media"]
    assert (photo["kind"], photo["media_type"], photo["size"]) == ("photo", "image/jpeg", len(JPEG))
    assert (voice["kind"], voice["media_type"], voice["size"]) == ("voice", "audio/ogg", len(OGG))
    assert await services.attachments.read(photo["storage_key"]) == JPEG
    assert await services.attachments.read(voice["storage_key"]) == OGG
    assert fake_rasa.messages == ["حفرة كبيرة قدام البيت"]


@pytest.mark.parametrize(
    ("data", "declared", "reason"),
    [
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, "video/mp4", "media_unsupported"),
        (b"%PDF-1.7" + b"\x00" * 100, "image/jpeg", "media_unsupported"),  # lies about its type
        (JPEG + b"\x00" * 1_100_000, "image/jpeg", "media_too_large"),
    ],
)
async def test_a_file_we_do_not_keep_is_explained_in_the_users_language(
    client, fake_rasa, fake_twilio, data, declared, reason
):
    fake_twilio.media["ME1"] = (data, declared)
    await post(client, with_media(whatsapp("MM1"), ("ME1", declared)))
    assert fake_rasa.received == []
    (body,) = fake_twilio.bodies
    assert body == text(f"chat.{reason}", "ar", limit=1)


async def test_a_refused_file_with_text_still_reaches_the_dialogue(client, fake_rasa, fake_twilio):
    fake_twilio.media["ME1"] = (b"GIF89a" + b"\x00" * 50, "image/gif")
    await post(client, with_media(whatsapp("MM1", "the light is broken"), ("ME1", "image/gif")))
    assert fake_rasa.messages == ["the light is broken"]
    assert fake_rasa.received[0]["metadata"]["media"] == []
    (body,) = fake_twilio.bodies
    assert body == text("chat.media_unsupported", "en") + "\n\nGot: the light is broken"


async def test_media_urls_outside_twilio_are_never_fetched(client, fake_rasa, fake_twilio):
    params = {
        **whatsapp("MM1"),
        "NumMedia": "1",
        "MediaUrl0": "http://169.254.169.254/latest/meta-data",
        "MediaContentType0": "image/jpeg",
    }
    await post(client, params)
    assert fake_twilio.media_requests == []
    assert fake_twilio.bodies == [text("chat.media_failed", "ar")]


def turns_counted() -> dict[str, float]:
    return {
        outcome: REGISTRY.get_sample_value(
            "balagh_dialogue_turns_total", {"channel": "whatsapp", "outcome": outcome}
        )
        or 0.0
        for outcome in ("answered", "unavailable")
    }


async def test_dialogue_down_apologises_and_keeps_the_photo_for_the_next_message(
    client, fake_rasa, fake_twilio
):
    before = turns_counted()
    fake_rasa.down = True
    fake_twilio.media["ME1"] = (JPEG, "image/jpeg")
    await post(client, with_media(whatsapp("MM1", "حفرة"), ("ME1", "image/jpeg")))
    assert fake_twilio.bodies == [text("chat.dialogue_down", "ar")]

    fake_rasa.down = False
    await post(client, whatsapp("SM2", "حفرة في الشارع"))
    *while_down, fresh = fake_rasa.received
    assert len(while_down) == 2  # sent once more: no dialogue core answered it (503)
    assert fresh["metadata"]["media"] == while_down[0]["metadata"]["media"]
    assert fresh["metadata"]["media"][0]["kind"] == "photo"
    after = turns_counted()
    assert {outcome: after[outcome] - before[outcome] for outcome in after} == {
        "answered": 1,
        "unavailable": 1,
    }


async def test_english_apology_for_an_english_user(client, fake_rasa, fake_twilio):
    fake_rasa.down = True
    await post(client, sms("SM1", "is anyone there?"))
    assert fake_twilio.bodies == [text("chat.dialogue_down", "en")]


async def test_a_template_button_sends_its_payload(client, fake_rasa):
    params = whatsapp(
        "SM1",
        "Report a problem",
        MessageType="button",
        ButtonText="Report",
        ButtonPayload="/report_complaint",
    )
    await post(client, params)
    assert fake_rasa.messages == ["/report_complaint"]


async def test_an_employee_request_is_recorded_for_the_back_office(client, services, fake_rasa):
    await post(client, whatsapp("SM1", "مرحبا"))
    await post(client, whatsapp("SM2", "3"))
    requests = await services.store.list_records("chat_handoff", HandoffRequest)
    assert [(r.channel, r.conversation_id, r.phone, r.reason) for r in requests] == [
        ("whatsapp", f"whatsapp:{CITIZEN}", CITIZEN, "requested")
    ]


async def test_a_whatsapp_message_opens_the_24_hour_window(client, services):
    await post(client, whatsapp("SM1", "مرحبا"))
    assert await in_session(services.store, CITIZEN, utc_now())


async def resolved_complaint(services: Services) -> str:
    report = NewComplaint(
        channel="whatsapp",
        language="ar",
        description="حفرة في الطريق",
        phone=CITIZEN,
        phone_verified=True,  # the WhatsApp sender
    )
    complaint = (await services.complaints.create(report, Actor("citizen", "citizen"))).complaint
    supervisor = Actor("noura", Role.SUPERVISOR)
    await services.complaints.assign(complaint.reference, supervisor, team="roads_hofuf")
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        await services.complaints.change_status(complaint.reference, status, supervisor)
    return complaint.reference


async def test_is_it_fixed_answer_reopens_without_a_dialogue_turn(
    client, services, fake_rasa, fake_twilio
):
    reference = await resolved_complaint(services)
    await post(client, whatsapp("SM1", "٢"))
    complaint = await services.complaints.store.get_complaint(reference)
    assert complaint is not None
    assert complaint.status == Status.IN_PROGRESS
    assert fake_rasa.received == []
    assert fake_twilio.sent == []  # the reopening notifies by itself, through the outbox


async def test_with_a_menu_open_a_digit_answers_the_menu(client, services, fake_rasa):
    reference = await resolved_complaint(services)
    await post(client, whatsapp("SM1", "مرحبا"))
    await post(client, whatsapp("SM2", "2"))
    assert fake_rasa.messages == ["مرحبا", "/check_status"]
    complaint = await services.complaints.store.get_complaint(reference)
    assert complaint is not None
    assert complaint.status == Status.RESOLVED


async def test_delivery_reports_are_signed_and_accepted(client):
    report = {
        "MessageSid": "SM" + "1" * 32,
        "MessageStatus": "delivered",
        "AccountSid": ACCOUNT_SID,
        "From": WHATSAPP_NUMBER,
        "To": WHATSAPP_CITIZEN,
        "ApiVersion": "2010-04-01",
        "ChannelToAddress": CITIZEN,
    }
    assert (await post(client, report, path=STATUS_PATH)).status_code == 204
    assert (await post(client, report, path=STATUS_PATH, signature="forged")).status_code == 403


async def test_a_busy_twilio_is_retried_once(client, fake_twilio):
    fake_twilio.busy = 1
    await post(client, whatsapp("SM1", "مرحبا"))
    assert fake_twilio.bodies == [menu_text("ar")]
