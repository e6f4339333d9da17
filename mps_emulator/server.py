"""MpsEmulator: the aiohttp server in front of MpsService, and the Python API to drive it.

Request pipeline for `POST /` (our best reading of the order Tencent's gateway uses):
authenticate -> API version, action, content type -> rate limit -> queued fault -> handler.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from aiohttp import web

from bot.mps.signer import API_VERSION, Credentials

from .admin import add_admin_routes
from .auth import verify_request
from .config import (
    ACCOUNT_ERRORS,
    ACTIONS,
    IMAGE_CREATE,
    PROCESS_IMAGE,
    VIDEO_CREATE,
    EmulatorConfig,
)
from .cos_downloads import serve_object
from .downloads import serve_result
from .faults import Fault, make_fault
from .protocol import (
    INVALID_ACTION_MESSAGE,
    ApiError,
    drop_connection,
    envelope,
    error_envelope,
    missing,
    new_request_id,
    url_host,
)
from .ratelimit import limit_message
from .service import MpsService
from .stats import UNKNOWN_ACTION, ActionStats
from .tasks import DONE, FAIL, IMAGE, OUTPUT_BLOCKED_MESSAGE, VIDEO, ForcedOutcome, Task
from .tool_tasks import ToolFailure

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
# What the account errors say (the SDK's errorcodes.py comments, in English).
ACCOUNT_MESSAGES = {
    "ResourceNotFound.UserUnregister": "The user is not registered for MPS.",
    "InvalidParameterValue.UserUnRegister": "The user is not registered for MPS.",
    "FailedOperation.InvalidMpsUser": "Operation failed: not a valid MPS user.",
    "FailedOperation.UserArrears": "The account is in arrears; the service is stopped.",
    "UnsupportedRegion": "The API does not support the region given.",
    "ActionOffline": "The API is offline.",
    "UnauthorizedOperation": "Unauthorized operation.",
    "AuthFailure.UnauthorizedOperation": "The request is not authorized by CAM.",
    "AuthFailure.SecretIdNotFound": "The SecretId is not found.",
}
FAIL_TASK = "fail_task"
# Fault kind: the next task(s) run, then FAIL with OUTPUT_BLOCKED_MESSAGE.
BLOCK_OUTPUT = "block_output"


class MpsEmulator:
    """A loopback stand-in for the MPS AIGC API.

        async with MpsEmulator(EmulatorConfig(image_wait=(0, 0), image_run=(0.05, 0.05))) as emu:
            ...  # point a client at emu.url, sign with emu.credentials

    `clock` (monotonic seconds) drives rate limits and task lifecycles; `wall_clock` (unix
    seconds) is what X-TC-Timestamp and result URL expiry are checked against. Tests may pass
    fakes for both.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.service = MpsService(self.config, clock, wall_clock)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/", self._api)
        app.router.add_get("/", self._index)
        app.router.add_get("/results/{task_id}/{name}", self._download)
        app.router.add_get("/cos/{bucket}/{key:.+}", partial(serve_object, self.service))
        add_admin_routes(app, self)
        await self.service.open()
        # handler_cancellation: a client that gives up on a `slow` answer frees its handler
        # (the task it created stays); shutdown_timeout: stop() does not wait on stragglers.
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            await self.service.close()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self._url = f"http://{url_host(bound_host)}:{bound_port}"
        log.info("MPS emulator listening on %s", self._url)
        return self._url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.service.close()

    async def __aenter__(self) -> MpsEmulator:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:41234 (the API endpoint is POST on `/`)."""
        if self._url is None:
            raise RuntimeError("the emulator is not running")
        return self._url

    @property
    def host(self) -> str:
        """`host:port` as a client puts it in the Host header and signs it."""
        return self.url.removeprefix("http://")

    @property
    def credentials(self) -> Credentials:
        return self.config.default_credentials

    # ---- Python control API ----------------------------------------------------------------

    def now(self) -> float:
        """The emulator's monotonic clock, the time base of every time in stats()."""
        return self.service.clock()

    def stats(self) -> dict[str, Any]:
        """A plain-dict snapshot of every counter (see stats.Stats.snapshot for the shape)."""
        service = self.service
        snapshot = service.stats.snapshot(list(service.store.tasks.values()), self.now())
        snapshot["pending_faults"] = service.faults.pending()
        snapshot["pending_task_outcomes"] = service.store.pending_forced()
        snapshot["tools"] = service.tools.snapshot(self.now())
        return snapshot

    def arrivals(self, action: str) -> list[float]:
        """Arrival times of authenticated requests for `action` since the last reset."""
        return list(self.service.stats.action(action).arrivals)

    def task(self, task_id: str) -> Task | None:
        return self.service.store.get(task_id)

    def reset(self, *, full: bool = False) -> None:
        """Clear the counters. With full=True also forget tasks, queued faults and forced
        outcomes, and the rate-limit windows, as if the emulator had just started."""
        service = self.service
        service.stats.reset()
        service.tools.clear(full=full)
        if full:
            service.store.tasks.clear()
            service.store.clear_forced()
            service.faults.clear()
            service.limiter.clear()
            service.files.clear()

    def inject_fault(
        self,
        kind: str,
        action: str = "*",
        *,
        count: int = 1,
        delay: float | None = None,
        code: str | None = None,
        message: str | None = None,
        process: bool = False,
    ) -> None:
        """Make the next `count` requests of `action` ("*" for any API action, "Download" for
        result files) fail as `kind`: internal_error, error (needs code), http_500, drop or
        slow (delay seconds); for Download also garbage, truncated_png, bomb_png, empty, bmp or tiff
        (bad_results.py). Kind "fail_task" is fail_next_task() for a Create action (for
        ProcessImage: the next result FAILs with `code`, `message`), and "block_output" makes
        the next tasks FAIL with OUTPUT_BLOCKED_MESSAGE ("*" means an image task)."""
        if kind == FAIL_TASK and action == PROCESS_IMAGE:
            self.service.tools.fail_next(ToolFailure(code or "", message or ""), count)
            return
        if kind in (FAIL_TASK, BLOCK_OUTPUT):
            task_kind = VIDEO if action == VIDEO_CREATE else IMAGE
            if action not in (IMAGE_CREATE, VIDEO_CREATE, "*"):
                raise ValueError(f"{kind} applies to CreateAigcImageTask or CreateAigcVideoTask")
            if kind == BLOCK_OUTPUT:
                message = OUTPUT_BLOCKED_MESSAGE
            self.fail_next_task(message, kind=task_kind, count=count)
            return
        fault = make_fault(kind, action, delay=delay, code=code, message=message, process=process)
        self.service.faults.add(action, fault, count)

    def set_account_error(self, code: str | None) -> None:
        """Put the account in a state only its operator can fix (one of ACCOUNT_ERRORS:
        arrears, unregistered, region or action unsupported, unauthorised), answered to
        every request until cleared with None."""
        if code is not None and code not in ACCOUNT_ERRORS:
            raise ValueError(f"account error must be one of {', '.join(ACCOUNT_ERRORS)}")
        self.config.account_error = code

    def fail_next_task(
        self,
        message: str | None = None,
        *,
        kind: str = IMAGE,
        count: int = 1,
        wait: float | None = None,
        run: float | None = None,
    ) -> None:
        """The next `count` tasks of `kind` ("image"/"video") created end in FAIL with
        `message` (default: config.failure_message). wait/run override their durations."""
        self.force_next_task(FAIL, message, kind=kind, count=count, wait=wait, run=run)

    def force_next_task(
        self,
        status: str = DONE,
        message: str | None = None,
        *,
        kind: str = IMAGE,
        count: int = 1,
        wait: float | None = None,
        run: float | None = None,
    ) -> None:
        """Decide the outcome (DONE or FAIL) and optionally the durations of the next tasks."""
        if status not in (DONE, FAIL) or kind not in (IMAGE, VIDEO) or count < 1:
            raise ValueError("status must be DONE or FAIL, kind image or video, count >= 1")
        self.service.store.force_next(kind, ForcedOutcome(status, message, wait, run), count)

    # ---- API endpoint ----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        service = self.service
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        action = headers.get("x-tc-action", "").strip()
        request_id = new_request_id()
        counters = service.stats.action(action if action in ACTIONS else UNKNOWN_ACTION)
        counters.requests += 1

        try:
            verify_request(
                headers,
                body,
                self.config.credentials,
                service.wall_clock(),
                self.config.clock_skew,
            )
        except ApiError as err:
            counters.auth_failures += 1
            return _fail(counters, err, request_id)
        try:
            _check_version_and_action(headers, action)
            _check_content_type(headers)
        except ApiError as err:
            return _fail(counters, err, request_id)

        now = service.clock()
        verdict = service.limiter.hit(action, now)
        counters.arrive(now)
        if not verdict.allowed:
            counters.rate_limited += 1
            assert verdict.limit is not None
            err = ApiError("RequestLimitExceeded", limit_message(verdict.in_window, verdict.limit))
            return _fail(counters, err, request_id)

        account = self.config.account_error
        if account is not None:
            err = ApiError(account, ACCOUNT_MESSAGES.get(account, account))
            return _fail(counters, err, request_id)

        fault = service.faults.pop(action)
        if fault is not None:
            counters.faults[fault.kind] += 1
            early = _early_fault_answer(fault, request, counters, request_id)
            if early is not None:
                return early

        try:
            params = _parse_body(body)
            payload = await service.call(action, params, f"{request.scheme}://{request.host}")
        except ApiError as err:
            response = _fail(counters, err, request_id)
        else:
            counters.accepted += 1
            response = envelope(payload, request_id)

        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.kind == "drop":
            return drop_connection(request)
        if action.startswith("Create") and response.status == 200:
            _answered(service, response)
        return response

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(text="MPS AIGC emulator: POST TC3-signed API requests to /\n")

    async def _download(self, request: web.Request) -> web.StreamResponse:
        return await serve_result(self.service, request)


