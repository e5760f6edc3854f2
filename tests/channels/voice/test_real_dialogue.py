"""The phone line against the real dialogue core: Rasa with the trained model and the service
(its actions) as child processes, calls signed as Twilio signs them. A report in each
language — language, recorded description, reference read back — then a second call from the
same number that is offered, and hears, that report's status.

Skipped, saying why, when the Rasa environment or a trained model is missing.
"""

from collections.abc import Iterator

import httpx
import pytest

from bot.notifications.message import MessageFilter
from bot.store.base import ComplaintFilter
from bot.store.sqlite import SqliteStore
from channels.voice.speech import read_digits
from tests.channels.voice.caller import SimulatedCall, new_sid
from tests.e2e.servers import Stack, missing_prerequisite
from tests.web.conftest import csrf_of

pytestmark = pytest.mark.skipif(
    missing_prerequisite() is not None, reason=str(missing_prerequisite())
)
PUBLIC = "https://localhost"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # what the upload check takes for a PNG


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("voice-e2e")
    with pytest.MonkeyPatch.context() as environment:  # what the service child process reads
        environment.setenv("BALAGH_PUBLIC_BASE_URL", PUBLIC)
        environment.setenv("BALAGH_ATTACHMENTS_DIR", str(workdir / "attachments"))
        # Twilio's API is out of reach: recordings stay "still being fetched"
        environment.setenv("BALAGH_TWILIO_API_BASE_URL", "http://127.0.0.1:9")
        running = Stack.start(workdir)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize(("key", "language"), [("1", "ar"), ("2", "en")])
async def test_a_report_by_phone_and_its_status_with_the_real_dialogue(
    stack: Stack, key: str, language: str
):
    caller = {"ar": "+966551230001", "en": "+966551230002"}[language]
    async with httpx.AsyncClient(timeout=30) as http:
        call = SimulatedCall(http, PUBLIC, caller=caller, server=stack.service.url)
        await call.dial()
        menu = await call.press(key)
        assert menu.attribute("Gather", "language") == {"ar": "ar-SA", "en": "en-US"}[language]
        await call.press("1")  # report a problem
        await call.press("1")  # roads
        described = await call.press("1")  # Al Hofuf
        if language == "en":
            # The Arabic call reported a pothole in Al Hofuf: "is it one of these?" first,
            # its report (key 1) or "no, mine is different" (key 2).
            said = " ".join(described.said)
            assert "open reports of the same problem in your district" in said, said
            assert "press 2" in said, said
            described = await call.press("2")
        assert described.has("Record"), stack.service.tail()
        await call.record(new_sid("RE"))
        summary = await call.press("1")  # yes, call me on this number
        assert summary.has("Gather"), summary.xml
        created = await call.press("1")  # send the report
        store = SqliteStore(stack.workdir / "balagh.db")
        await store.open()
        try:
            reports = (await store.list_complaints(ComplaintFilter(phone=caller), 5, None)).items
        finally:
            await store.close()
        (complaint,) = reports
        assert (complaint.channel, complaint.language, complaint.category) == (
            "voice",
            language,
            "roads",
        )
        assert complaint.district == "al_hofuf"
        assert [a.kind for a in complaint.attachments] == ["voice"]
        assert complaint.sources["CallSid"] == call.call_sid
        spoken_reference = read_digits(complaint.reference, language)  # type: ignore[arg-type]
        assert any(spoken_reference in line for line in created.said), created.said
        await call.hang_up()

        again = SimulatedCall(http, PUBLIC, caller=caller, server=stack.service.url)
        await again.dial()
        offer = await again.press(key)  # the known caller is offered their open report
        assert any(spoken_reference in line for line in offer.said), offer.said
        status = await again.press("1")  # yes, its status
        assert any(spoken_reference in line for line in status.said), status.said


