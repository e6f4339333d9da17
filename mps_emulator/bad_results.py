"""Broken result files, served in place of the real ones to test a client's defences.

What each kind serves (always HTTP 200, behind a valid signed URL):
  garbage        random bytes labelled with the result's own content type (e.g. image/png)
  truncated_png  the first half of a real PNG, labelled image/png
  bomb_png       a valid 20000x20000 grayscale PNG of about 400 KB that inflates to 400 MB,
                 labelled image/png (Pillow refuses to open it: DecompressionBombError)
  empty          a 0-byte body labelled with the result's content type
  bmp, tiff      the real picture re-encoded as BMP or TIFF, labelled image/png (a whole,
                 valid image in a format the client did not ask for)
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zlib

BAD_RESULT_KINDS = ("garbage", "truncated_png", "bomb_png", "empty", "bmp", "tiff")
# The kinds that are the real picture in another format.
RECODED_KINDS = {"bmp": "BMP", "tiff": "TIFF"}

BOMB_SIDE = 20000
GARBAGE_BYTES = 64 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def garbage(seed: str) -> bytes:
    data = random.Random(hashlib.sha256(seed.encode()).digest()).randbytes(GARBAGE_BYTES)
    # Never start like a real image, so a client cannot get lucky sniffing magic numbers.
    return b"\x00GARBAGE" + data


def recoded(data: bytes, kind: str) -> bytes:
    """The picture in `data` re-encoded as `kind` (bmp, tiff). Blocking: use a thread."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        out = io.BytesIO()
        image.convert("RGB").save(out, RECODED_KINDS[kind])
        return out.getvalue()


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def bomb_png(side: int = BOMB_SIDE) -> bytes:
    """A black `side` x `side` 8-bit grayscale PNG. Blocking (about 0.1 s): use a thread.

    Deflating 400 MB of zeros takes a second, so one chunk of rows is deflated once, ended
    with a full flush (which resets the compressor, making every chunk's output identical),
    and that output is repeated; only the Adler-32 checksum runs over every byte.
    """
    rows_per_chunk = 100
    assert side % rows_per_chunk == 0
    chunk = bytes(side + 1) * rows_per_chunk  # each row: filter byte 0, then `side` zeros
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.flush(zlib.Z_FINISH)
    checksum = 1
    chunks = side // rows_per_chunk
    for _ in range(chunks):
        checksum = zlib.adler32(chunk, checksum)
    stream = b"\x78\xda" + block * chunks + tail + struct.pack(">I", checksum)
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
