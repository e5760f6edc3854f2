"""A stand-in for the dialogue core's report-a-complaint conversation, speaking Rasa's REST
channel: the same menus, hints and reference payload as the real assistant, and a complaint
created through the service's complaint core. The voice tests run a whole call against it
without the Rasa environment; tests/channels/voice/test_real_dialogue.py runs the real one.
"""

from dataclasses import dataclass, field
from typing import Any

from bot.complaints import Actor, ComplaintService, NewComplaint, dialogue_report_key
from bot.types import Channel

Message = dict[str, Any]
T = {
    "welcome": (
        "حياك الله في بلاغ 940، أمانة الأحساء. كيف أقدر أخدمك؟",
        "Welcome to Balagh 940. How can I help you?",
    ),
    "category": ("وش نوع المشكلة؟", "What kind of problem is it?"),
    "district": ("في أي حي؟", "Which district is it in?"),
    "description": ("صف لنا المشكلة بعد الصافرة.", "Describe the problem after the tone."),
    "phone": (
        "نتواصل معك على الرقم المنتهي بـ {last}؟",
        "Shall we contact you on the number ending in {last}?",
    ),
    "summary": (
        "بلاغ {category} في {district}. أرسله؟",
        "A {category} report in {district}. Send it?",
    ),
    "created": (
        "تم تسجيل بلاغك برقم {reference}.",
        "Your report is registered with number {reference}.",
    ),
    "anything_else": ("تحتاج شي ثاني؟", "Is there anything else I can do for you?"),
    "reference": ("اكتب رقم البلاغ.", "Enter the report number."),
    "status": ("حالة البلاغ {reference}: {status}.", "Report {reference} is {status}."),
    "goodbye": (
        "شكراً لتواصلك مع بلاغ 940. في أمان الله.",
        "Thank you for contacting Balagh 940. Goodbye!",
    ),
}
MENUS = {
    "main": [
        (("تقديم بلاغ", "Report a problem"), "/report_complaint"),
        (("متابعة بلاغ", "Check a report"), "/check_status"),
        (("التحدث مع موظف", "Talk to an employee"), "/talk_to_agent"),
    ],
    "category": [
        (("حفر وطرق", "Roads"), '/inform{"category": "roads"}'),
        (("إنارة", "Street lighting"), '/inform{"category": "lighting"}'),
        (("نظافة", "Waste"), '/inform{"category": "waste"}'),
    ],
    "district": [
        (("الهفوف", "Al Hofuf"), '/inform{"district": "al_hofuf"}'),
        (("المبرز", "Al Mubarraz"), '/inform{"district": "al_mubarraz"}'),
        (("تخطي", "Skip"), '/inform{"choice": "skip"}'),
    ],
    "yes_no": [(("نعم", "Yes"), "/affirm"), (("رقم آخر", "Another number"), "/deny")],
    "submit": [(("أرسل البلاغ", "Send it"), "/affirm"), (("إلغاء", "Cancel"), "/cancel")],
    "anything_else": [
        (("تقديم بلاغ", "Report a problem"), "/report_complaint"),
        (("لا، شكراً", "No, thank you"), "/goodbye"),
    ],
}


@dataclass
class Conversation:
    asked: str = "menu"
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReportBot:
    complaints: ComplaintService | None = None  # bound once the service under test has started
    conversations: dict[str, Conversation] = field(default_factory=dict)

    async def reply(self, body: dict[str, Any]) -> list[Message]:
        sender, message = body["sender"], body["message"]
        meta = body.get("metadata", {})
        lang = 0 if meta.get("language", "ar") == "ar" else 1
        talk = self.conversations.setdefault(sender, Conversation())

        def say(key: str, menu: str | None = None, **values: Any) -> Message:
            said: Message = {"recipient_id": sender, "text": T[key][lang].format(**values)}
            if menu:
                said["buttons"] = [{"title": t[lang], "payload": p} for t, p in MENUS[menu]]
            return said

        if message == "/greet":
            return [say("welcome", "main")]
        if message == "/report_complaint":
            talk.asked, talk.report = "category", {}
            return [say("category", "category")]
        if message == "/check_status":
            talk.asked = "reference"
            hint = {
                "expect": "digits",
                "finish_on_key": "#",
                "max_digits": 10,
                "purpose": "reference",
            }
            return [say("reference"), {"custom": hint}]
        if talk.asked == "reference":
            assert self.complaints is not None
            complaint = await self.complaints.get(message)
            talk.asked = "menu"
            answer = say("status", reference=message, status=complaint.status.value)
            return [answer, say("anything_else", "anything_else")]
        if message == "/goodbye":
            return [say("goodbye")]
        if message in ("/talk_to_agent", "ابي موظف"):
            handoff = {"reason": "requested", "available": True, "language": "ar"}
            return [
                {"recipient_id": sender, "text": "جاري تحويلك."},
                {"custom": {"handoff": handoff}},
            ]
        if talk.asked == "category":
            talk.report["category"] = message.split('"')[3]
            talk.asked = "district"
            return [say("district", "district"), {"custom": {"expect": "district"}}]
        if talk.asked == "district":
            talk.report["district"] = message.split('"')[3]
            talk.asked = "description"
            hint = {"expect": "recording", "max_seconds": 120, "finish_on_key": "#"}
            return [say("description"), {"custom": hint}]
        if talk.asked == "description":
            talk.report["media"] = meta.get("media", [])
            talk.report["phone"] = meta.get("phone")
            talk.asked = "phone"
            return [say("phone", "yes_no", last=str(meta.get("phone"))[-4:])]
        if talk.asked == "phone" and message == "/affirm":
            talk.asked = "summary"
            return [say("summary", "submit", **talk.report)]
        if talk.asked == "summary" and message == "/affirm":
            return await self.submit(sender, talk, meta, say)
        return [say("anything_else", "anything_else")]

    async def submit(
        self, sender: str, talk: Conversation, meta: dict[str, Any], say: Any
    ) -> list[Message]:
        assert self.complaints is not None
        report = NewComplaint(
            channel=Channel(meta["channel"]),
            language=meta.get("language", "ar"),
            description="(رسالة صوتية)",
            category=talk.report["category"],
            district=talk.report["district"],
            phone=talk.report["phone"],
            attachments=talk.report["media"],
            sources=meta.get("sources", {}),
            idempotency_key=dialogue_report_key(sender, None),
        )
        result = await self.complaints.create(report, Actor("citizen", "citizen"))
        reference = result.complaint.reference
        talk.asked = "menu"
        created = say("created", reference=reference)
        payload = {"reference": {"value": reference, "digits": " ".join(reference)}}
        return [created, {"custom": payload}, say("anything_else", "anything_else")]
