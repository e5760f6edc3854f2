"""What the worker deletes on its own: recordings past their retention (noted on the complaint)
and web chat uploads no complaint ever took."""

from datetime import timedelta

import pytest

from bot.clock import utc_now
from bot.complaint_record import Attachment
from bot.complaints import CITIZEN, NewComplaint
from bot.retention import delete_old_recordings
from bot.services import Services
from bot.settings import Settings
from bot.store.base import RecordKind
from bot.upload_claims import (
    RECORD_KIND,
    UnclaimedUpload,
    claim_uploads,
    delete_unclaimed,
    keep_unclaimed,
)

OGG = b"OggS" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No embedded worker: the sweeps run when the test says, not beside it."""
    return settings.model_copy(update={"embedded_worker": False})


async def stored(services: Services, data: bytes, media_type: str, kind: str) -> Attachment:
    key = await services.attachments.save(data, media_type)
    return Attachment.model_validate(
        {"kind": kind, "media_type": media_type, "size": len(data), "storage_key": key}
    )


async def made(services: Services, *attachments: Attachment) -> str:
    report = NewComplaint(
        channel="voice",
        language="ar",
        description="رسالة صوتية",
        phone="+966501234567",
        phone_verified=True,
        attachments=list(attachments),
    )
    return (await services.complaints.create(report, CITIZEN)).complaint.reference


async def test_old_recordings_are_deleted_and_the_complaint_says_so(services: Services) -> None:
    days = services.settings.recording_retention_days
    voicemail = await stored(services, OGG, "audio/ogg", "voice")
    photo = await stored(services, JPEG, "image/jpeg", "photo")
    old = await made(services, voicemail, photo)

    # the sweep as it runs `days` later: what was made before the cutoff goes
    changed = await delete_old_recordings(
        services.complaints, services.attachments, days, utc_now() + timedelta(days=days)
    )
    assert changed == 1
    complaint = await services.complaints.get(old)
    assert [item.kind for item in complaint.attachments] == ["photo"]
    assert not services.attachments.path(voicemail.storage_key).exists()
    assert services.attachments.path(photo.storage_key).exists()
    [note] = [entry for entry in complaint.history if entry.field == "attachment"]
    assert note.old == voicemail.storage_key
    assert f"kept {days} days" in note.reason

    # a report made since is kept until its own time comes; the sweep goes on from its mark
    recent_voice = await stored(services, OGG, "audio/ogg", "call_recording")
    recent = await made(services, recent_voice)
    assert (
        await delete_old_recordings(
            services.complaints, services.attachments, days, utc_now() + timedelta(days=days - 1)
        )
        == 0
    )
    assert (await services.complaints.get(recent)).attachments == [recent_voice]
    changed = await delete_old_recordings(
        services.complaints, services.attachments, days, utc_now() + timedelta(days=days + 1)
    )
    assert changed == 1
    assert (await services.complaints.get(recent)).attachments == []


async def test_the_worker_runs_the_sweeps(services: Services) -> None:
    # calls, recordings, uploads, calls given up, transaction SMS
    assert len(services.worker.follow_ups) == 5
    assert await services.worker.run_once() == 0


async def test_uploads_no_complaint_took_are_deleted_after_hours(services: Services) -> None:
    now = utc_now()
    taken = await stored(services, JPEG, "image/jpeg", "photo")
    left = await stored(services, JPEG, "image/jpeg", "photo")
    fresh = await stored(services, JPEG, "image/jpeg", "photo")
    for upload in (taken, left):
        await keep_unclaimed(services.store, upload.storage_key, now - timedelta(hours=7))
    await keep_unclaimed(services.store, fresh.storage_key, now)
    await made(services, taken)  # the report claims it

    hours = services.settings.unclaimed_upload_hours
    deleted = await delete_unclaimed(
        services.store, services.attachments, now - timedelta(hours=hours)
    )
    assert deleted == 1
    assert not services.attachments.path(left.storage_key).exists()
    assert services.attachments.path(taken.storage_key).exists()
    assert services.attachments.path(fresh.storage_key).exists()


async def test_a_report_claims_only_what_was_kept_unclaimed(services: Services) -> None:
    upload = await stored(services, JPEG, "image/jpeg", "photo")
    recording = await stored(services, JPEG, "image/jpeg", "voice")  # never recorded as an upload
    await keep_unclaimed(services.store, upload.storage_key, utc_now())
    deleted: list[str] = []
    delete_record = services.store.delete_record

    async def spy(kind: RecordKind, key: str) -> None:
        deleted.append(key)
        await delete_record(kind, key)

    services.store.delete_record = spy  # type: ignore[method-assign]
    await claim_uploads(services.store, [recording, upload])
    assert deleted == [upload.storage_key]  # the recording's claim wrote nothing
    assert await services.store.get_record(RECORD_KIND, upload.storage_key, UnclaimedUpload) is None
