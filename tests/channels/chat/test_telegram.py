"""Telegram: Bot API `Update` JSON through the real service; replies checked as the fake Bot
API received them from python-telegram-bot."""

import time
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.handoffs import HandoffRequest
from bot.settings import get_settings
from bot.words import text
from channels.telegram import PATH, SECRET_HEADER, set_webhook
from tests.channels.chat.conftest import BOT_TOKEN, CITIZEN, JPEG, LONG_WORD, OGG, SECRET_TOKEN
from tests.channels.chat.threaded import fake_bot_api_in_a_thread

CHAT_ID = 987654321
USER = {"id": CHAT_ID, "is_bot": False, "first_name": "فهد", "language_code": "ar"}
CHAT = {"id": CHAT_ID, "first_name": "فهد", "type": "private"}
ARABIC_KEYBOARD = {
    "inline_keyboard": [
        [{"text": "تقديم بلاغ", "callback_data": "/report_complaint"}],
        [{"text": "متابعة بلاغ", "callback_data": "/check_status"}],
        [{"text": "التحدث مع موظف", "callback_data": "/talk_to_agent"}],
    ]
}


def message_update(update_id: int, **content: Any) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id + 1000,
            "from": USER,
            "chat": CHAT,
            "date": 1_700_000_000,
            **content,
        },
    }


def callback_update(update_id: int, data: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": USER,
            "chat_instance": "-100200300",
            "data": data,
            "message": {
                "message_id": 77,
                "from": {"id": 123456, "is_bot": True, "first_name": "Balagh 940"},
                "chat": CHAT,
                "date": 1_700_000_000,
                "text": "أهلاً بك في بلاغ ٩٤٠. كيف أقدر أخدمك؟",
            },
        },
    }


async def post(client, update: dict[str, Any], secret: str | None = SECRET_TOKEN):
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return await client.post(PATH, json=update, headers=headers)


async def test_text_reaches_the_dialogue_and_the_menu_comes_back_as_an_inline_keyboard(
    client, fake_rasa, fake_telegram
):
    response = await post(client, message_update(1, text="مرحبا"))
    assert response.status_code == 200
    assert fake_rasa.received == [
        {
            "sender": f"telegram:{CHAT_ID}",
            "message": "مرحبا",
            "metadata": {
                "channel": "telegram",
                "language": "ar",
                "media": [],
                "message_id": "1",
                "sources": {"update_id": "1", "telegram_chat_id": str(CHAT_ID)},
            },
        }
    ]
    (sent,) = fake_telegram.sent()
    assert sent == {
        "chat_id": str(CHAT_ID),
        "text": "أهلاً بك في بلاغ ٩٤٠. كيف أقدر أخدمك؟",
        "reply_markup": ARABIC_KEYBOARD,
    }


async def test_start_greets_in_the_language_of_the_telegram_app(client, fake_rasa, fake_telegram):
    english = {**USER, "language_code": "en-GB"}
    update = message_update(
        1, text="/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}]
    )
    update["message"]["from"] = english
    await post(client, update)
    assert fake_rasa.messages == ["/greet"]
    assert fake_rasa.received[0]["metadata"]["language"] == "en"
    (sent,) = fake_telegram.sent()
    assert sent["text"] == "Welcome to Balagh 940. How can I help?"


async def test_a_tapped_button_is_answered_and_sends_its_payload(client, fake_rasa, fake_telegram):
    await post(client, message_update(1, text="مرحبا"))
    await post(client, callback_update(2, "/check_status"))
    assert fake_rasa.messages == ["مرحبا", "/check_status"]
    assert fake_telegram.sent("answerCallbackQuery") == [{"callback_query_id": "cb2"}]
    assert fake_telegram.sent()[-1]["text"] == "وصلني: /check_status"


async def test_a_payload_too_long_for_callback_data_travels_by_its_number(
    client, fake_rasa, fake_telegram
):
    long_payload = '/inform{"district": "al_mubarraz_north_industrial_area_and_surroundings"}'
    fake_rasa.replies["مرحبا"] = [
        {"text": "وين المشكلة؟", "buttons": [{"title": "المبرز", "payload": long_payload}]}
    ]
    await post(client, message_update(1, text="مرحبا"))
    (sent,) = fake_telegram.sent()
    assert sent["reply_markup"] == {
        "inline_keyboard": [[{"text": "المبرز", "callback_data": "#1"}]]
    }
    await post(client, callback_update(2, "#1"))
    assert fake_rasa.messages == ["مرحبا", long_payload]


