"""The phone line against the real dialogue core: Rasa with the trained model and the service
(its actions) as child processes, calls signed as Twilio signs them. A report in each
language — language, recorded description, reference read back — then a second call from the
same number that is offered, and hears, that report's status.

Skipped, saying why, when the Rasa environment or a trained model is missing.
"""

from collections.abc import Iterator

import httpx
import pytest

from bot.store.base import ComplaintFilter
from bot.store.sqlite import SqliteStore
from channels.voice.speech import read_digits
from tests.channels.voice.caller import SimulatedCall, new_sid
from tests.e2e.servers import Stack, missing_prerequisite

pytestmark = pytest.mark.skipif(
    missing_prerequisite() is not None, reason=str(missing_prerequisite())
)
PUBLIC = "https://localhost"


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
