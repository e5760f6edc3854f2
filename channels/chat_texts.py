"""The few things chat channels say themselves, in both languages, and how they tell the
language of a message. Everything else the user reads comes from the dialogue.

Chat detects the language by script: Arabic letters mean Arabic, Latin letters English;
digits (Western or Eastern Arabic), emoji and button payloads say nothing.
"""

import re
from typing import Final

from bot.types import Language

DEFAULT_LANGUAGE: Final[Language] = "ar"

# Arabic letters only: the Arabic-Indic digits (U+0660-0669, U+06F0-06F9) are left out.
_ARABIC_LETTER = re.compile(
    "[\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"
)
_LATIN_LETTER = re.compile("[A-Za-z]")

TEXTS: Final[dict[str, dict[Language, str]]] = {
    "dialogue_down": {
        "ar": "عذراً، ما أقدر أرد عليك الحين بسبب عطل مؤقت. احتفظنا بالصور والموقع اللي "
        "أرسلتها؛ أعد كتابة رسالتك بعد دقائق، أو اتصل على ٩٤٠.",
        "en": "Sorry, I can't answer right now because of a temporary fault. We kept the "
        "photos and location you sent; please write your message again in a few minutes, "
        "or call 940.",
    },
    "media_unsupported": {
        "ar": "أقدر أستقبل صور (JPEG أو PNG أو WebP) ورسائل صوتية فقط، وما وصلني الملف.",
        "en": "I can only take photos (JPEG, PNG or WebP) and voice messages; "
        "your file was not kept.",
    },
    "media_too_large": {
        "ar": "الملف أكبر من الحد المسموح ({limit} ميجابايت)، أرسل صورة أصغر.",
        "en": "That file is larger than the limit ({limit} MB); please send a smaller one.",
    },
    "media_failed": {
        "ar": "ما قدرت أستلم الملف، حاول ترسله مرة ثانية.",
        "en": "I couldn't receive your file; please try sending it again.",
    },
    "message_unsupported": {
        "ar": "أقدر أقرأ النصوص والصور والرسائل الصوتية والموقع وجهة الاتصال فقط.",
        "en": "I can read text, photos, voice messages, locations and contacts only.",
    },
    "contact_not_yours": {
        "ar": "شارك رقمك أنت من زر مشاركة جهة الاتصال، أو اكتب رقم جوالك.",
        "en": "Please share your own number with the share-contact button, "
        "or type your mobile number.",
    },
    "rating_thanks": {
        "ar": "شكراً لتقييمك لبلاغك رقم {reference}.",
        "en": "Thank you for rating your report {reference}.",
    },
    "reopen_too_late": {
        "ar": "مضت مدة إعادة فتح البلاغ. إذا المشكلة موجودة قدّم بلاغاً جديداً وبنتابعه.",
        "en": "The time to reopen that report has passed. If the problem is still there, "
        "report it again and we will follow it up.",
    },
    "code_verified": {
        "ar": "تم التحقق من رقم جوالك، وستصلك تحديثات بلاغك رقم {reference} برسائل نصية.",
        "en": "Your phone number is verified: the updates of report {reference} will reach "
        "you by SMS.",
    },
    "code_wrong": {
        "ar": "رمز التحقق غير صحيح. تأكد منه وأعد كتابته.",
        "en": "That code is not right. Please check it and type it again.",
    },
    "code_expired": {
        "ar": "انتهت صلاحية رمز التحقق. بلاغك رقم {reference} مسجل، وتقدر تتابعه بالسؤال عنه هنا.",
        "en": "That code has expired. Report {reference} is registered, and you can ask about "
        "it here.",
    },
    "code_exhausted": {
        "ar": "أُدخل رمز خاطئ مرات كثيرة فلم يعد الرمز صالحاً. بلاغك رقم {reference} مسجل، "
        "وتقدر تتابعه بالسؤال عنه هنا.",
        "en": "A wrong code was entered too many times, so it no longer works. Report "
        "{reference} is registered, and you can ask about it here.",
    },
    "code_not_needed": {
        "ar": "رقم جوالك لبلاغ {reference} لا يحتاج إلى تحقق.",
        "en": "The phone number of report {reference} needs no code.",
    },
    "menu_expired": {
        "ar": "هذه القائمة قديمة، اختر من آخر قائمة.",
        "en": "That menu is out of date; please choose from the latest one.",
    },
}


def say(key: str, language: Language, **values: object) -> str:
    return TEXTS[key][language].format(**values)


def script_language(text: str) -> Language | None:
    """The language a text is written in, when its letters tell (never for payloads)."""
    if text.startswith("/"):
        return None
    if _ARABIC_LETTER.search(text):
        return "ar"
    if _LATIN_LETTER.search(text):
        return "en"
    return None
