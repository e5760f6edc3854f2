"""Everything the custom actions say, in Arabic and English, with their menus.

Texts live here rather than in the Rasa domain so that actions can speak in a language they
have just switched to, and so staff can reword them without retraining the model (the domain
keeps only the responses that rules utter directly). Arabic is written the way a courteous
Saudi agent talks: Gulf dialect where it is warmer, plain MSA where precision matters.

Each menu has at most five buttons: the phone reads them as "press 1 … press 5".
"""

from dataclasses import dataclass
from typing import Any, Final

from bot.catalogue import Bilingual
from bot.types import Language

MAX_BUTTONS: Final = 5


@dataclass(frozen=True)
class Button:
    """A menu entry: a text key (or a literal title per language) and the payload it sends."""

    title: str | dict[Language, str]
    payload: str

    def render(self, lang: Language) -> dict[str, str]:
        title = self.title[lang] if isinstance(self.title, dict) else TEXTS[self.title][lang]
        return {"title": title, "payload": self.payload}


TEXTS: Final[dict[str, dict[Language, str]]] = {
    # ---- menus ----------------------------------------------------------------------
    "welcome": {
        "ar": "حياك الله في بلاغ 940، أمانة الأحساء.",
        "en": "Welcome to Balagh 940, Al-Ahsa Municipality.",
    },
    "main_menu": {"ar": "كيف أقدر أخدمك؟", "en": "How can I help you?"},
    "anything_else": {"ar": "تحتاج شي ثاني؟", "en": "Is there anything else I can do for you?"},
    "btn_report": {"ar": "تقديم بلاغ", "en": "Report a problem"},
    "btn_status": {"ar": "متابعة بلاغ", "en": "Check a report"},
    "btn_programs": {"ar": "البرامج والفعاليات", "en": "Programs and events"},
    "btn_services": {"ar": "الخدمات والمعاملات", "en": "Services and permits"},
    "btn_agent": {"ar": "التحدث مع موظف", "en": "Talk to an employee"},
    "btn_main_menu": {"ar": "القائمة الرئيسية", "en": "Main menu"},
    "btn_no_thanks": {"ar": "لا، شكراً", "en": "No, thank you"},
    "btn_yes": {"ar": "نعم", "en": "Yes"},
    "btn_no_menu": {"ar": "لا، القائمة الرئيسية", "en": "No, main menu"},
    "btn_more": {"ar": "خيارات أخرى", "en": "More options"},
    "btn_other": {"ar": "غير ذلك (أوصفها بكلماتي)", "en": "Something else (I'll describe it)"},
    "btn_skip": {"ar": "تخطي", "en": "Skip"},
    "btn_continue_report": {"ar": "أكمل بلاغي", "en": "Continue my report"},
    "btn_another_number": {"ar": "رقم آخر", "en": "Another number"},
    # ---- known caller ---------------------------------------------------------------
    "known_caller": {
        "ar": "عندك بلاغ مفتوح رقم {reference} ({category}). تبي تعرف حالته؟",
        "en": "You have an open report, number {reference} ({category}). "
        "Would you like to hear its status?",
    },
    # ---- report a complaint ---------------------------------------------------------
    "ask_category": {
        "ar": "وش نوع المشكلة؟ اختر من القائمة أو اكتبها بكلماتك.",
        "en": "What kind of problem is it? Choose one, or describe it in your own words.",
    },
    "category_not_understood": {
        "ar": "ما قدرت أحدد نوع المشكلة من كلامك.",
        "en": "I couldn't tell what kind of problem that is.",
    },
    "ask_district": {
        "ar": "في أي حي المشكلة؟ اكتب اسم الحي أو اختره، أو شارك موقعك.",
        "en": "Which district is it in? Type the district name, pick one, or share your location.",
    },
    "district_not_understood": {
        "ar": 'ما عرفت الحي "{heard}". اكتب اسم الحي مثل الكوت أو الراشدية أو الجفر، أو اختر تخطي.',
        "en": 'I don\'t know the district "{heard}". Type a district name such as Al Kut, '
        "Al Rashidiyah or Al Jafr, or choose skip.",
    },
    "ask_description": {
        "ar": "صف المشكلة باختصار، ووين مكانها بالضبط (اسم الشارع أو أقرب معلم).",
        "en": "Please describe the problem briefly, and exactly where it is "
        "(the street or the nearest landmark).",
    },
    "description_too_short": {
        "ar": "نحتاج وصف أوضح شوي، كلمتين على الأقل.",
        "en": "I need a little more detail: at least two words.",
    },
    "voice_description": {"ar": "(رسالة صوتية)", "en": "(voice message)"},
    "danger": {
        "ar": "إذا فيه خطر على أحد الآن، اتصل فوراً: {numbers}. "
        "وبلاغك بيوصل للفرقة المختصة كحالة عاجلة.",
        "en": "If anyone is in danger right now, call: {numbers}. "
        "Your report will reach the team as urgent.",
    },
    "ask_phone_confirm": {
        "ar": "نتواصل معك على رقمك المنتهي بـ {last_digits}؟",
        "en": "Shall we contact you on your number ending in {last_digits}?",
    },
    "btn_phone_yes": {"ar": "نعم، هذا رقمي", "en": "Yes, that's my number"},
    "ask_phone": {
        "ar": "اكتب رقم جوالك عشان نبلغك بالمستجدات (مثال: 0501234567)، أو اختر تخطي.",
        "en": "Please type your mobile number so we can update you "
        "(for example 0501234567), or choose skip.",
    },
    "phone_invalid": {
        "ar": "الرقم غير صحيح. اكتب رقم جوال سعودي مثل 0501234567.",
        "en": "That number is not valid. Please type a Saudi mobile number such as 0501234567.",
    },
    "summary": {
        "ar": "راجع بلاغك:\n- النوع: {category}\n- الحي: {district}\n- الوصف: {description}\n"
        "- الجوال: {phone}\nنرسله؟",
        "en": "Please check your report:\n- Type: {category}\n- District: {district}\n"
        "- Description: {description}\n- Mobile: {phone}\nShall I submit it?",
    },
    "btn_submit": {"ar": "نعم، أرسل", "en": "Yes, submit"},
    "btn_change": {"ar": "تعديل", "en": "Change something"},
    "btn_cancel": {"ar": "إلغاء", "en": "Cancel"},
    "ask_correction": {"ar": "وش تبي تعدل؟", "en": "What would you like to change?"},
    "btn_fix_category": {"ar": "نوع المشكلة", "en": "Type of problem"},
    "btn_fix_district": {"ar": "الحي", "en": "District"},
    "btn_fix_description": {"ar": "الوصف", "en": "Description"},
    "btn_fix_phone": {"ar": "رقم الجوال", "en": "Mobile number"},
    "btn_back_summary": {"ar": "رجوع للملخص", "en": "Back to the summary"},
    "not_understood_in_form": {
        "ar": "ما فهمت عليك. اختر من الأزرار، أو قل إلغاء لإيقاف البلاغ.",
        "en": "Sorry, I didn't get that. Please pick one of the options, "
        "or say cancel to stop the report.",
    },
    "not_given": {"ar": "غير محدد", "en": "not given"},
    "location_shared": {"ar": "الموقع المرسل", "en": "the shared location"},
    "unclassified": {"ar": "يحدده الموظف المختص", "en": "to be set by our staff"},
    "complaint_created": {
        "ar": "تم تسجيل بلاغك. رقم البلاغ {reference}. نتوقع معالجته {due}. "
        "احتفظ بالرقم لمتابعة بلاغك.",
        "en": "Your report is registered. Your reference number is {reference}. "
        "We expect to resolve it {due}. Keep this number to follow up.",
    },
    "phone_code_sent": {
        "ar": "أرسلنا رمز تحقق من ستة أرقام برسالة نصية إلى الرقم المنتهي بـ {last_digits}. "
        "اكتبه هنا لتصلك تحديثات بلاغك؛ لن نرسل إلى هذا الرقم شيئاً آخر قبل ذلك.",
        "en": "We sent a six-digit code by SMS to the number ending in {last_digits}. "
        "Type it here to get your report's updates; nothing else is sent to that number "
        "before.",
    },
    "phone_code_sent_voice": {
        "ar": "أرسلنا رمز تحقق برسالة نصية إلى الرقم المنتهي بـ {last_digits}. أدخله في صفحة "
        "متابعة البلاغ على {portal} لتصلك تحديثاته.",
        "en": "We sent a code by SMS to the number ending in {last_digits}. Enter it on the "
        "report's tracking page at {portal} to get its updates.",
    },
    "phone_not_served": {
        "ar": "نرسل الرسائل إلى أرقام {countries} فقط. اكتب رقم جوال منها، أو تخطَّ هذا السؤال.",
        "en": "We send messages to {countries} numbers only. Please type one of those, "
        "or skip this question.",
    },
    "too_many_reports": {
        "ar": "وصلتنا بلاغات كثيرة خلال وقت قصير، فلم نسجل هذا البلاغ. حاول مرة أخرى لاحقاً، "
        "أو اتصل على ٩٤٠.",
        "en": "We received many reports in a short time, so this one was not registered. "
        "Please try again later, or call 940.",
    },
    "submit_failed": {
        "ar": "نعتذر، ما قدرنا نحفظ بلاغك الحين. بياناتك محفوظة معنا، تبي نحاول مرة ثانية؟",
        "en": "Sorry, we couldn't save your report just now. Your details are kept: "
        "shall we try again?",
    },
    "btn_try_again": {"ar": "حاول مرة ثانية", "en": "Try again"},
    "report_cancelled": {
        "ar": "تم إلغاء البلاغ، وما انحفظ شي.",
        "en": "The report is cancelled; nothing was saved.",
    },
    # ---- status ---------------------------------------------------------------------
    "ask_reference": {
        "ar": "اكتب رقم البلاغ (10 أرقام).",
        "en": "Please enter the report number (10 digits).",
    },
    "reference_no_digits": {
        "ar": "رقم البلاغ يتكون من أرقام فقط.",
        "en": "A reference number contains digits only.",
    },
    "reference_give_up": {
        "ar": "ما قدرنا نتحقق من رقم البلاغ. تبي أحولك لموظف يساعدك؟",
        "en": "We couldn't verify that report number. Would you like an employee to help you?",
    },
    "btn_agent_yes": {"ar": "نعم، موظف", "en": "Yes, an employee"},
    "status_open": {
        "ar": "البلاغ رقم {reference}: {status}. آخر تحديث {updated}. "
        "الموعد المتوقع للمعالجة {due}.",
        "en": "Report {reference}: {status}. Last update {updated}. Expected to be resolved {due}.",
    },
    "status_done": {
        "ar": "البلاغ رقم {reference}: {status}. آخر تحديث {updated}.",
        "en": "Report {reference}: {status}. Last update {updated}.",
    },
    "status_details": {
        "ar": "تفاصيل بلاغك: {category}، {district}. الوصف: {description}",
        "en": "Your report's details: {category}, {district}. Description: {description}",
    },
    "status_not_found": {
        "ar": "ما لقينا بلاغ بالرقم {reference}. تأكد من الرقم أو تحدث مع موظف.",
        "en": "We found no report with the number {reference}. "
        "Please check it, or talk to an employee.",
    },
    "open_reports": {"ar": "بلاغاتك المفتوحة:\n{items}", "en": "Your open reports:\n{items}"},
    "no_reference": {
        "ar": "بدون رقم البلاغ ما أقدر أوصل له. تقدر تتحدث مع موظف يبحث لك عنه.",
        "en": "Without the report number I can't find it. An employee can look it up for you.",
    },
    "continue_report": {
        "ar": "بلاغك اللي بدأته ما زال معنا. تبي تكمله؟",
        "en": "The report you started is still here. Would you like to finish it?",
    },
    # ---- programs and services -------------------------------------------------------
    "programs": {
        "ar": "برامج وفعاليات الأمانة:\n{items}",
        "en": "The municipality's programs and events:\n{items}",
    },
    "no_programs": {
        "ar": "ما فيه برامج أو فعاليات معلنة حالياً.",
        "en": "There are no programs or events announced right now.",
    },
    "services_menu": {
        "ar": "أي خدمة تبي تعرف عنها؟",
        "en": "Which service would you like to know about?",
    },
    "no_services": {
        "ar": "ما فيه خدمات مدرجة حالياً، تقدر تتحدث مع موظف.",
        "en": "No services are listed right now; an employee can help you.",
    },
    "service": {"ar": "{title}: {summary}", "en": "{title}: {summary}"},
    "more_at": {"ar": "التفاصيل والتقديم: {url}", "en": "Details and applications: {url}"},
    # ---- employee handoff -----------------------------------------------------------
    "handoff": {
        "ar": "جاري تحويلك لأحد موظفينا، لحظات من فضلك.",
        "en": "I'm transferring you to one of our employees, one moment please.",
    },
    "handoff_closed": {
        "ar": "موظفينا متواجدين {hours}. تركنا طلبك ليتواصل معك موظف أول ما يبدأ الدوام، "
        "وتقدر تقدم بلاغك الآن.",
        "en": "Our employees are available {hours}. We've left your request so an employee "
        "contacts you when they are back, and you can report a problem right now.",
    },
    "hours": {
        "ar": "من {first_day} إلى {last_day}، من {start} إلى {end}",
        "en": "{first_day} to {last_day}, {start} to {end}",
    },
    # ---- fallback and failures ------------------------------------------------------
    "fallback_first": {
        "ar": "عذراً، ما فهمت عليك. ممكن توضح أكثر؟",
        "en": "Sorry, I didn't understand. Could you say it another way?",
    },
    "fallback_second": {
        "ar": "ما قدرت أفهم طلبك. اختر من القائمة أو تحدث مع موظف:",
        "en": "I still couldn't understand. Please choose from the menu, or talk to an employee:",
    },
    "action_failed": {
        "ar": "نعتذر، صار خلل مؤقت عندنا. حاول بعد شوي أو تحدث مع موظف.",
        "en": "Sorry, something went wrong on our side. "
        "Please try again shortly, or talk to an employee.",
    },
}

