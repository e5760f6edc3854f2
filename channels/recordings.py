"""Recordings made on the phone line: fetched from Twilio, made compact, kept as attachments.

A recording becomes a durable job (keyed by its RecordingSid) before anything is fetched, so
a fetch that fails (Twilio slow, the file not ready yet, the service restarting) is retried
by the worker: nothing Twilio recorded is lost. The job's storage key is chosen when the job
is created, so a complaint can name the file before it has arrived.

Only Twilio's API, under `BALAGH_TWILIO_API_BASE_URL`, is asked for a recording, with the
account's credentials; the URL a callback mentions is never fetched as such.
"""

import asyncio
import logging
from datetime import datetime
from typing import Final, Literal

import httpx
from pydantic import BaseModel, ConfigDict

from bot.attachments import AttachmentStorage
from bot.audio import RECORDING_MEDIA_TYPE, compact_recording
from bot.clock import utc_now
from bot.complaint_record import Attachment
from bot.settings import Settings
from bot.store.base import Store
from channels.twilio_account import account_sid, auth_token

log = logging.getLogger(__name__)

RECORD_KIND: Final = "voice_recording"
MAX_DOWNLOAD_BYTES: Final = 200 * 1024 * 1024  # four hours of 8 kHz telephone audio
RecordingKind = Literal["voice", "call_recording"]
# one recording fetched and converted at a time: ffmpeg is the costliest thing the service
# runs, and a burst of recordings must not starve the calls (the queue drains between bursts)
CONVERSIONS: Final = asyncio.Semaphore(1)


class RecordingUnavailable(Exception):
    """Twilio does not have the file yet, refused, or failed: the job stays for the worker."""


class RecordingJob(BaseModel):
    model_config = ConfigDict(extra="ignore")

    recording_sid: str
    call_sid: str
    kind: RecordingKind
    storage_key: str
    created_at: datetime


class Recordings:
    def __init__(
        self, store: Store, storage: AttachmentStorage, http: httpx.AsyncClient, settings: Settings
    ) -> None:
        self.store = store
        self.storage = storage
        self.http = http
        self.settings = settings

    def planned(self, recording_sid: str, call_sid: str, kind: RecordingKind) -> RecordingJob:
        """The recording's job before it is kept anywhere: its storage key follows its sid."""
        return RecordingJob(
            recording_sid=recording_sid,
            call_sid=call_sid,
            kind=kind,
            storage_key=self.storage.new_key(RECORDING_MEDIA_TYPE, recording_sid[2:].lower()),
            created_at=utc_now(),
        )

    async def keep(self, job: RecordingJob) -> None:
        """Make the job durable: the worker finishes it if no one else does."""
        await self.store.put_record(RECORD_KIND, job.recording_sid, job)

    async def job(self, recording_sid: str, call_sid: str, kind: RecordingKind) -> RecordingJob:
        """The recording's durable job, created the first time it is mentioned."""
        found = await self.store.get_record(RECORD_KIND, recording_sid, RecordingJob)
        if found is not None:
            return found
        job = self.planned(recording_sid, call_sid, kind)
        await self.keep(job)
        return job

    async def stored_size(self, storage_key: str) -> int:
        """The kept file's size, or 0 while it is still being fetched."""
        path = self.storage.path(storage_key)
        try:
            return (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            return 0

    async def drop(self, job: RecordingJob) -> None:
        await self.store.delete_record(RECORD_KIND, job.recording_sid)

    async def pending(self) -> list[RecordingJob]:
        return await self.store.list_records(RECORD_KIND, RecordingJob)

    @staticmethod
    def busy() -> bool:
        """Whether a fetch now would wait for others to finish first."""
        return CONVERSIONS.locked()

    async def fetch(self, job: RecordingJob) -> Attachment:
        """Download, convert and store the recording under the job's key."""
        async with CONVERSIONS:  # held while downloading too: queued fetches hold no audio
            audio = await compact_recording(await self._download(job.recording_sid))
        await self.storage.save_as(job.storage_key, audio)
        log.info("kept recording %s (%s, %d bytes)", job.recording_sid, job.kind, len(audio))
        return Attachment(
            kind=job.kind,
            media_type=RECORDING_MEDIA_TYPE,
            size=len(audio),
            storage_key=job.storage_key,
        )

    async def settle(self, job: RecordingJob) -> Attachment:
        """Fetch a kept job's recording; the job is done once the file is stored."""
        attachment = await self.fetch(job)
        await self.drop(job)
        return attachment

    async def _download(self, recording_sid: str) -> bytes:
        account = account_sid(self.settings)
        token = auth_token(self.settings) or ""
        base = self.settings.twilio_api_base_url.rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{account}/Recordings/{recording_sid}.wav"
        data = bytearray()
        try:
            async with self.http.stream(
                "GET", url, auth=(account, token), timeout=self.settings.provider_timeout_seconds
            ) as response:
                if response.status_code != 200:
                    raise RecordingUnavailable(f"Twilio answered {response.status_code}")
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > MAX_DOWNLOAD_BYTES:
                        raise RecordingUnavailable("the recording is larger than any call")
        except httpx.HTTPError as exc:
            raise RecordingUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return bytes(data)
