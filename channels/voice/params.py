"""The Twilio Voice form fields the line uses, checked at the edge.

Twilio sends many more fields (CallerCity, ApiVersion…); they are ignored, not refused, since
Twilio adds fields over time. Those we use are bounded and shaped before they go anywhere.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.phone import InvalidPhone, normalise_phone

CallSid = Annotated[str, Field(pattern=r"^CA[0-9a-fA-F]{32}$")]
RecordingSid = Annotated[str, Field(pattern=r"^RE[0-9a-fA-F]{32}$")]
AccountSid = Annotated[str, Field(pattern=r"^AC[0-9a-fA-F]{32}$")]
FINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "canceled", "failed"})
MAX_SPEECH = 1000  # characters of one answer kept; a caller says far less in one breath


def _cut(value: object) -> object:
    return value[:MAX_SPEECH] if isinstance(value, str) else value


# What the caller said, cut rather than refused: the line always answers with TwiML.
Speech = Annotated[str, BeforeValidator(_cut), Field(max_length=MAX_SPEECH)]


class _TwilioFields(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class CallRequest(_TwilioFields):
    """A voice webhook: the call, and what the caller pressed, said or recorded."""

    call_sid: CallSid = Field(alias="CallSid")
    account_sid: AccountSid = Field(alias="AccountSid")
    caller: Annotated[str, Field(max_length=64)] = Field("", alias="From")
    call_status: Annotated[str, Field(max_length=20)] = Field("", alias="CallStatus")
    # keys pressed; "hangup" when the caller hung up to end a <Record>
    digits: Annotated[str, Field(pattern=r"^(?:[0-9*#]{0,40}|hangup)$")] = Field("", alias="Digits")
    speech: Speech = Field("", alias="SpeechResult")
    recording_sid: RecordingSid | None = Field(None, alias="RecordingSid")
    recording_seconds: Annotated[int, Field(ge=0)] | None = Field(None, alias="RecordingDuration")
    dial_status: Annotated[str, Field(max_length=20)] = Field("", alias="DialCallStatus")

    @property
    def caller_phone(self) -> str | None:
        """The caller id in E.164, when it is a real number (not withheld, not a client)."""
        try:
            return normalise_phone(self.caller) if self.caller else None
        except InvalidPhone:
            return None


class RecordingStatus(_TwilioFields):
    """A recording status callback: a recording is ready to fetch (or failed)."""

    call_sid: CallSid = Field(alias="CallSid")
    account_sid: AccountSid = Field(alias="AccountSid")
    recording_sid: RecordingSid = Field(alias="RecordingSid")
    status: Literal["in-progress", "completed", "absent", "failed"] = Field(alias="RecordingStatus")
    seconds: Annotated[int, Field(ge=0)] | None = Field(None, alias="RecordingDuration")
