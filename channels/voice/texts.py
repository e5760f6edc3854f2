"""What the phone line says itself, in both languages, and how text is made fit to be heard.

Everything else the caller hears comes from the dialogue. Numbers of three digits or more
(references, phone numbers, emergency numbers) are read digit by digit in the caller's
language, in small groups, so a caller can write them down; links are never read out.
"""

import re
from typing import Final

from bot.digits import to_ascii_digits
from bot.types import Language

TEXTS: Final[dict[str, dict[Language, str]]] = {
    "greeting": {
        "ar": "أهلاً بك في بلاغ 940، أمانة الأحساء.",
        "en": "Welcome to Balagh 940, Al-Ahsa Municipality.",
    },
    "recorded": {
        "ar": "لضمان جودة الخدمة، يتم تسجيل هذه المكالمة.",
        "en": "This call is recorded to ensure the quality of our service.",
    },
    "choose_language": {"ar": "للعربية اضغط 1.", "en": "For English, press 2."},
    "option": {"ar": "{title}، اضغط {digit}.", "en": "{title}, press {digit}."},
    "digit_option": {
        "ar": "{title}، اضغط {digit} ثم المربع.",
        "en": "{title}, press {digit} then the pound key.",
    },
    "finish_with_pound": {
        "ar": "وبعد ما تخلص اضغط المربع.",
        "en": "When you are done, press the pound key.",
    },
    "speak_after_beep": {
        "ar": "تكلم بعد الصافرة، وإذا خلصت اضغط المربع.",
        "en": "Speak after the tone, and press the pound key when you are done.",
    },
    "conventions": {
        "ar": "للتحدث مع موظف اضغط صفر، ولإعادة الاستماع اضغط النجمة، وللقائمة السابقة اضغط 9.",
        "en": "To talk to an employee press 0, to hear this again press star, "
        "and for the previous menu press 9.",
    },
    "no_input": {"ar": "ما وصلني ردك.", "en": "I didn't get your answer."},
    "invalid_choice": {"ar": "هذا الاختيار غير متاح.", "en": "That option is not available."},
    "sorry": {
        "ar": "عذراً، ما قدرت أكمل طلبك.",
        "en": "Sorry, I couldn't go on with your request.",
    },
    "apology": {
        "ar": "نعتذر منك، نظامنا متعطل مؤقتاً.",
        "en": "We apologise: our system is temporarily unavailable.",
    },
    "transferring": {
        "ar": "جاري تحويلك لأحد موظفينا، لحظات من فضلك.",
        "en": "I'm transferring you to one of our employees, one moment please.",
    },
    "employees_away": {
        "ar": "موظفينا غير متواجدين الآن.",
        "en": "Our employees are not available right now.",
    },
    "employees_busy": {
        "ar": "ما قدر أحد من موظفينا يرد عليك الآن.",
        "en": "None of our employees could answer right now.",
    },
    "voicemail": {
        "ar": "اترك رسالتك بعد الصافرة: اذكر المشكلة ومكانها، وبنسجلها بلاغاً ونتواصل معك. "
        "وإذا خلصت اضغط المربع.",
        "en": "Please leave a message after the tone: tell us the problem and where it is, and "
        "we will register it as a report and contact you. Press the pound key when you are done.",
    },
    "voicemail_kept": {
        "ar": "وصلتنا رسالتك، وبنسجلها بلاغاً ونتواصل معك. شكراً لاتصالك.",
        "en": "We have your message; we will register it as a report and contact you. "
        "Thank you for calling.",
    },
    "voicemail_empty": {
        "ar": "ما وصلتنا رسالة. شكراً لاتصالك ببلاغ 940.",
        "en": "We did not get a message. Thank you for calling Balagh 940.",
    },
    "goodbye": {
        "ar": "شكراً لاتصالك ببلاغ 940. في أمان الله.",
        "en": "Thank you for calling Balagh 940. Goodbye.",
    },
    "hold": {"ar": "لحظات من فضلك.", "en": "One moment please."},
    "still_holding": {"ar": "شكراً لانتظارك، لحظات.", "en": "Thank you for waiting, one moment."},
    "lines_busy": {
        "ar": "جميع خطوطنا مشغولة الآن.",
        "en": "All our lines are busy right now.",
    },
    "call_back_offer": {
        "ar": "ليتصل بك أحد موظفينا على رقمك في أقرب وقت اضغط 1، أو ابقَ على الخط لتترك رسالة.",
        "en": "To have one of our employees call you back on this number as soon as possible, "
        "press 1. Or stay on the line to leave a message.",
    },
    "call_back_promised": {
        "ar": "سجلنا طلبك، وبيتصل بك أحد موظفينا على الرقم المنتهي بـ {last} في أقرب وقت. "
        "شكراً لاتصالك.",
        "en": "Done: one of our employees will call you back on the number ending in {last} "
        "as soon as possible. Thank you for calling.",
    },
    "reported": {
        "ar": "تم تسجيل بلاغك برقم {reference}. شكراً لاتصالك ببلاغ 940.",
        "en": "Your report is registered with number {reference}. "
        "Thank you for calling Balagh 940.",
    },
}
VOICEMAIL_DESCRIPTIONS: Final[dict[str, dict[Language, str]]] = {
    "dialogue_unavailable": {
        "ar": "رسالة صوتية تركها المتصل أثناء تعطل النظام الآلي. استمع للتسجيل.",
        "en": "Voice message left while the automated line was down. Listen to the recording.",
    },
    "after_hours": {
        "ar": "رسالة صوتية تركها المتصل لموظف خارج أوقات الدوام. استمع للتسجيل.",
        "en": "Voice message left for an employee outside working hours. Listen to the recording.",
    },
    "no_answer": {
        "ar": "رسالة صوتية تركها المتصل بعد ما تعذر الرد عليه. استمع للتسجيل.",
        "en": "Voice message left when no employee could answer. Listen to the recording.",
    },
    "lines_busy": {
        "ar": "رسالة صوتية تركها المتصل وجميع الخطوط مشغولة. استمع للتسجيل.",
        "en": "Voice message left while all lines were busy. Listen to the recording.",
    },
}
GATHER_LANGUAGES: Final[dict[Language, str]] = {"ar": "ar-SA", "en": "en-US"}

