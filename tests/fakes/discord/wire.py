"""HTTP plumbing shared by the REST handlers: Discord error bodies, request bodies (JSON or
multipart), and the headers Discord's edge adds to every answer."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .records import UploadedFile

_FILE_FIELD = re.compile(r"files\[(\d+)\]")

REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class DiscordError(Exception):
    """Raised by a handler; answered as Discord would (JSON body ``{"message", "code"}``)."""

    def __init__(
        self, status: int, code: int, message: str, *, errors: dict | None = None, headers=None
    ):
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors
        self.headers: dict[str, str] = dict(headers or {})


def unauthorized() -> DiscordError:
    return DiscordError(401, 0, "401: Unauthorized")


def unknown(kind: str, code: int) -> DiscordError:
    return DiscordError(404, code, f"Unknown {kind}")


def too_large() -> DiscordError:
    return DiscordError(413, 40005, "Request entity too large")


def form_error(problems: dict[str, tuple[str, str]]) -> DiscordError:
    """A 400 / 50035 "Invalid Form Body" with Discord's nested ``errors`` object; ``problems``
    maps dotted paths (``"embeds.0.title"``) to ``(code, message)``."""
    errors: dict[str, Any] = {}
    for path, (code, message) in problems.items():
        node = errors
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return DiscordError(400, 50035, "Invalid Form Body", errors=errors)


def bucket_headers(
    route: str,
    *,
    limit: int = 50,
    remaining: int = 49,
    reset_after: float = 1.0,
    bucket: str | None = None,
) -> dict:
    bucket = hashlib.sha1((bucket or route).encode()).hexdigest()[:32]
    return {
        "X-RateLimit-Bucket": bucket,
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "Via": "1.1 google",
    }


def rate_limited(
    route: str,
    retry_after: float,
    *,
    is_global: bool = False,
    limit: int = 5,
    bucket: str | None = None,
) -> DiscordError:
    """A 429 with what discord.py reads: the ``Via`` header (without it discord.py assumes a
    Cloudflare ban), ``X-RateLimit-*`` and ``retry_after`` in the body."""
    headers = bucket_headers(
        route, limit=limit, remaining=0, reset_after=retry_after, bucket=bucket
    )
    headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    headers["X-RateLimit-Scope"] = "global" if is_global else "user"
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    error = DiscordError(429, 0, "You are being rate limited.", headers=headers)
    error.body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
    }
    if is_global:
        error.body["code"] = 0
    return error


def server_error(status: int) -> DiscordError:
    """The error an injected ``status`` stands for: 413 is Discord's upload refusal."""
    if status == 413:
        return too_large()
    return DiscordError(status, 0, f"{status}: {REASONS.get(status, 'Server Error')}")


def json_response(data: Any, *, status: int = 200, headers: dict | None = None) -> web.Response:
    """discord.py parses a body as JSON only if ``Content-Type`` is exactly
    ``application/json`` (aiohttp's ``json_response`` appends ``; charset=utf-8``)."""
    if data is None:
        return web.Response(status=204, headers=headers)
    response = web.Response(status=status, body=json.dumps(data).encode(), headers=headers)
    response.headers["Content-Type"] = "application/json"
    return response


@dataclass
class Body:
    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    size: int = 0


BODY = web.RequestKey("body", Body)  # where the middleware leaves the parsed body


async def read_body(request: web.Request, max_size: int) -> Body:
    """JSON or multipart (``payload_json`` + ``files[n]``). A body over ``max_size`` is read to
    the end (so the client sees an answer, not a reset connection) and refused with 413."""
    body = Body()
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        fields: dict[str, Any] = {}
        index = 0
        async for part in reader:
            if part is None:
                break
            chunks = []
            while chunk := await part.read_chunk(1 << 16):  # type: ignore[union-attr]
                body.size += len(chunk)
                if body.size <= max_size:
                    chunks.append(bytes(chunk))
            data = b"".join(chunks)
            name = part.name or ""
            if part.filename is not None:  # type: ignore[union-attr]
                declared = part.headers.get("Content-Type")
                numbered = _FILE_FIELD.fullmatch(name)
                number = int(numbered.group(1)) if numbered else index
                body.files.append(UploadedFile(number, part.filename, declared, data))  # type: ignore[union-attr]
                index += 1
            elif name == "payload_json":
                body.json = _loads(data)
            else:
                fields[name] = data.decode()
        if fields:
            body.json = {**fields, **(body.json or {})}
    else:
        raw = b""
        async for chunk in request.content.iter_chunked(1 << 16):
            body.size += len(chunk)
            if body.size <= max_size:
                raw += chunk
        if raw.strip():
            body.json = _loads(raw)
    if body.size > max_size:
        raise too_large()
    return body


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from exc
