"""The few things chat channels say themselves, in both languages, and how they tell the
language of a message. Everything else the user reads comes from the dialogue.

Chat detects the language by script: Arabic letters mean Arabic, Latin letters English;
digits (Western or Eastern Arabic), emoji and button payloads say nothing.
"""

from typing import Final

from bot.arabic import script_language as script_language  # where the channels find it
from bot.types import Language

DEFAULT_LANGUAGE: Final[Language] = "ar"


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
    "menu_expired": {
        "ar": "هذه القائمة قديمة، اختر من آخر قائمة.",
        "en": "That menu is out of date; please choose from the latest one.",
    },
}


def say(key: str, language: Language, **values: object) -> str:
    return TEXTS[key][language].format(**values)