async def test_an_option_of_an_old_menu_is_explained_not_guessed(client, fake_rasa, fake_telegram):
    await post(client, callback_update(2, "#4"))
    assert fake_rasa.received == []
    assert fake_telegram.sent("answerCallbackQuery") == [
        {"callback_query_id": "cb2", "text": text("chat.menu_expired", "ar")}
    ]


@pytest.mark.parametrize("secret", [None, "", "telegram-webhook-secret_2", SECRET_TOKEN + "x"])
async def test_a_request_without_the_secret_token_gets_403_and_changes_nothing(
    client, fake_rasa, fake_telegram, secret
):
    update = message_update(5, text="مرحبا")
    response = await post(client, update, secret=secret)
    assert response.status_code == 403
    assert (fake_rasa.received, fake_telegram.calls) == ([], [])
    assert (await post(client, update)).status_code == 200  # the genuine one still counts
    assert fake_rasa.messages == ["مرحبا"]


async def test_a_redelivered_update_is_one_turn(client, fake_rasa, fake_telegram):
    update = message_update(9, text="مرحبا")
    for _ in range(3):
        assert (await post(client, update)).status_code == 200
    assert len(fake_rasa.received) == 1
    assert len(fake_telegram.sent()) == 1


async def test_a_body_that_is_not_an_update_is_refused(client, fake_rasa):
    response = await client.post(PATH, content=b"[1, 2]", headers={SECRET_HEADER: SECRET_TOKEN})
    assert response.status_code == 422
    assert fake_rasa.received == []


async def test_a_shared_location_and_a_venue(client, fake_rasa):
    await post(client, message_update(1, location={"latitude": 25.38, "longitude": 49.58}))
    venue = {
        "location": {"latitude": 25.29, "longitude": 49.48},
        "title": "حديقة الملك عبدالله",
        "address": "المبرز، الأحساء",
    }
    await post(client, message_update(2, location=venue["location"], venue=venue))
    locations = [body["metadata"]["location"] for body in fake_rasa.received]
    assert locations == [
        {"lat": 25.38, "lng": 49.58},
        {"lat": 25.29, "lng": 49.48, "address": "المبرز، الأحساء"},
    ]
    assert fake_rasa.messages == ["", ""]


async def test_the_senders_own_contact_is_their_phone(client, fake_rasa):
    contact = {"phone_number": CITIZEN.removeprefix("+"), "first_name": "فهد", "user_id": CHAT_ID}
    await post(client, message_update(1, contact=contact))
    assert fake_rasa.messages == [CITIZEN]
    assert fake_rasa.received[0]["metadata"]["phone"] == CITIZEN


async def test_someone_elses_contact_is_not_taken_as_the_users_phone(
    client, fake_rasa, fake_telegram
):
    contact = {"phone_number": "+966551112233", "first_name": "سعد", "user_id": 5555}
    await post(client, message_update(1, contact=contact))
    assert fake_rasa.received == []
    assert [sent["text"] for sent in fake_telegram.sent()] == [text("chat.contact_not_yours", "ar")]


async def test_a_photo_is_downloaded_through_the_bot_api_and_kept(
    client, services, fake_rasa, fake_telegram
):
    fake_telegram.files = {"small": JPEG[:200], "large": JPEG}
    photo = [
        {"file_id": "small", "file_unique_id": "us", "width": 90, "height": 67, "file_size": 200},
        {
            "file_id": "large",
            "file_unique_id": "ul",
            "width": 1280,
            "height": 960,
            "file_size": len(JPEG),
        },
    ]
    await post(client, message_update(1, photo=photo, caption="حاوية طافحة"))
    assert fake_telegram.sent("getFile") == [{"file_id": "large"}]
    (media,) = fake_rasa.received[0]["metadata"]["media"]
    assert (media["kind"], media["media_type"], media["size"]) == ("photo", "image/jpeg", len(JPEG))
    assert await services.attachments.read(media["storage_key"]) == JPEG
    assert fake_rasa.messages == ["حاوية طافحة"]


