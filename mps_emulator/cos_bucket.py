"""The operator's COS bucket, as the image tools write to it and a client reads from it.

ProcessImage writes each result to `OutputStorage` at its `Path`; DescribeImageTaskDetail
hands out `Output.SignedUrl`, a pre-signed URL that expires. Here the emulator keeps the
objects itself and serves them path-style at `/cos/<bucket>/<key>`, signed with
`q-sign-time=<start>;<end>` and `q-signature` (a simplified COS signature: the emulator's
own key over bucket, key and times). cos_downloads.py serves them, with COS's XML errors.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import quote

# Like the result cache: the oldest objects go first (as a lifecycle rule would delete them).
BUCKET_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str
    # Monotonic time from which the object exists: when its task finishes.
    available_at: float


class CosBuckets:
    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._objects: OrderedDict[tuple[str, str], StoredObject] = OrderedDict()
        self._bytes = 0

    def put(self, bucket: str, key: str, stored: StoredObject) -> None:
        old = self._objects.pop((bucket, key), None)
        if old is not None:
            self._bytes -= len(old.data)
        self._objects[(bucket, key)] = stored
        self._bytes += len(stored.data)
        while self._bytes > BUCKET_BYTES and len(self._objects) > 1:
            _, evicted = self._objects.popitem(last=False)
            self._bytes -= len(evicted.data)

    def get(self, bucket: str, key: str, now: float) -> StoredObject | None:
        stored = self._objects.get((bucket, key))
        if stored is None or now < stored.available_at:
            return None
        return stored

    def signed_url(self, base: str, bucket: str, key: str, start: int, end: int) -> str:
        sign_time = f"{start};{end}"
        return (
            f"{base}/cos/{bucket}/{quote(key, safe='/')}?q-sign-algorithm=sha1"
            f"&q-sign-time={sign_time}&q-signature={self._sign(bucket, key, sign_time)}"
        )

    def signature_ok(self, bucket: str, key: str, sign_time: str, signature: str) -> bool:
        expected = self._sign(bucket, key, sign_time)
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))

    def _sign(self, bucket: str, key: str, sign_time: str) -> str:
        message = f"{bucket}\n{key}\n{sign_time}".encode()
        return hmac.new(self._key, message, hashlib.sha1).hexdigest()

    def clear(self) -> None:
        self._objects.clear()
        self._bytes = 0
