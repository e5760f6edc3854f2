"""Every notification text, in Arabic and English.

`variables` name, in order, the values a WhatsApp Content template for the same event
takes as {{1}}, {{2}}…: register the approved templates with these variables.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.types import Language

CitizenEvent = Literal[
    "phone_code",
    "created",
    "assigned",
    "in_progress",
    "resolved",
    "closed",
    "rejected",
    "duplicate",
    "reply",
]
StaffEvent = Literal["assignment", "sla_reminder", "sla_breach", "chat_handoff"]


@dataclass(frozen=True)
class Template:
    ar: str
    en: str
    variables: tuple[str, ...]

    def text(self, language: Language) -> str:
        return self.ar if language == "ar" else self.en


CITIZEN: dict[CitizenEvent, Template] = {
    # {code} stays a placeholder in the outbox: the dispatcher fills it (bot/phone_check.py).
    "phone_code": Template(
        ar=(
            "بلاغ ٩٤٠: رمز التحقق {code}. أدخله حيث قدّمت بلاغك رقم {reference} لتصلك "
            "تحديثاته. إن لم تقدّم بلاغاً فتجاهل هذه الرسالة."
        ),
        en=(
            "Balagh 940: your code is {code}. Enter it where you made report {reference} "
            "to get its updates. If you did not report anything, ignore this message."
        ),
        variables=("code", "reference"),
    ),
    "created": Template(
        ar="بلاغ ٩٤٠: استلمنا بلاغك رقم {reference}. تابعه من هنا: {link}",
        en="Balagh 940: we received your report {reference}. Track it here: {link}",
        variables=("reference", "link"),
    ),
    "assigned": Template(
        ar="أُحيل بلاغك رقم {reference} إلى {team}، وسيبدأ العمل عليه قريباً.",
        en="Your report {reference} was assigned to {team}; work will start soon.",
        variables=("reference", "team"),
    ),
    "in_progress": Template(
        ar="العمل جارٍ على بلاغك رقم {reference}.",
        en="Work on your report {reference} is in progress.",
        variables=("reference",),
    ),
    "resolved": Template(
        ar="تمت معالجة بلاغك رقم {reference}. هل حُلّت المشكلة؟ أرسل 1 للتأكيد أو 2 إن لم تُحل.",
        en="Your report {reference} was resolved. Is it fixed? Reply 1 for yes or 2 for no.",
        variables=("reference",),
    ),
    "closed": Template(
        ar=(
            "أُغلق بلاغك رقم {reference}، شكراً لك. ما مدى رضاك عن الخدمة؟ "
            "أرسل رقماً من 1 (غير راضٍ) إلى 5 (راضٍ جداً)."
        ),
        en=(
            "Your report {reference} is closed. Thank you. How satisfied are you? "
            "Reply with a number from 1 (not satisfied) to 5 (very satisfied)."
        ),
        variables=("reference",),
    ),
    "rejected": Template(
        ar="نعتذر، لم يُقبل بلاغك رقم {reference}. للاستفسار اتصل على 940.",
        en="Sorry, your report {reference} could not be accepted. Call 940 for details.",
        variables=("reference",),
    ),
    "duplicate": Template(
        ar="بلاغك رقم {reference} مكرر للبلاغ {original} الذي نعمل عليه بالفعل.",
        en="Your report {reference} repeats report {original}, which we are already handling.",
        variables=("reference", "original"),
    ),
    # A staff reply (often a catalogue reply template) to the citizen, in their language.
    "reply": Template(
        ar="بلاغ ٩٤٠، بخصوص بلاغك رقم {reference}: {text}",
        en="Balagh 940, about your report {reference}: {text}",
        variables=("reference", "text"),
    ),
}

STAFF: dict[StaffEvent, Template] = {
    "assignment": Template(
        ar="بلاغ جديد {reference} ({category}، {district}، {priority}) لـ{who}. الموعد: {due}.",
        en="New report {reference} ({category}, {district}, {priority}) for {who}. Due {due}.",
        variables=("reference", "category", "district", "priority", "who", "due"),
    ),
    "sla_reminder": Template(
        ar="تذكير: البلاغ {reference} ({category}، {district}) يستحق في {due}.",
        en="Reminder: report {reference} ({category}, {district}) is due {due}.",
        variables=("reference", "category", "district", "due"),
    ),
    "sla_breach": Template(
        ar="تجاوز المهلة: البلاغ {reference} ({category}، {who}) كان مستحقاً في {due}.",
        en="SLA breached: report {reference} ({category}, {who}) was due {due}.",
        variables=("reference", "category", "who", "due"),
    ),
    "chat_handoff": Template(
        ar="مواطن يطلب موظفاً عبر {channel} ({phone}).\n{summary}\nلاستلام الطلب: {link}",
        en="A citizen asks for an employee on {channel} ({phone}).\n{summary}\nTake it: {link}",
        variables=("channel", "phone", "summary", "link"),
    ),
}


def render(
    template: Template, language: Language, values: Mapping[str, str]
) -> tuple[str, list[str]]:
    """The text in one language, and the WhatsApp template variables in order."""
    return template.text(language).format_map(values), [values[name] for name in template.variables]
