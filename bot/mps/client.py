"""Async MPS client on aiohttp: signs, sends, classifies errors, retries what is safe.

Retry rules follow from billing: there is no idempotency key, so a Create is retried only
when it certainly created nothing (rate limited, or the connection was never made). A
Describe is a read and is retried on any transient fault, with exponential backoff and
full jitter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from yarl import URL

from .errors import (
    ConnectionFailedError,
    MpsError,
    ProtocolError,
    RateLimitedError,
    TransientError,
    error_from_response,
)
from .image_task_state import ImageTaskState
from .image_tasks import DESCRIBE_IMAGE_TASK, PROCESS_IMAGE, ProcessImageRequest
from .models import CreatedTask, ImageTaskRequest, TaskKind, TaskState, VideoTaskRequest
from .signer import Credentials, sign_request

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://mps.tencentcloudapi.com"


class CallGate(Protocol):
    """Admits each outgoing call; the job engine plugs its quota limiter in here.

    `slot(action)` is held for the whole exchange, so a limiter can count a call as in
    flight until its answer is back (the service counts it at some point in between).
    """

    def slot(self, action: str) -> AbstractAsyncContextManager[None]: ...

    def report_rate_limited(self, action: str) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    describe_attempts: int = 4
    create_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        """Full jitter: spreads retries of many callers over the whole backoff window."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


def host_header(endpoint: str) -> str:
    """The Host value as sent, which is what gets signed: with :port only when non-default."""
    url = URL(endpoint)
    if url.host is None:
        raise ValueError(f"MPS endpoint has no host: {endpoint!r}")
    return url.host if url.is_default_port() else f"{url.host}:{url.port}"


