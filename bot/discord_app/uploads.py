"""Fit result images under Discord's upload limits, re-encoding only when needed.

Pillow work is CPU-bound: callers run `fit_uploads` in a worker thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

# A whole request is capped at 25 MiB; keep room for the JSON part of the multipart body.
REQUEST_LIMIT = 25 * 1024 * 1024 - 256 * 1024
MAX_FILES = 10


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    reencoded: bool = False


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


def shrink(data: bytes, target: int) -> bytes:
    """JPEG at falling quality, then smaller sizes, until the bytes fit under `target`."""
    image = Image.open(io.BytesIO(data))
    image.load()
    for quality in (92, 85, 75):
        encoded = _jpeg(image, quality)
        if len(encoded) <= target:
            return encoded
    while True:
        width, height = image.size
        if width < 64 or height < 64:
            raise ValueError("image cannot be made small enough")
        image = image.resize((int(width * 0.8), int(height * 0.8)), Image.LANCZOS)
        encoded = _jpeg(image, 80)
        if len(encoded) <= target:
            return encoded


def fit_uploads(paths: list[tuple[Path, str]], per_file: int) -> list[Upload]:
    """Read each (path, filename); re-encode those over `per_file`, or all of them when the
    request as a whole would be over Discord's 25 MiB."""
    files = [(Path(path).read_bytes(), name) for path, name in paths[:MAX_FILES]]
    budget = min(per_file, REQUEST_LIMIT // max(1, len(files)))
    total = sum(len(data) for data, _ in files)
    out = []
    for data, name in files:
        over_file = len(data) > per_file
        over_total = total > REQUEST_LIMIT and len(data) > budget
        if over_file or over_total:
            stem = name.rsplit(".", 1)[0]
            out.append(Upload(f"{stem}.jpg", shrink(data, budget), reencoded=True))
        else:
            out.append(Upload(name, data))
    return out
