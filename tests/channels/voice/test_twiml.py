"""TwiML for each kind of answer, compared on exact output (what Twilio will execute)."""

from channels.dialogue import Button
from channels.voice import twiml
from channels.voice.prompt import Prompt, language_prompt

VOICES = twiml.Voices("Polly.Hala-Neural", "Polly.Joanna-Neural")
LINKS = twiml.Links("https://x/v?s=2", "https://x/v?s=2&e=1")
HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
SILENCE = '<Redirect method="POST">https://x/v?s=2&amp;e=1</Redirect>'
AR, EN = 'voice="Polly.Hala-Neural"', 'voice="Polly.Joanna-Neural"'


def test_the_language_menu_after_greeting_and_announcement_any_key_cuts_them_short():
    answer = twiml.listen(
        language_prompt("en"),
        LINKS,
        VOICES,
        preamble=["أهلاً", twiml.Audio("https://x/a/ramadan")],
        record_call="https://x/r?kind=call_recording",
    )
    assert answer == (
        f"{HEAD}<Response>"
        '<Start><Recording channels="mono" recordingStatusCallback="https://x/r?kind=call_recording"'
        ' recordingStatusCallbackEvent="completed" /></Start>'
        f'<Gather action="https://x/v?s=2" hints="{twiml.LANGUAGE_HINTS}" input="dtmf speech" '
        'language="en-US" method="POST" numDigits="1" speechTimeout="2" timeout="5">'
        f"<Say {AR}>أهلاً</Say>"
        "<Play>https://x/a/ramadan</Play>"
        f"<Say {EN}>For English, press 2 or say English.</Say>"
        f"<Say {AR}>للعربية اضغط 1 أو قل عربي.</Say>"
        f"</Gather>{SILENCE}</Response>"
    )


def test_a_menu_is_press_n_in_arabic_with_arabic_recognition_and_the_conventions():
    menu = Prompt(
        kind="menu",
        language="ar",
        texts=("كيف أقدر أخدمك؟",),
        buttons=(
            Button(title="تقديم بلاغ", payload="/report_complaint"),
            Button(title="متابعة بلاغ", payload="/check_status"),
        ),
        step="menu:report_complaint",
    )
    assert twiml.listen(menu, LINKS, VOICES, conventions=True) == (
        f"{HEAD}<Response>"
        '<Gather action="https://x/v?s=2" hints="تقديم بلاغ, متابعة بلاغ" input="dtmf speech"'
        ' language="ar-SA" method="POST" numDigits="1" speechTimeout="2" timeout="6">'
        f"<Say {AR}>كيف أقدر أخدمك؟</Say>"
        f"<Say {AR}>تقديم بلاغ، اضغط 1.</Say>"
        f"<Say {AR}>متابعة بلاغ، اضغط 2.</Say>"
        f"<Say {AR}>للتحدث مع موظف اضغط صفر، ولإعادة الاستماع اضغط النجمة، "
        "وللقائمة السابقة اضغط 9.</Say>"
        f"</Gather>{SILENCE}</Response>"
    )


def test_digits_are_gathered_until_pound_in_english():
    prompt = Prompt(
        kind="digits",
        language="en",
        texts=("Please enter your reference number.",),
        buttons=(Button(title="Skip", payload='/inform{"choice": "skip"}'),),
        step="reference",
    )
    assert twiml.listen(prompt, LINKS, VOICES) == (
        f"{HEAD}<Response>"
        '<Gather action="https://x/v?s=2" finishOnKey="#" hints="Skip" input="dtmf speech"'
        ' language="en-US" method="POST" speechTimeout="2" timeout="10">'
        f"<Say {EN}>Please enter your reference number.</Say>"
        f"<Say {EN}>When you are done, press the pound key.</Say>"
        f"<Say {EN}>Skip, press 1 then the pound key.</Say>"
        f"</Gather>{SILENCE}</Response>"
    )


def test_a_description_is_recorded_after_a_beep_up_to_its_length_and_reported_when_ready():
    prompt = Prompt(
        kind="recording", language="ar", texts=("صف المشكلة.",), max_seconds=60, step="description"
    )
    links = twiml.Links("https://x/v?s=2", "https://x/v?s=2&e=1", "https://x/r?kind=voice")
    assert twiml.listen(prompt, links, VOICES) == (
        f"{HEAD}<Response>"
        f"<Say {AR}>صف المشكلة.</Say>"
        f"<Say {AR}>تكلم بعد الصافرة، وإذا خلصت اضغط المربع.</Say>"
        '<Record action="https://x/v?s=2" finishOnKey="#" maxLength="60" method="POST"'
        ' playBeep="true" recordingStatusCallback="https://x/r?kind=voice"'
        ' recordingStatusCallbackEvent="completed" timeout="5" trim="trim-silence" />'
        f"{SILENCE}</Response>"
    )


def test_a_transfer_rings_the_agents_and_reports_how_it_ended():
    prompt = Prompt(kind="transfer", language="en", texts=("Transferring.",), step="transfer")
    assert twiml.transfer(prompt, "+966135550100", "https://x/v?s=3", VOICES) == (
        f"{HEAD}<Response><Say {EN}>Transferring.</Say>"
        '<Dial action="https://x/v?s=3" method="POST" timeout="25">+966135550100</Dial></Response>'
    )


def test_finish_and_hold():
    assert twiml.finish(["Goodbye."], "en", VOICES) == (
        f"{HEAD}<Response><Say {EN}>Goodbye.</Say><Hangup /></Response>"
    )
    assert twiml.hold("https://x/v?s=2&e=1", "لحظات من فضلك.", "ar", VOICES) == (
        f'{HEAD}<Response><Say {AR}>لحظات من فضلك.</Say><Pause length="1" />'
        '<Redirect method="POST">https://x/v?s=2&amp;e=1</Redirect></Response>'
    )


def test_each_line_is_spoken_in_the_voice_of_its_script():
    prompt = Prompt(kind="speech", language="ar", texts=("Hello", "مرحبا"), step="question")
    answer = twiml.listen(prompt, LINKS, VOICES)
    assert f"<Say {EN}>Hello</Say><Say {AR}>مرحبا</Say>" in answer
