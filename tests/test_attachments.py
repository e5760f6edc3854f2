"""Attachment files: generated keys, content sniffing, no way out of the folder."""

from pathlib import Path

import pytest

from bot.attachments import AttachmentStorage, UnknownKey, UnsupportedMedia, sniff

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


async def test_saved_bytes_come_back_under_a_generated_key(tmp_path: Path) -> None:
    storage = AttachmentStorage(tmp_path)
    key = await storage.save(JPEG, "image/jpeg")
    assert key.endswith(".jpg")
    assert await storage.read(key) == JPEG


@pytest.mark.parametrize(
    "key", ["../../etc/passwd", "/etc/passwd", "2025/01/../../x.jpg", "2025/01/" + "a" * 32]
)
async def test_keys_that_could_leave_the_folder_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(UnknownKey):
        await AttachmentStorage(tmp_path).read(key)


async def test_a_missing_file_is_an_unknown_key(tmp_path: Path) -> None:
    with pytest.raises(UnknownKey):
        await AttachmentStorage(tmp_path).read("2025/01/" + "0" * 32 + ".jpg")


def test_media_is_recognised_by_its_bytes_not_its_name() -> None:
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"\xff\xe3\x28\xc4") == "audio/mpeg"  # an 8 kHz MP3 frame, no tag before
    with pytest.raises(UnsupportedMedia):
        sniff(b"<svg onload=alert(1)>")