MAIN_MENU: Final = (
    Button("btn_report", "/report_complaint"),
    Button("btn_status", "/check_status"),
    Button("btn_programs", "/ask_programs"),
    Button("btn_services", "/ask_services"),
    Button("btn_agent", "/talk_to_agent"),
)
ANYTHING_ELSE: Final = (
    Button("btn_report", "/report_complaint"),
    Button("btn_status", "/check_status"),
    Button("btn_main_menu", "/greet"),
    Button("btn_no_thanks", "/goodbye"),
)
AGENT_OR_MENU: Final = (
    Button("btn_agent", "/talk_to_agent"),
    Button("btn_main_menu", "/greet"),
)
YES_NO_MENU: Final = (Button("btn_yes", "/affirm"), Button("btn_no_menu", "/deny"))


def bilingual(value: Bilingual) -> dict[Language, str]:
    """A catalogue name as a button title in both languages."""
    return {"ar": value.ar, "en": value.en}


def choice_payload(intent: str, choice: str) -> str:
    """A button payload carrying a menu choice: `/inform{"choice": "skip"}`."""
    return f'/{intent}{{"choice": "{choice}"}}'


def text(key: str, lang: Language, **values: object) -> str:
    return TEXTS[key][lang].format(**values)


class Speaker:
    """Says keyed texts in one language through a rasa_sdk dispatcher."""

    def __init__(self, dispatcher: Any, lang: Language) -> None:
        self.dispatcher = dispatcher
        self.lang = lang

    def text(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def say(
        self,
        key: str,
        *,
        buttons: tuple[Button, ...] | list[Button] = (),
        custom: dict[str, Any] | None = None,
        **values: object,
    ) -> None:
        self.say_text(self.text(key, **values), buttons=buttons, custom=custom)

    def say_text(
        self,
        message: str,
        *,
        buttons: tuple[Button, ...] | list[Button] = (),
        custom: dict[str, Any] | None = None,
    ) -> None:
        if len(buttons) > MAX_BUTTONS:
            raise ValueError(f"a menu has at most {MAX_BUTTONS} options, got {len(buttons)}")
        rendered = [button.render(self.lang) for button in buttons]
        if custom is None:
            self.dispatcher.utter_message(text=message, buttons=rendered)
        else:
            self.dispatcher.utter_message(text=message, buttons=rendered, json_message=custom)
