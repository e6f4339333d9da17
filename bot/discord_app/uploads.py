"""Fit result images under Discord's upload limits, re-encoding only when needed.

Pillow work is CPU-bound: callers run `fit_uploads` in a worker thread. Videos are
transcoded in the `TranscodePool`'s processes, never in asyncio's thread pool. Every failure
is an `UploadError`, whose message is fit to show a user (no file path).
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import discord
from PIL import Image

from ..config.tunables import Video
from ..media.imaging import PILLOW_ERRORS
from ..media.transcode import Floor, TranscodeError
from ..media.transcode_pool import TranscodePool
from ..mps.models import TaskKind
from ..storage.jobs import Job
from ..text.i18n import DEFAULT_LOCALE, t

log = logging.getLogger(__name__)

# A whole request is capped at 25 MiB; keep room for the JSON part of the multipart body.
REQUEST_LIMIT = 25 * 1024 * 1024 - 256 * 1024
MAX_FILES = 10
# Decoding takes 4 bytes a pixel: 50 million pixels is 200 MB, the most one re-encode may
# hold. Results were checked against `downloads.max_pixels` already; this guards the files
# that were not (older jobs, files changed on disk).
MAX_PIXELS = 50_000_000


class UploadError(ValueError):
    """A result cannot be prepared for upload. `key` and `params` name a localised message;
    `str()` is the English one. A ValueError, so callers that caught Pillow's ValueError
    still catch this."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(t(DEFAULT_LOCALE, key, **params))
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    reencoded: bool = False

    def as_file(self) -> discord.File:
        """A fresh file to send (a failed upload may have read an earlier one)."""
        return discord.File(io.BytesIO(self.data), filename=self.filename)


# Discord hides an attachment behind a spoiler when its file name starts with this.
SPOILER_PREFIX = "SPOILER_"


def as_spoilers(uploads: list[Upload]) -> list[Upload]:
    """The same files, each shown as a spoiler until clicked."""
    return [
        u
        if u.filename.startswith(SPOILER_PREFIX)
        else dataclasses.replace(u, filename=SPOILER_PREFIX + u.filename)
        for u in uploads
    ]


def _jpeg(image: Image.Image, quality: int) -> bytes:
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode != "RGB":
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    """The decoded image, its size checked from the header first so a bomb is never loaded."""
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > max_pixels:
            raise UploadError(
                "upload.too_many_pixels",
                megapixels=f"{width * height / 1e6:.0f}",
                max=f"{max_pixels / 1e6:.0f}",
            )
        image.load()
    except PILLOW_ERRORS as exc:
        if isinstance(exc, UploadError):
            raise
        raise UploadError("upload.unreadable") from None
    return image


def shrink(data: bytes, target: int, max_pixels: int = MAX_PIXELS) -> bytes:
    """JPEG at falling quality, then smaller sizes, until the bytes fit under `target`."""
    image = _decode(data, max_pixels)
    try:
        return _shrink(image, target)
    except PILLOW_ERRORS as exc:
        if isinstance(exc, UploadError):
            raise
        raise UploadError("upload.unreadable") from None


def _shrink(image: Image.Image, target: int) -> bytes:
    for quality in (92, 85, 75):
        encoded = _jpeg(image, quality)
        if len(encoded) <= target:
            return encoded
    while True:
        width, height = image.size
        if width < 64 or height < 64:
            raise UploadError("upload.cannot_shrink")
        image = image.resize((int(width * 0.8), int(height * 0.8)), Image.LANCZOS)
        encoded = _jpeg(image, 80)
        if len(encoded) <= target:
            return encoded


def fit_uploads(
    paths: list[tuple[Path, str]], per_file: int, max_pixels: int = MAX_PIXELS
) -> list[Upload]:
    """Read each (path, filename); re-encode those over `per_file`, or all of them when the
    request as a whole would be over Discord's 25 MiB. Raises UploadError only."""
    files = [(_read(Path(path)), name) for path, name in paths[:MAX_FILES]]
    budget = min(per_file, REQUEST_LIMIT // max(1, len(files)))
    total = sum(len(data) for data, _ in files)
    out = []
    for data, name in files:
        over_file = len(data) > per_file
        over_total = total > REQUEST_LIMIT and len(data) > budget
        if over_file or over_total:
            stem = name.rsplit(".", 1)[0]
            out.append(Upload(f"{stem}.jpg", shrink(data, budget, max_pixels), reencoded=True))
        else:
            out.append(Upload(name, data))
    return out


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        # The path goes to the log only: the error's text is shown to users.
        log.error("cannot read result file %s: %s", path, exc)
        raise UploadError("upload.unreadable") from None


async def prepare_uploads(
    job: Job,
    paths: list[tuple[Path, str]],
    per_file: int,
    video: Video,
    transcodes: TranscodePool,
) -> list[Upload]:
    """A job's result files ready to post under `per_file` bytes each: images through
    `fit_uploads` in a worker thread, a video transcoded (in `transcodes`) when too big."""
    if job.kind is not TaskKind.VIDEO:
        return await asyncio.to_thread(fit_uploads, paths, per_file)
    floor = Floor(video.min_short_side, video.min_video_kbps * 1000)
    try:
        return await fit_video_uploads(paths, per_file, floor, transcodes)
    except TranscodeError as exc:
        # The file stays on disk: /history offers it again for `keep_hours`.
        raise UploadError(
            exc.key, job=job.id, hours=f"{video.keep_hours:g}", **exc.params
        ) from None


async def fit_video_uploads(
    paths: list[tuple[Path, str]], per_file: int, floor: Floor, transcodes: TranscodePool
) -> list[Upload]:
    """Each video as it is when it fits, else transcoded to fit. Raises TranscodeError."""
    out = []
    budget = min(per_file, REQUEST_LIMIT // max(1, len(paths[:MAX_FILES])))
    for path, name in paths[:MAX_FILES]:
        if _size(Path(path)) <= budget:
            out.append(Upload(name, await asyncio.to_thread(_read, Path(path))))
            continue
        stem = name.rsplit(".", 1)[0]
        fitted = await transcodes.fit(Path(path), budget, floor)
        out.append(Upload(f"{stem}.mp4", fitted, reencoded=True))
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        log.error("cannot read result file %s: %s", path, exc)
        raise TranscodeError("video.unreadable") from None
