"""Result files: signed URLs shaped like COS ones, and the bytes behind them.

Images are real PNG/JPEG files drawn with Pillow, deterministic from the task id, made on the
first download and cached. Videos are real MP4 files (videos.py), cached by their parameters
(size, duration, audio, mode) so any number of equal tasks costs one encoding. Drawing and
encoding run in a worker thread so a 2048x2048 noise image never stalls the event loop (and
with it the rate limiter's clock readings).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import math
import random
import secrets
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from .config import ImageMode, VideoMode
from .tasks import Task
from .videos import VideoParams, render_video

CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "mp4": "video/mp4"}
CACHE_BYTES = 256 * 1024 * 1024


def result_path(task_id: str, index: int, extension: str) -> str:
    return f"/results/{task_id}/{index}.{extension}"


def render_image(
    task_id: str, index: int, width: int, height: int, extension: str, mode: ImageMode
) -> bytes:
    """Draw one result image. Pure and blocking: call it through asyncio.to_thread."""
    digest = hashlib.sha256(f"{task_id}/{index}".encode()).digest()
    if mode == "noise":
        # Random bytes do not compress: a 2048x2048 RGB PNG comes out above 12 MB.
        noise = random.Random(digest).randbytes(width * height * 3)
        image = Image.frombytes("RGB", (width, height), noise)
        compress_level = 1  # compressing noise only costs time
    else:
        image = _gradient(digest, width, height)
        prefix, _, rest = task_id.rpartition("-")
        _label(image, f"MPS emulator #{index + 1}\n{prefix}\n{rest}")
        compress_level = 6
    out = io.BytesIO()
    if extension == "jpg":
        image.save(out, "JPEG", quality=90)
    else:
        image.save(out, "PNG", compress_level=compress_level)
    return out.getvalue()


def _gradient(digest: bytes, width: int, height: int) -> Image.Image:
    start = Image.new("RGB", (width, height), tuple(digest[0:3]))
    end = Image.new("RGB", (width, height), tuple(digest[3:6]))
    # linear_gradient runs top to bottom; rotating makes it run left to right.
    mask = Image.linear_gradient("L").rotate(90).resize((width, height))
    return Image.composite(start, end, mask)


def _label(image: Image.Image, text: str) -> None:
    width, height = image.size
    # A 32-character line must fit across the picture.
    size = max(10, min(height // 24, width // 28))
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.load_default(size)
    except (ImportError, OSError):  # Pillow built without FreeType: small bitmap font
        font = ImageFont.load_default()
    draw = ImageDraw.Draw(image)
    draw.multiline_text(
        (size, size), text, fill="white", font=font, stroke_width=2, stroke_fill="black"
    )


class ResultFiles:
    """Signs result URLs, checks them, and produces (and caches) the files behind them."""

    def __init__(
        self, mode: ImageMode, shared: bool = False, video_mode: VideoMode = "gradient"
    ) -> None:
        self.mode = mode
        self.video_mode = video_mode
        # shared: one picture per (size, format, index) serves every task (drawn once).
        self.shared = shared
        self._key = secrets.token_bytes(32)
        self._cache: OrderedDict[Hashable, bytes] = OrderedDict()
        self._cache_bytes = 0
        self._pending: dict[Hashable, asyncio.Future[bytes]] = {}
        self.made = 0  # files drawn or encoded, as opposed to served from the cache
        self._failed_fetches: dict[str, int] = {}

    def expires(self, task: Task) -> int:
        """Unix time on the URL's Expires, rounded up to whole seconds as COS does."""
        return math.ceil(task.created_wall + task.wait_s + task.run_s + task.url_lifetime)

    def url(self, base: str, task: Task, index: int) -> str:
        path = result_path(task.task_id, index, task.spec.extension)
        expires = self.expires(task)
        return f"{base}{path}?Expires={expires}&Signature={self._sign(path, str(expires))}"

    def signature_ok(self, path: str, expires: str, signature: str) -> bool:
        expected = self._sign(path, expires)
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))

    def _sign(self, path: str, expires: str) -> str:
        return hmac.new(self._key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    async def get(self, task: Task, index: int) -> bytes:
        spec = task.spec
        if spec.extension == "mp4":
            params = VideoParams(
                spec.width, spec.height, spec.duration, spec.audio, self.video_mode
            )
            return await self.produce(params, render_video, params)
        key: tuple = (task.task_id, index)
        drawn_for = task.task_id
        if self.shared:
            drawn_for = "4-AigcImage-shared"
            key = (drawn_for, index, spec.width, spec.height, spec.extension)
        return await self.produce(
            key,
            render_image,
            drawn_for,
            index,
            spec.width,
            spec.height,
            spec.extension,
            self.mode,
        )

    async def produce(self, key: Hashable, make: Callable[..., bytes], *args: Any) -> bytes:
        """The cached file for `key`, or make(*args) in a thread, once however many ask."""
        data = self._cache.get(key)
        if data is not None:
            self._cache.move_to_end(key)
            return data
        future = self._pending.get(key)
        if future is None:
            future = asyncio.ensure_future(asyncio.to_thread(make, *args))
            self._pending[key] = future
            self.made += 1
            future.add_done_callback(lambda f, key=key: self._settle(key, f))
        # Shielded: a client that gives up must not cancel the drawing others are waiting on.
        return await asyncio.shield(future)

    def _settle(self, key: Hashable, future: asyncio.Future[bytes]) -> None:
        self._pending.pop(key, None)
        if future.cancelled() or future.exception() is not None:
            return
        data = future.result()
        self._cache[key] = data
        self._cache_bytes += len(data)
        while self._cache_bytes > CACHE_BYTES and len(self._cache) > 1:
            _, evicted = self._cache.popitem(last=False)
            self._cache_bytes -= len(evicted)

    def should_fail(self, path: str, failures: int) -> bool:
        """Count a fetch of `path`; True for its first `failures` fetches."""
        seen = self._failed_fetches.get(path, 0)
        if seen >= failures:
            return False
        self._failed_fetches[path] = seen + 1
        return True

    def clear(self) -> None:
        self._failed_fetches.clear()
        self._cache.clear()
        self._cache_bytes = 0
