"""A caller on the 940 line as Twilio carries them: the form fields Twilio posts, signed as
Twilio signs them, following the URLs of each TwiML answer. The voice tests and
bench/callers.py place their calls with it.
"""

import secrets
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import httpx
from twilio.request_validator import RequestValidator

from channels.twilio_account import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN

CALLER = "+966501234567"
LINE = "+966135550940"


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass(frozen=True)
class Answer:
    """One TwiML answer, read the way Twilio reads it."""

    xml: str

    @property
    def root(self) -> ElementTree.Element:
        return ElementTree.fromstring(self.xml)  # noqa: S314 - our own service's TwiML

    def _first(self, tag: str) -> ElementTree.Element | None:
        return next(self.root.iter(tag), None)

    @property
    def said(self) -> list[str]:
        return [element.text or "" for element in self.root.iter("Say")]

    @property
    def action(self) -> str:
        """Where the caller's keys, words or recording go."""
        for tag in ("Gather", "Record", "Dial"):
            element = self._first(tag)
            if element is not None:
                return element.attrib["action"]
        raise AssertionError(f"nothing to answer in {self.xml}")

    @property
    def no_input(self) -> str:
        redirect = self._first("Redirect")
        assert redirect is not None, self.xml
        assert redirect.text, self.xml
        return redirect.text

    @property
    def is_hold(self) -> bool:
        """A moment's wait before the same step again: nothing to answer, no end of call."""
        return self.has("Pause") and not any(
            self.has(tag) for tag in ("Gather", "Record", "Dial", "Hangup")
        )

    def has(self, tag: str) -> bool:
        return self._first(tag) is not None

    def attribute(self, tag: str, name: str) -> str | None:
        element = self._first(tag)
        return None if element is None else element.attrib.get(name)


class SimulatedCall:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        token: str = LOCAL_AUTH_TOKEN,
        account_sid: str = LOCAL_ACCOUNT_SID,
        caller: str = CALLER,
        call_sid: str | None = None,
        server: str | None = None,
    ) -> None:
        """`base_url` is the service's public address (what Twilio signs); `server`, when
        given, is where requests really go (a local port behind that public name)."""
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.server = server
        self.validator = RequestValidator(token)
        self.call_sid = call_sid or new_sid("CA")
        self.fields = {
            "AccountSid": account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Called": LINE,
            "Caller": caller,
            "Direction": "inbound",
            "From": caller,
            "FromCountry": "SA",
            "To": LINE,
            "ToCountry": "SA",
        }
        self.answer = Answer("<Response/>")

    async def post(self, url: str, fields: dict[str, Any]) -> httpx.Response:
        """POST form fields to a URL of the service, signed as Twilio signs them."""
        params = {name: str(value) for name, value in fields.items()}
        signature = self.validator.compute_signature(url, params)
        target = url.replace(self.base_url, self.server, 1) if self.server else url
        return await self.http.post(target, data=params, headers={"X-Twilio-Signature": signature})

    async def _follow(self, url: str, **extra: Any) -> Answer:
        response = await self.post(url, {**self.fields, **extra})
        assert response.status_code == 200, response.text
        self.answer = Answer(response.text)
        return self.answer

    async def dial(self) -> Answer:
        return await self._follow(f"{self.base_url}/channels/twilio/voice", CallStatus="ringing")

    async def press(self, keys: str) -> Answer:
        return await self._follow(self.answer.action, Digits=keys)

    async def speak(self, words: str, confidence: float = 0.9) -> Answer:
        return await self._follow(self.answer.action, SpeechResult=words, Confidence=confidence)

    async def stay_silent(self) -> Answer:
        return await self._follow(self.answer.no_input)

    async def hold_on(self) -> Answer:
        """Hear a hold out ("one moment"): Twilio follows its <Redirect> to collect the answer."""
        assert self.answer.is_hold, self.answer.xml
        return await self._follow(self.answer.no_input)

    async def record(self, recording_sid: str, seconds: int = 4, ended_by: str = "#") -> Answer:
        """Speak after the beep, then press # (or hang up: `ended_by="hangup"`)."""
        return await self._follow(
            self.answer.action,
            RecordingSid=recording_sid,
            RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/"
            f"{self.fields['AccountSid']}/Recordings/{recording_sid}",
            RecordingDuration=seconds,
            Digits=ended_by,
        )

    async def dial_ended(self, status: str) -> Answer:
        return await self._follow(self.answer.action, DialCallStatus=status)

    async def recording_ready(self, callback: str, recording_sid: str) -> httpx.Response:
        """Twilio's recording status callback for a recording of this call."""
        fields = {
            "AccountSid": self.fields["AccountSid"],
            "CallSid": self.call_sid,
            "RecordingSid": recording_sid,
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/"
            f"{self.fields['AccountSid']}/Recordings/{recording_sid}",
            "RecordingStatus": "completed",
            "RecordingDuration": "4",
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
        }
        return await self.post(callback, fields)

    async def hang_up(self, status: str = "completed") -> httpx.Response:
        fields = {**self.fields, "CallStatus": status, "CallDuration": "42"}
        return await self.post(f"{self.base_url}/channels/twilio/voice/status", fields)
