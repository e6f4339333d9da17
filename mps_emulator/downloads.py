"""Result file downloads: signed, expiring URLs answered the way COS answers them.

Broken answers, on demand: a queued Download fault (http_500, drop, slow, or one of
bad_results.BAD_RESULT_KINDS) spoils the next download; config.bad_results spoils every one;
config.result_http_500s makes each URL answer HTTP 500 that many times before it works.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from . import bad_results
from .faults import DOWNLOAD
from .images import CONTENT_TYPES, render_image
from .protocol import cos_error, drop_connection, new_request_id
from .service import MpsService
from .tasks import DONE, Task


async def serve_result(service: MpsService, request: web.Request) -> web.StreamResponse:
    """GET /results/{task_id}/{index}.{ext}?Expires=..&Signature=.. as COS would answer it."""
    counters = service.stats.downloads
    request_id = new_request_id()
    fault = service.faults.pop(DOWNLOAD)
    bad = service.config.bad_results
    if fault is not None:
        if fault.kind == "http_500":
            return web.Response(status=500, text="Internal Server Error")
        if fault.kind == "drop":
            return drop_connection(request)
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        else:
            bad = fault.kind

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
        return cos_error(404, "NoSuchKey", "The specified key does not exist.", path, request_id)
    expires = request.query.get("Expires", "")
    signature = request.query.get("Signature", "")
    if not expires or not signature:
        counters["forbidden"] += 1
        return cos_error(403, "AccessDenied", "Access Denied.", path, request_id)
    if not service.files.signature_ok(path, expires, signature):
        counters["forbidden"] += 1
        return cos_error(
            403,
            "SignatureDoesNotMatch",
            "The Signature you specified does not match.",
            path,
            request_id,
        )
    # The exact deadline lives on the task (sub-second lifetimes in tests); Expires on the
    # URL is the same instant rounded up to whole seconds, as COS shows it.
    if now >= task.urls_expire_at or service.wall_clock() > int(expires):
        counters["expired"] += 1
        return cos_error(403, "AccessDenied", "Request has expired", path, request_id)

    if service.files.should_fail(path, service.config.result_http_500s):
        counters["http_500"] += 1
        return web.Response(status=500, text="Internal Server Error")

    index = int(index_text)
    content_type = CONTENT_TYPES[extension]
    if bad is None:
        data = await service.files.get(task, index)
    else:
        data, content_type = await _bad_result(service, task, index, bad, content_type)
        counters["bad"] += 1
    counters["served"] += 1
    counters["bytes"] += len(data)
    task.downloads += 1
    return web.Response(body=data, headers={"Content-Type": content_type})


async def _bad_result(
    service: MpsService, task: Task, index: int, kind: str, content_type: str
) -> tuple[bytes, str]:
    files = service.files
    if kind == "garbage":
        return bad_results.garbage(f"{task.task_id}/{index}"), content_type
    if kind == "empty":
        return b"", content_type
    if kind in bad_results.RECODED_KINDS:
        data = await files.get(task, index)
        return await asyncio.to_thread(bad_results.recoded, data, kind), "image/png"
    if kind == "bomb_png":
        return await files.produce("bomb_png", bad_results.bomb_png), "image/png"
    assert kind == "truncated_png", kind
    if task.spec.extension == "png":
        png = await files.get(task, index)
    else:  # a JPEG or video result: cut a small PNG instead
        png = await files.produce(
            ("truncated_png", task.task_id, index),
            render_image,
            task.task_id,
            index,
            256,
            256,
            "png",
            "gradient",
        )
    return bad_results.truncated(png), "image/png"