class MpsClient:
    """One client per process; the aiohttp session is owned and closed by the caller."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        credentials: Credentials,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        region: str | None = "ap-guangzhou",
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        retry: RetryPolicy | None = None,
        gate: CallGate | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self._credentials = credentials
        self._endpoint = endpoint.rstrip("/") + "/"
        self._host = host_header(endpoint)
        self._region = region
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self.retry = retry or RetryPolicy()
        self.gate = gate
        self._clock = clock
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"MpsClient(endpoint={self._endpoint!r}, credentials={self._credentials!r})"

    # -- one attempt ---------------------------------------------------------------------

    async def call(
        self,
        action: str,
        params: dict[str, Any],
        permit: AbstractAsyncContextManager[Any] | None = None,
    ) -> dict[str, Any]:
        """Send one signed request and return the Response object, or raise an MpsError.

        `permit` is a quota slot the caller already holds (the engine's poller takes one
        before choosing which task to ask about); otherwise the gate is asked for one.
        """
        if permit is not None:
            slot = permit
        elif self.gate is not None:
            slot = self.gate.slot(action)
        else:
            slot = nullcontext()
        async with slot:
            status, raw = await self._post(action, params)
        if status >= 500:
            raise TransientError(f"HTTP{status}", f"MPS answered HTTP {status}")
        try:
            envelope = json.loads(raw)
            response = envelope["Response"]
        except (ValueError, KeyError, TypeError):
            raise ProtocolError("BadResponse", f"HTTP {status}, not an API envelope") from None
        if not isinstance(response, dict):
            raise ProtocolError("BadResponse", f"HTTP {status}, not an API envelope")
        error = response.get("Error")
        if error:
            if not isinstance(error, dict):
                raise ProtocolError("BadResponse", "an Error that is not an object")
            code, message = error.get("Code"), error.get("Message")
            request_id = response.get("RequestId")
            exc = error_from_response(
                code if isinstance(code, str) and code else "Unknown",
                message if isinstance(message, str) else "",
                request_id if isinstance(request_id, str) else None,
            )
            if isinstance(exc, RateLimitedError) and self.gate is not None:
                self.gate.report_rate_limited(action)
            raise exc
        return response

    async def _post(self, action: str, params: dict[str, Any]) -> tuple[int, bytes]:
        # Serialise once: the signature covers exactly these bytes.
        body = json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = sign_request(
            self._credentials, action, body, self._host, int(self._clock()), self._region
        )
        try:
            async with self._session.post(
                self._endpoint, data=body, headers=headers, timeout=self._timeout
            ) as resp:
                return resp.status, await resp.read()
        except aiohttp.ConnectionTimeoutError:
            raise ConnectionFailedError("ConnectTimeout", "could not connect to MPS") from None
        except aiohttp.ClientConnectorError as exc:
            # Connection refused / DNS failure: nothing was sent.
            raise ConnectionFailedError("ConnectError", str(exc)) from None
        except TimeoutError:
            raise TransientError("Timeout", "MPS did not answer in time") from None
        except aiohttp.ClientError as exc:
            raise TransientError("NetworkError", type(exc).__name__) from None

    # -- with the retry policy -----------------------------------------------------------

    async def _with_retries(
        self,
        action: str,
        params: dict[str, Any],
        attempts: int,
        create: bool,
        permit: AbstractAsyncContextManager[Any] | None = None,
    ) -> dict[str, Any]:
        for attempt in range(attempts):
            try:
                return await self.call(action, params, permit if attempt == 0 else None)
            except MpsError as exc:
                last = attempt == attempts - 1
                if create:
                    retryable = isinstance(exc, RateLimitedError | ConnectionFailedError)
                else:
                    retryable = isinstance(exc, RateLimitedError | TransientError)
                if last or not retryable:
                    raise
                delay = self.retry.delay(attempt)
                log.info(
                    "%s failed with %s; retry %d in %.2fs", action, exc.code, attempt + 1, delay
                )
                await self._sleep(delay)
        raise AssertionError("unreachable")

    async def create_task(
        self,
        kind: TaskKind,
        request: ImageTaskRequest | VideoTaskRequest | dict[str, Any],
        permit: AbstractAsyncContextManager[Any] | None = None,
    ) -> CreatedTask:
        """Create a task; `request` may be a typed request or its API dict (as stored).

        `permit` is a Create quota slot the caller already holds: the engine takes it
        before it marks the job as submitting, so only a Create on the wire is uncertain."""
        params = request if isinstance(request, dict) else request.to_api()
        response = await self._with_retries(
            kind.create_action, params, self.retry.create_attempts, create=True, permit=permit
        )
        return _created(response)

    async def describe_task(
        self,
        kind: TaskKind,
        task_id: str,
        permit: AbstractAsyncContextManager[Any] | None = None,
    ) -> TaskState:
        response = await self._with_retries(
            kind.describe_action,
            {"TaskId": task_id},
            self.retry.describe_attempts,
            create=False,
            permit=permit,
        )
        try:
            if kind is TaskKind.TOOL:
                return ImageTaskState.from_api(task_id, response).as_task_state()
            return TaskState.from_api(task_id, kind, response)
        except (TypeError, ValueError, AttributeError, KeyError):
            # A Describe answer of the wrong shape: a protocol fault like any other, so
            # the poller looks again later instead of its task dying.
            raise ProtocolError("BadResponse", "Describe answered a malformed task") from None

    async def create_image_task(self, request: ImageTaskRequest) -> CreatedTask:
        return await self.create_task(TaskKind.IMAGE, request)

    async def describe_image_task(self, task_id: str) -> TaskState:
        return await self.describe_task(TaskKind.IMAGE, task_id)

    async def create_video_task(self, request: VideoTaskRequest) -> CreatedTask:
        return await self.create_task(TaskKind.VIDEO, request)

    async def describe_video_task(self, task_id: str) -> TaskState:
        return await self.describe_task(TaskKind.VIDEO, task_id)

    async def process_image(
        self,
        request: ProcessImageRequest | dict[str, Any],
        permit: AbstractAsyncContextManager[Any] | None = None,
    ) -> CreatedTask:
        """Start an image tool task (ProcessImage). Billed like a Create, so retried only
        when it certainly created nothing; `request` may be its stored API dict."""
        params = request if isinstance(request, dict) else request.to_api()
        response = await self._with_retries(
            PROCESS_IMAGE, params, self.retry.create_attempts, create=True, permit=permit
        )
        return _created(response)

    async def describe_image_task_detail(
        self, task_id: str, permit: AbstractAsyncContextManager[Any] | None = None
    ) -> ImageTaskState:
        """Where an image tool task is (only tasks of the last 7 days are found)."""
        response = await self._with_retries(
            DESCRIBE_IMAGE_TASK,
            {"TaskId": task_id},
            self.retry.describe_attempts,
            create=False,
            permit=permit,
        )
        try:
            return ImageTaskState.from_api(task_id, response)
        except (TypeError, ValueError, AttributeError):
            raise ProtocolError("BadResponse", "Describe answered a malformed task") from None


def _created(response: dict[str, Any]) -> CreatedTask:
    task_id = response.get("TaskId")
    if not task_id or not isinstance(task_id, str):
        raise ProtocolError("BadResponse", "Create answered without a TaskId")
    request_id = response.get("RequestId")
    return CreatedTask(
        task_id=task_id, request_id=request_id if isinstance(request_id, str) else None
    )
