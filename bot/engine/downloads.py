"""Fetch result files as soon as a task is DONE: MPS keeps them for 12 hours only.

Each file is checked to be the image or video it claims to be before it is kept; that
check, like the writing, runs in a worker thread. An image in a format Discord does not
show (BMP or TIFF, whatever its Content-Type says) is kept as PNG, or fails clearly.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import logging
import random
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from PIL import Image

from ..config.tunables import Downloads
from ..media.imaging import PILLOW_ERRORS

log = logging.getLogger(__name__)

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"RIFF", "image/webp", "webp"),
    (b"GIF8", "image/gif", "gif"),
)


class DownloadError(Exception):
    """A result could not be fetched or kept.

    `code` is one of: expired, too_large, failed, invalid (the bytes are not the image or
    video they claim to be). `detail` is shown to users: it never holds a URL or a path.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Downloaded:
    idx: int
    path: Path
    filename: str
    content_type: str
    size: int
    sha256: str


def sniff(data: bytes, header_type: str | None) -> tuple[str, str]:
    """Content type and extension from the bytes themselves; headers are often generic."""
    for magic, content_type, ext in _MAGIC:
        if data.startswith(magic):
            return content_type, ext
    if len(data) > 12 and data[4:8] == b"ftyp":
        return "video/mp4", "mp4"
    return header_type or "application/octet-stream", "bin"


async def _fetch(
    session: aiohttp.ClientSession, url: str, limits: Downloads
) -> tuple[bytes, str | None]:
    timeout = aiohttp.ClientTimeout(total=limits.timeout_seconds)
    last: Exception | None = None
    for attempt in range(limits.attempts):
        try:
            async with session.get(url, timeout=timeout) as resp:
                if resp.status in (401, 403, 404, 410):
                    # A signed result URL answers 403 once it has expired.
                    raise DownloadError("expired", f"HTTP {resp.status}")
                if resp.status >= 400:
                    raise aiohttp.ClientResponseError(
                        resp.request_info, (), status=resp.status, message="download failed"
                    )
                if resp.content_length and resp.content_length > limits.max_bytes:
                    raise DownloadError("too_large", f"{resp.content_length} bytes")
                data = bytearray()
                async for chunk in resp.content.iter_chunked(65536):
                    data += chunk
                    if len(data) > limits.max_bytes:
                        raise DownloadError("too_large", f"over {limits.max_bytes} bytes")
                return bytes(data), resp.headers.get("Content-Type")
        except DownloadError:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            last = exc
            if attempt < limits.attempts - 1:
                await asyncio.sleep(random.uniform(0, 0.5 * 2**attempt))
    raise DownloadError("failed", type(last).__name__ if last else "unknown")


async def download_all(
    session: aiohttp.ClientSession,
    urls: tuple[str, ...],
    directory: Path,
    stem: str,
    limits: Downloads,
) -> list[Downloaded]:
    """Download every URL at once, check and write the files; all or nothing."""
    fetched = await asyncio.gather(*(_fetch(session, url, limits) for url in urls))
    return await asyncio.to_thread(write_results, fetched, directory, stem, limits)


def write_results(
    fetched: list[tuple[bytes, str | None]], directory: Path, stem: str, limits: Downloads
) -> list[Downloaded]:
    """Check every (bytes, Content-Type) and write them as `<stem>-<n>.<ext>`. Blocking:
    call it in a worker thread. Nothing is written unless every file passes."""
    typed = []
    for data, header_type in fetched:
        content_type, ext = sniff(data, header_type)
        verify_result(data, content_type, limits.max_pixels)
        if ext == "bin":
            # A whole image, but not one of the formats a chat client shows.
            data, content_type, ext = as_png(data), "image/png", "png"
        typed.append((data, content_type, ext))
    try:
        return _write(typed, directory, stem)
    except OSError as exc:
        # The path stays in the log; users are told what happened, not where.
        log.error("could not save results %s in %s: %s", stem, directory, exc)
        reason = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        raise DownloadError("failed", f"the result could not be saved ({reason})") from None


def _write(typed: list[tuple[bytes, str, str]], directory: Path, stem: str) -> list[Downloaded]:
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for idx, (data, content_type, ext) in enumerate(typed):
        filename = f"{stem}-{idx + 1}.{ext}"
        path = directory / filename
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # never leave a half-written file under the final name
        out.append(
            Downloaded(
                idx, path, filename, content_type, len(data), hashlib.sha256(data).hexdigest()
            )
        )
    return out


def verify_result(data: bytes, content_type: str, max_pixels: int) -> None:
    """Raise DownloadError("invalid") unless `data` is a whole image or MP4 video.

    Images are opened (which reads the header only) and their size checked against
    `max_pixels` before Pillow's `verify()` walks the file: nothing is ever decoded.
    """
    if not data:
        raise DownloadError("invalid", "the file is empty")
    if content_type.startswith("image/"):
        _verify_image(data, max_pixels)
    elif content_type == "video/mp4":
        _verify_mp4(data)
    else:
        raise DownloadError("invalid", "the file is neither an image nor a video")


def _verify_image(data: bytes, max_pixels: int) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise DownloadError(
                    "invalid", f"the image is {width}x{height}, over {max_pixels} pixels"
                )
            image.verify()
    except DownloadError:
        raise
    except PILLOW_ERRORS as exc:
        raise DownloadError("invalid", f"the image is unreadable ({type(exc).__name__})") from None
    # verify() does not read JPEG or WebP data, so their ends are checked here: a file cut
    # short in transfer lacks the end-of-image marker or the bytes its RIFF header counts.
    if data.startswith(b"\xff\xd8") and not data.rstrip(b"\x00\r\n").endswith(b"\xff\xd9"):
        raise DownloadError("invalid", "the JPEG image is truncated")
    if data.startswith(b"RIFF") and int.from_bytes(data[4:8], "little") + 8 > len(data):
        raise DownloadError("invalid", "the WebP image is truncated")


def as_png(data: bytes) -> bytes:
    """An image Pillow reads (checked by `verify_result` first: its size is known to be
    under the pixel limit) re-encoded as PNG. Blocking."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            keep = image.mode in ("1", "L", "LA", "P", "RGB", "RGBA")
            has_alpha = "A" in image.getbands() or "transparency" in image.info
            picture = image if keep else image.convert("RGBA" if has_alpha else "RGB")
            out = io.BytesIO()
            picture.save(out, "PNG")
    except PILLOW_ERRORS as exc:
        raise DownloadError(
            "invalid", f"the image cannot be turned into PNG ({type(exc).__name__})"
        ) from None
    return out.getvalue()


def _verify_mp4(data: bytes) -> None:
    """The file must start with an `ftyp` box and be whole boxes end to end."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        raise DownloadError("invalid", "the video has no MP4 header")
    offset = 0
    while offset < len(data):
        if len(data) - offset < 8:
            raise DownloadError("invalid", "the video is truncated")
        size = int.from_bytes(data[offset : offset + 4], "big")
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if len(data) - offset < 16:
                raise DownloadError("invalid", "the video is truncated")
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
            header = 16
        elif size == 0:  # the last box runs to the end of the file
            return
        if size < header or offset + size > len(data):
            raise DownloadError("invalid", "the video is truncated")
        offset += size