DIGIT_WORDS: Final[dict[Language, tuple[str, ...]]] = {
    "ar": ("صفر", "واحد", "اثنين", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة"),
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
}
_GROUP_SEPARATOR: Final[dict[Language, str]] = {"ar": "، ", "en": ", "}
_DIGIT = "[0-9٠-٩۰-۹]"
_NUMBER = re.compile(f"{_DIGIT}(?:[ -]?{_DIGIT}){{2,}}")  # 1234567890, 123 456 7890, 055-123
_LINK = re.compile(r"https?://\S+")
_MARKUP = re.compile(r"^\s*[-*•]\s*|[*_`]", re.MULTILINE)


def say(key: str, language: Language, **values: object) -> str:
    return TEXTS[key][language].format(**values)


def digit_groups(digits: str) -> list[str]:
    """Groups of three, the last of four when one would be left alone: 123 456 7890."""
    if len(digits) <= 4:
        return [digits]
    groups = [digits[start : start + 3] for start in range(0, len(digits), 3)]
    if len(groups[-1]) == 1:
        groups[-2:] = [groups[-2] + groups[-1]]
    return groups


def read_digits(number: str, language: Language) -> str:
    """'4711' → 'four seven one one'; Eastern Arabic digits too."""
    words = DIGIT_WORDS[language]
    groups = digit_groups(re.sub("[ -]", "", to_ascii_digits(number)))
    spoken = (" ".join(words[int(digit)] for digit in group) for group in groups)
    return _GROUP_SEPARATOR[language].join(spoken)


def spoken(text: str, language: Language) -> str:
    """A bot text as the caller should hear it: numbers digit by digit, no links or markup."""
    text = _LINK.sub("", text)
    text = _MARKUP.sub("", text)
    text = _NUMBER.sub(lambda match: read_digits(match.group(), language), text)
    return " ".join(text.split())