async def test_a_voice_message_is_kept_as_a_voice_attachment(client, fake_rasa, fake_telegram):
    fake_telegram.files = {"v1": OGG}
    voice = {
        "file_id": "v1",
        "file_unique_id": "uv1",
        "duration": 4,
        "mime_type": "audio/ogg",
        "file_size": len(OGG),
    }
    await post(client, message_update(1, voice=voice))
    (media,) = fake_rasa.received[0]["metadata"]["media"]
    assert (media["kind"], media["media_type"]) == ("voice", "audio/ogg")


async def test_a_file_over_the_limit_is_refused_before_downloading(
    client, fake_rasa, fake_telegram
):
    voice = {"file_id": "v1", "file_unique_id": "uv1", "duration": 900, "file_size": 5_000_000}
    await post(client, message_update(1, voice=voice))
    assert fake_telegram.sent("getFile") == []
    assert fake_rasa.received == []
    assert [sent["text"] for sent in fake_telegram.sent()] == [
        text("chat.media_too_large", "ar", limit=1)
    ]


async def test_a_sticker_is_politely_refused(client, fake_rasa, fake_telegram):
    sticker = {
        "file_id": "s1",
        "file_unique_id": "us1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    await post(client, message_update(1, sticker=sticker))
    assert fake_rasa.received == []
    assert [sent["text"] for sent in fake_telegram.sent()] == [
        text("chat.message_unsupported", "ar")
    ]


async def test_long_replies_are_split_at_4096_with_the_keyboard_on_the_last_piece(
    client, fake_rasa, fake_telegram
):
    fake_rasa.replies["long menu"] = [
        {"text": LONG_WORD * 1500, "buttons": [{"title": "القائمة", "payload": "/greet"}]}
    ]
    await post(client, message_update(1, text="long menu"))
    sent = fake_telegram.sent()
    assert [len(piece["text"]) <= 4096 for piece in sent] == [True, True]
    assert " ".join(piece["text"] for piece in sent) == (LONG_WORD * 1500).strip()
    assert ["reply_markup" in piece for piece in sent] == [False, True]


async def test_flood_control_waits_retry_after_then_sends(client, fake_telegram):
    fake_telegram.flood = 1
    started = time.monotonic()
    await post(client, message_update(1, text="مرحبا"))
    assert time.monotonic() - started >= 1.0
    assert [method for method, _ in fake_telegram.calls] == ["429", "sendMessage"]


async def test_dialogue_down_apologises_in_the_users_language(client, fake_rasa, fake_telegram):
    fake_rasa.down = True
    await post(client, message_update(1, text="the street light is out"))
    assert [sent["text"] for sent in fake_telegram.sent()] == [text("chat.dialogue_down", "en")]


async def test_group_chats_are_ignored(client, fake_rasa, fake_telegram):
    update = message_update(1, text="مرحبا")
    update["message"]["chat"] = {"id": -1001, "type": "group", "title": "حي الخالدية"}
    assert (await post(client, update)).status_code == 200
    assert (fake_rasa.received, fake_telegram.calls) == ([], [])


async def test_an_employee_request_is_recorded(client, services):
    await post(client, callback_update(1, "/talk_to_agent"))
    (request,) = await services.store.list_records("chat_handoff", HandoffRequest)
    assert (request.channel, request.conversation_id) == ("telegram", f"telegram:{CHAT_ID}")


async def test_set_webhook_registers_the_url_with_the_secret_and_the_updates_we_read(
    settings, fake_telegram
):
    url = await set_webhook(settings)
    assert url == "https://localhost/channels/telegram/webhook"
    (registered,) = fake_telegram.sent("setWebhook")
    assert registered == {
        "url": url,
        "secret_token": SECRET_TOKEN,
        "allowed_updates": ["message", "callback_query"],
    }


def test_the_cli_sets_the_webhook(monkeypatch, tmp_path):
    """`balagh telegram set-webhook`, run as an operator would, against the fake Bot API."""
    with fake_bot_api_in_a_thread() as (url, calls):
        for name, value in {
            "BALAGH_TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "BALAGH_TELEGRAM_SECRET_TOKEN": SECRET_TOKEN,
            "BALAGH_TELEGRAM_API_BASE_URL": url,
            "BALAGH_PUBLIC_BASE_URL": "https://localhost",
            "BALAGH_STORE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, ["telegram", "set-webhook"])
        finally:
            get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "https://localhost/channels/telegram/webhook" in result.output
    assert [method for method, _ in calls].count("setWebhook") == 1