def _answered(service: MpsService, response: web.Response) -> None:
    """Note when a Create's answer left (see `Task.answered_at`)."""
    try:
        task_id = json.loads(response.body)["Response"].get("TaskId")  # type: ignore[arg-type]
    except (TypeError, ValueError, KeyError, AttributeError):
        return
    task = service.store.get(task_id) if task_id else None
    if task is not None:
        task.answered_at = service.clock()


def _check_version_and_action(headers: dict[str, str], action: str) -> None:
    version = headers.get("x-tc-version", "").strip()
    if not version:
        raise missing("X-TC-Version")
    if version != API_VERSION:
        raise ApiError("NoSuchVersion", f"The API version `{version}` does not exist.")
    if not action:
        raise missing("X-TC-Action")
    if action not in ACTIONS:
        raise ApiError("InvalidAction", INVALID_ACTION_MESSAGE)


def _check_content_type(headers: dict[str, str]) -> None:
    # The API takes JSON bodies on POST (multipart only for a few upload actions, none here).
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(
            "InvalidParameter",
            f"Content-Type `{media_type}` is not supported; use application/json.",
        )


def _parse_body(body: bytes) -> dict[str, Any]:
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        raise ApiError("InvalidParameter", "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise ApiError("InvalidParameter", "The request body must be a JSON object.")
    return params


def _early_fault_answer(
    fault: Fault, request: web.Request, counters: ActionStats, request_id: str
) -> web.StreamResponse | None:
    """The answer for faults that replace handling altogether; None lets handling go on."""
    if fault.kind in ("internal_error", "error"):
        return _fail(counters, ApiError(fault.code, fault.message), request_id)
    if fault.kind == "http_500":
        return web.Response(status=500, text="Internal Server Error")
    if fault.kind == "drop" and not fault.process:
        return drop_connection(request)
    return None


def _fail(counters: ActionStats, err: ApiError, request_id: str) -> web.Response:
    counters.errors[err.code] += 1
    return error_envelope(err, request_id)
