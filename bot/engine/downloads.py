"""Fetch result files as soon as a task is DONE: MPS keeps them for 12 hours only."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from ..config import Downloads

log = logging.getLogger(__name__)

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"RIFF", "image/webp", "webp"),
    (b"GIF8", "image/gif", "gif"),
)


class DownloadError(Exception):
    """A result could not be fetched. `code` is one of: expired, too_large, failed."""

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
    """Download every URL at once and write the files; all or nothing."""
    fetched = await asyncio.gather(*(_fetch(session, url, limits) for url in urls))
    return await asyncio.to_thread(_write_all, fetched, directory, stem)


def _write_all(
    fetched: list[tuple[bytes, str | None]], directory: Path, stem: str
) -> list[Downloaded]:
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for idx, (data, header_type) in enumerate(fetched):
        content_type, ext = sniff(data, header_type)
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
