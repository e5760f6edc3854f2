"""End to end: the real Rasa server and the service, a complaint reported through Rasa's REST
channel, then found in the store with the right category, priority, team and history."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.complaint_record import Complaint
from bot.reference import parse_reference
from bot.store.sqlite import SqliteStore
from bot.types import Status
from tests.e2e.servers import Stack, missing_prerequisite

pytestmark = pytest.mark.skipif(
    missing_prerequisite() is not None, reason=str(missing_prerequisite())
)
CALLER = "+966551234567"
METADATA = {"channel": "whatsapp", "phone": CALLER, "sources": {"MessageSid": "SM0001"}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack.start(tmp_path_factory.mktemp("e2e"))
    try:
        yield running
    finally:
        running.stop()


def say(stack: Stack, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[Any]:
    response = httpx.post(
        f"{stack.rasa.url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": metadata or METADATA},
        timeout=30,
    )
    assert response.status_code == 200, stack.rasa.tail()
    messages: list[Any] = response.json()
    return messages


def texts(messages: list[Any]) -> list[str]:
    return [m["text"] for m in messages if "text" in m]


async def stored(stack: Stack, reference: str) -> Complaint | None:
    store = SqliteStore(Path(stack.workdir) / "balagh.db")
    await store.open()
    try:
        return await store.get_complaint(reference)
    finally:
        await store.close()


async def test_report_a_complaint_through_rasa(stack: Stack) -> None:
    sender = "e2e-report-ar"
    welcome = say(stack, sender, "السلام عليكم")
    assert texts(welcome)[0] == "حياك الله في بلاغ 940، أمانة الأحساء."

    opening = say(stack, sender, "ابي ابلغ عن حفرة كبيرة وخطيرة قدام مدرسة البنات في حي الكوت")
    assert texts(opening)[-1] == "نتواصل معك على رقمك المنتهي بـ 4567؟"

    summary = say(stack, sender, "/affirm")
    assert "- النوع: الطرق والأرصفة\n- الحي: الكوت" in texts(summary)[0]
    assert [b["payload"] for b in summary[0]["buttons"]] == ["/affirm", "/deny", "/cancel"]

    done = say(stack, sender, "نعم")
    hints = [m["custom"] for m in done if "custom" in m]
    [hint] = [h for h in hints if "reference" in h]
    reference = hint["reference"]["value"]
    assert parse_reference(reference) == reference
    assert hint["reference"]["digits"] == " ".join(reference)
    assert any(t.startswith(f"تم تسجيل بلاغك. رقم البلاغ {reference}.") for t in texts(done))

    complaint = await stored(stack, reference)
    assert complaint is not None
    assert complaint.channel == "whatsapp"
    assert complaint.language == "ar"
    assert complaint.category == "roads"
    assert complaint.district == "al_kut"
    assert complaint.priority == "P2"  # danger and a school raise the roads default P3
    assert complaint.team == "roads_hofuf"
    assert complaint.status == Status.ASSIGNED
    assert complaint.phone == CALLER
    assert complaint.sources["MessageSid"] == "SM0001"
    assert complaint.sources["conversation"] == sender
    history = {entry.field: entry for entry in complaint.history}
    assert history["created"].actor == "citizen"
    assert "P2" in history["priority"].reason
    assert "roads_hofuf" in history["team"].reason
    assert history["status"].new == Status.ASSIGNED

    # the same person asks for its status in English, by number
    status = say(stack, "e2e-status-en", f"what's the status of report {reference}")
    assert texts(status)[0].startswith(f"Report {reference}: Assigned to a field team.")
    assert texts(status)[1].startswith("Your report's details: Roads and sidewalks, Al Kut.")


async def test_a_wrong_reference_is_refused_in_english(stack: Stack) -> None:
    sender = "e2e-wrong-ref"
    metadata = {"channel": "webchat"}
    say(stack, sender, "hello", metadata)
    asked = say(stack, sender, "check my complaint", metadata)
    assert asked[-1].get("custom", {}).get("expect") == "digits" or any(
        m.get("custom", {}).get("expect") == "digits" for m in asked
    )
    wrong = say(stack, sender, "1234567890", metadata)
    assert texts(wrong)[0].startswith("That reference number is not valid")


PHOTO = {"kind": "photo", "media_type": "image/jpeg", "size": 2048, "storage_key": "e2e/p.jpg"}
PIN = {"lat": 25.38, "lng": 49.59}


@pytest.mark.parametrize(
    ("language", "opening", "added", "summary"),
    [
        (
            "ar",
            "ابي ابلغ عن حفرة كبيرة قدام البيت في حي العمران",
            "أضفت ما أرسلته إلى البلاغ.",
            "راجع بلاغك:",
        ),
        (
            "en",
            "there is a big pothole in front of my house in Al Oyun",
            "I have added what you sent to the report.",
            "Please check your report:",
        ),
    ],
)
async def test_a_photo_or_a_pin_at_the_summary_is_added_and_the_question_asked_again(
    stack: Stack, language: str, opening: str, added: str, summary: str
) -> None:
    sender = f"e2e-review-{language}"
    say(stack, sender, opening)  # a district with no open pothole: no "is it one of these?"
    assert texts(say(stack, sender, "/affirm"))[0].startswith(summary)
    for sent in ({"media": [PHOTO]}, {"location": PIN}):  # no words: never a "yes"
        again = texts(say(stack, sender, "", {**METADATA, **sent}))
        assert again[0] == added, again
        assert again[1].startswith(summary)
    done = say(stack, sender, "/affirm")
    [hint] = [m["custom"] for m in done if "reference" in m.get("custom", {})]
    complaint = await stored(stack, hint["reference"]["value"])
    assert complaint is not None
    assert [a.storage_key for a in complaint.attachments] == ["e2e/p.jpg"]
    assert complaint.location is not None
    assert (complaint.location.lat, complaint.location.lng) == (25.38, 49.59)


def test_a_paused_conversation_records_the_resident_and_answers_nothing(stack: Stack) -> None:
    """What the agent inbox relies on (channels/dialogue.py): Rasa's own `pause` and
    `resume` events through its HTTP API."""
    sender = "e2e-paused"
    metadata = {"channel": "webchat"}
    assert texts(say(stack, sender, "hello", metadata))
    events = f"{stack.rasa.url}/conversations/{sender}/tracker/events"
    paused = httpx.post(events, params={"include_events": "NONE"}, json={"event": "pause"})
    assert paused.status_code == 200, stack.rasa.tail()
    assert say(stack, sender, "I want to report a pothole", metadata) == []
    tracker = httpx.get(f"{stack.rasa.url}/conversations/{sender}/tracker").json()
    assert tracker["latest_message"]["text"] == "I want to report a pothole"  # recorded
    httpx.post(events, params={"include_events": "NONE"}, json={"event": "resume"})
    assert texts(say(stack, sender, "hello", metadata))  # the bot answers again
