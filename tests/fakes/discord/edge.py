"""What stands in front of the REST routes, like Discord's edge: injected faults, rate limits,
``X-RateLimit-*`` headers on every answer, and the record of every call."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import TYPE_CHECKING

from aiohttp import web

from .records import FaultRule, RecordedCall
from .wire import BODY, Body, DiscordError, json_response, rate_limited, read_body, server_error

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)
API = "/api/v10"


def new_fault(
    method: str | None,
    path: str,
    status: int,
    count: int,
    retry_after: float,
    is_global: bool,
    body: dict | None,
    disconnect: bool,
    when: str = "before",
) -> FaultRule:
    if when not in ("before", "after", "hold"):
        raise ValueError("when must be before, after or hold")
    return FaultRule(
        method and method.upper(),
        re.compile(path),
        status,
        count,
        retry_after,
        is_global,
        body,
        disconnect,
        when,
    )


def _take_fault(fake: FakeDiscord, method: str, path: str) -> FaultRule | None:
    for rule in fake.faults:
        if rule.matches(method, path):
            rule.remaining -= 1
            return rule
    return None


def _fault_error(rule: FaultRule, route: str) -> DiscordError:
    if rule.status == 429:
        return rate_limited(route, rule.retry_after, is_global=rule.is_global)
    error = server_error(rule.status)
    error.body = rule.body or error.body
    return error


def _drop(request: web.Request) -> web.Response:
    """Reset the connection mid-request: the client sees ServerDisconnectedError or
    ECONNRESET, as when a load balancer gives up."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)  # never reaches the client


def middleware(fake: FakeDiscord):
    @web.middleware
    async def edge(request: web.Request, handler) -> web.StreamResponse:
        if not request.path.startswith(f"{API}/"):
            return await handler(request)
        path = request.path[len(API) :]
        resource = request.match_info.route.resource
        route = resource.canonical[len(API) :] if resource is not None else path
        body, injected, dropped = Body(), False, False
        headers: dict[str, str] = {}
        try:
            body = await read_body(request, fake.max_request_size)
            request[BODY] = body
            rule = _take_fault(fake, request.method, path)
            if rule is not None and rule.when != "before":
                # Discord applies the request; its answer is lost (or never comes).
                injected = True
                await handler(request)
                if rule.when == "hold":
                    fake.held.append(request.path)
                    fake.notify()
                    await asyncio.Event().wait()  # until the client gives up or the fake stops
                if rule.disconnect:
                    dropped = True
                    response = _drop(request)
                else:
                    raise _fault_error(rule, route)
            elif rule is not None:
                injected = True
                if rule.disconnect:
                    dropped = True
                    response = _drop(request)
                else:
                    raise _fault_error(rule, route)
            else:
                headers = fake.rate_limits.take(request.method, route, dict(request.match_info))
                response = await handler(request)
        except DiscordError as error:
            response = json_response(error.body, status=error.status, headers=error.headers)
        except web.HTTPException as error:  # no such route / method
            response = json_response(
                {"message": f"{error.status}: {error.reason}", "code": 0}, status=error.status
            )
        except Exception as error:
            log.exception("fake Discord failed on %s %s", request.method, path)
            fake.internal_errors.append(error)
            response = json_response(
                {"message": "500: Internal Server Error", "code": 0}, status=500
            )
        if response.status == 429:
            fake.rate_limits.count(request.method, route)
        else:
            for key, value in (headers or fake.rate_limits.idle_headers(route)).items():
                response.headers.setdefault(key, value)
        answered = None
        is_json = response.headers.get("Content-Type") == "application/json"
        if is_json and isinstance(response, web.Response) and isinstance(response.body, bytes):
            answered = json.loads(response.body)
        fake.calls.append(
            RecordedCall(
                at=fake.monotonic(),
                method=request.method,
                path=path,
                route=route,
                query=dict(request.query),
                json=body.json,
                files=body.files,
                status=0 if dropped else response.status,
                response=answered,
                authorization=request.headers.get("Authorization"),
                injected=injected,
                headers={} if dropped else dict(response.headers),
            )
        )
        fake.notify()
        return response

    return edge
