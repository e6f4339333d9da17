"""Check a reference image from its bytes before it is sent to MPS (which bills the attempt).

A file's name and declared type are what the uploader says; its first bytes are what it is.
Only the magic numbers are read: decoding is MPS's job, and a cheap check here catches the
usual mistakes (an empty file, a text file named `.png`, a file over the limit).
"""

from __future__ import annotations

import aiohttp

from ..refusal import Refusal

HEAD_BYTES = 64

REFERENCE_TYPES = ("image/jpeg", "image/png", "image/webp")
# Video frames and references: jpeg and png only (models.py 24505, 24507, 24509).
FRAME_TYPES = ("image/jpeg", "image/png")


def sniff_image(data: bytes) -> str | None:
    """The image type the bytes start with, among those MPS accepts as references."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    # RIFF is a container for WAV and AVI too; WebP says so at bytes 8-12.
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_declared(
    content_type: str | None, filename: str, size: int, max_bytes: int, *, frame: bool = False
) -> None:
    """Refuse a reference (or, `frame`, a video frame) from what its upload says (type and
    size), before reading it."""
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in (FRAME_TYPES if frame else REFERENCE_TYPES):
        key = "video.error.frame_type" if frame else "error.reference_type"
        raise Refusal(key, type=declared or filename)
    if size > max_bytes:
        raise Refusal(
            "error.reference_too_large",
            size=f"{size / 2**20:.1f}",
            max=f"{max_bytes / 2**20:.0f}",
        )


def check_reference_bytes(
    data: bytes, declared_type: str | None, max_bytes: int, *, frame: bool = False
) -> str:
    """The content type read from `data`, or a Refusal saying what is wrong with it.

    `declared_type` is the attachment's Content-Type (parameters such as `; charset=` are
    ignored); a type that is not an image is refused even when the bytes would do, because
    the URL handed to MPS serves it with that type.
    """
    declared = (declared_type or "").split(";")[0].strip().lower()
    allowed = FRAME_TYPES if frame else REFERENCE_TYPES
    if declared and declared not in allowed:
        key = "video.error.frame_type" if frame else "error.reference_type"
        raise Refusal(key, type=declared)
    if not data:
        raise Refusal("error.reference_empty")
    if len(data) > max_bytes:
        raise Refusal(
            "error.reference_too_large",
            size=f"{len(data) / 2**20:.1f}",
            max=f"{max_bytes / 2**20:.0f}",
        )
    actual = sniff_image(data)
    if actual is None or actual not in allowed:
        raise Refusal("video.error.frame_not_image" if frame else "error.reference_not_image")
    return actual


async def read_head(session: aiohttp.ClientSession, url: str, within: float = 2.0) -> bytes:
    """The first bytes of an uploaded file, enough to tell what it is.

    Asks for a byte range; a server that ignores ranges is read only as far as needed.
    Raises a Refusal when the file cannot be fetched in time."""
    try:
        async with session.get(
            url,
            headers={"Range": f"bytes=0-{HEAD_BYTES - 1}"},
            timeout=aiohttp.ClientTimeout(total=within),
        ) as resp:
            if resp.status not in (200, 206):
                raise Refusal("error.reference_unreadable")
            return await resp.content.read(HEAD_BYTES)
    except (aiohttp.ClientError, TimeoutError):
        raise Refusal("error.reference_unreadable") from None