@pytest.mark.parametrize(
    ("said", "language", "sent"),
    [
        ("عربي", "ar", "أرسلنا الرابط إلى رقمك المنتهي بـ"),
        ("English", "en", "We have sent the link to your number ending in"),
    ],
)
async def test_a_caller_names_the_language_then_adds_a_photo_and_a_pin_by_the_sms_link(
    stack: Stack, said: str, language: str, sent: str
):
    caller = {"ar": "+966551230003", "en": "+966551230004"}[language]
    async with httpx.AsyncClient(timeout=30) as http:
        call = SimulatedCall(http, PUBLIC, caller=caller, server=stack.service.url)
        await call.dial()
        menu = await call.speak(said)  # the language said at the first prompt
        assert menu.attribute("Gather", "language") == {"ar": "ar-SA", "en": "en-US"}[language]
        assert len([line for line in menu.said if line.endswith(("1.", "2.", "3.", "4."))]) == 4
        await call.press("1")  # report a problem
        await call.press("1")  # roads
        # a district with no open pothole yet, so no "is it one of these?" comes first
        await call.press({"ar": "2", "en": "3"}[language])  # Al Mubarraz, Al Oyun
        await call.record(new_sid("RE"))
        await call.press("1")  # yes, call me on this number
        created = await call.press("1")  # send the report: a link for a photo is offered
        assert created.has("Gather"), created.xml
        link = await call.press("1")  # yes, send it
        assert any(line.startswith(sent) for line in link.said), link.said
        ended = await call.speak({"ar": "لا", "en": "no"}[language])  # nothing else: goodbye
        assert ended.has("Hangup"), ended.xml
        assert not ended.has("Gather")

    store = SqliteStore(stack.workdir / "balagh.db")
    await store.open()
    try:
        (complaint,) = (await store.list_complaints(ComplaintFilter(phone=caller), 5, None)).items
        page = await store.list_messages(MessageFilter(to=caller, channel="sms"), 10, None)
    finally:
        await store.close()
    (sms,) = [message for message in page.items if message.event == "add_link"]
    assert sms.language == language
    url = sms.body.rsplit(" ", 1)[-1]
    assert url.startswith(f"{PUBLIC}/add/{complaint.reference}?e=")

    # the caller opens the link on their phone: a photo and a pin
    async with httpx.AsyncClient(base_url=stack.service.url, timeout=30) as browser:
        path = url.removeprefix(PUBLIC)
        form = await browser.get(path)
        assert form.status_code == 200
        query = dict(part.split("=", 1) for part in path.split("?", 1)[1].split("&"))
        added = await browser.post(
            f"/add/{complaint.reference}",
            data={
                "csrf_token": csrf_of(form.text),
                "e": query["e"],
                "t": query["t"],
                "lat": "25.3800",
                "lng": "49.5900",
            },
            files={"photo": ("hole.png", PNG, "image/png")},
            # the page's cookies are Secure (the service is public over https): sent as they are
            headers={"cookie": "; ".join(f"{k}={v}" for k, v in form.cookies.items())},
        )
        assert added.status_code == 200, added.text
    await store.open()
    try:
        updated = await store.get_complaint(complaint.reference)
    finally:
        await store.close()
    assert updated is not None
    assert [a.kind for a in updated.attachments] == ["voice", "photo"]
    assert updated.location is not None
    assert (updated.location.lat, updated.location.lng) == (25.38, 49.59)

    # another phone asks for its status, the reference said as words, one a digit
    words = {
        "ar": ["صفر", "واحد", "اثنين", "ثلاثه", "اربعه", "خمسه", "سته", "سبعه", "ثمانيه", "تسعه"],
        "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    }[language]
    spoken = " ".join(words[int(digit)] for digit in complaint.reference)
    async with httpx.AsyncClient(timeout=30) as http:
        other = SimulatedCall(http, PUBLIC, caller="+966551230009", server=stack.service.url)
        await other.dial()
        await other.speak(said)
        asked = await other.press("2")  # check a report
        assert asked.attribute("Gather", "finishOnKey") == "#", asked.xml
        status = await other.speak(spoken)
        heard = read_digits(complaint.reference, language)
        assert any(heard in line for line in status.said), status.said
        await other.hang_up()
