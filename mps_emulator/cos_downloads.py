"""Serving the emulated COS objects (cos_bucket.py) at their signed URLs, as COS would."""

from __future__ import annotations

import asyncio
import hashlib

from aiohttp import web

from . import bad_results
from .faults import DOWNLOAD
from .protocol import cos_error, drop_connection, new_request_id
from .service import MpsService


async def serve_object(service: MpsService, request: web.Request) -> web.StreamResponse:
    """GET /cos/{bucket}/{key}?q-sign-time=..&q-signature=.. as COS would answer it.

    Download faults (mps_emulator.faults, action "Download") apply here as to AIGC results."""
    tools = service.tools
    counts = tools.counts
    request_id = new_request_id()
    bucket, key = request.match_info["bucket"], request.match_info["key"]
    resource = f"/{bucket}/{key}"
    fault = service.faults.pop(DOWNLOAD)
    if fault is not None:
        if fault.kind == "http_500":
            return web.Response(status=500, text="Internal Server Error")
        if fault.kind == "drop":
            return drop_connection(request)
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)

    sign_time = request.query.get("q-sign-time", "")
    signature = request.query.get("q-signature", "")
    if not sign_time or not signature:
        counts["forbidden"] += 1
        return cos_error(403, "AccessDenied", "Access Denied.", resource, request_id)
    if not tools.buckets.signature_ok(bucket, key, sign_time, signature):
        counts["forbidden"] += 1
        return cos_error(
            403,
            "SignatureDoesNotMatch",
            "The Signature you specified does not match.",
            resource,
            request_id,
        )
    _, _, end = sign_time.partition(";")
    if not end.isdigit() or tools.wall() > int(end):
        counts["expired"] += 1
        return cos_error(403, "AccessDenied", "Request has expired", resource, request_id)
    stored = tools.buckets.get(bucket, key, service.clock())
    if stored is None:
        counts["not_found"] += 1
        return cos_error(
            404, "NoSuchKey", "The specified key does not exist.", resource, request_id
        )

    data, content_type = stored.data, stored.content_type
    if fault is not None and fault.kind in bad_results.BAD_RESULT_KINDS:
        data = _spoiled(fault.kind, data)
        odd = fault.kind == "bomb_png" or fault.kind in bad_results.RECODED_KINDS
        content_type = "image/png" if odd else content_type
        if fault.kind == "bomb_png":
            data = await service.files.produce("bomb_png", bad_results.bomb_png)
    counts["served"] += 1
    counts["bytes"] += len(data)
    tools.count_download(key)
    return web.Response(body=data, headers={"Content-Type": content_type})


def _spoiled(kind: str, data: bytes) -> bytes:
    if kind == "garbage":
        return bad_results.garbage(hashlib.sha256(data).hexdigest())
    if kind == "empty":
        return b""
    if kind == "truncated_png":
        return bad_results.truncated(data)
    if kind in bad_results.RECODED_KINDS:
        return bad_results.recoded(data, kind)
    return data
