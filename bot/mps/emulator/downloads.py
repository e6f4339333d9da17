"""Result file downloads: signed, expiring URLs answered the way COS answers them."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .faults import DOWNLOAD
from .images import CONTENT_TYPES
from .protocol import cos_error, drop_connection, new_request_id
from .service import MpsService
from .tasks import DONE


async def serve_result(service: MpsService, request: web.Request) -> web.StreamResponse:
    """GET /results/{task_id}/{index}.{ext}?Expires=..&Signature=.. as COS would answer it."""
    counters = service.stats.downloads
    request_id = new_request_id()
    fault = service.faults.pop(DOWNLOAD)
    if fault is not None:
        if fault.kind == "http_500":
            return web.Response(status=500, text="Internal Server Error")
        if fault.kind == "drop":
            return drop_connection(request)
        await asyncio.sleep(fault.delay)

    path = request.path
    task = service.store.get(request.match_info["task_id"])
    index_text, _, extension = request.match_info["name"].partition(".")
    now = service.clock()
    if (
        task is None
        or not (index_text.isascii() and index_text.isdigit())
        or int(index_text) >= task.spec.output_count
        or extension != task.spec.extension
        or task.status(now) != DONE
    ):
        counters["not_found"] += 1
        return cos_error(404, "NoSuchKey", "The specified key does not exist.", path,
                         request_id)
    expires = request.query.get("Expires", "")
    signature = request.query.get("Signature", "")
    if not expires or not signature:
        counters["forbidden"] += 1
        return cos_error(403, "AccessDenied", "Access Denied.", path, request_id)
    if not service.files.signature_ok(path, expires, signature):
        counters["forbidden"] += 1
        return cos_error(403, "SignatureDoesNotMatch",
                         "The Signature you specified does not match.", path, request_id)
    # The exact deadline lives on the task (sub-second lifetimes in tests); Expires on the
    # URL is the same instant rounded up to whole seconds, as COS shows it.
    if now >= task.urls_expire_at or service.wall_clock() > int(expires):
        counters["expired"] += 1
        return cos_error(403, "AccessDenied", "Request has expired", path, request_id)

    index = int(index_text)
    data = await service.files.get(task, index)
    counters["served"] += 1
    counters["bytes"] += len(data)
    task.downloads += 1
    return web.Response(body=data, headers={"Content-Type": CONTENT_TYPES[extension]})
