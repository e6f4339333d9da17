"""The emulator's admin endpoints (unauthenticated: it is a loopback test tool).

`GET /_emulator/stats`, `POST /_emulator/faults`, `POST /_emulator/reset` and
`POST /_emulator/account`; each does what the `MpsEmulator` method of the same name does.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from aiohttp import web

from .config import EmulatorConfig
from .service import MpsService


class Controlled(Protocol):
    """The emulator as its admin endpoints drive it (`MpsEmulator`)."""

    config: EmulatorConfig
    service: MpsService

    def stats(self) -> dict[str, Any]: ...

    def inject_fault(self, kind: str, action: str = "*", **options: Any) -> None: ...

    def set_account_error(self, code: str | None) -> None: ...

    def reset(self, *, full: bool = False) -> None: ...


def add_admin_routes(app: web.Application, emulator: Controlled) -> None:
    admin = _Admin(emulator)
    app.router.add_get("/_emulator/stats", admin.stats)
    app.router.add_post("/_emulator/faults", admin.faults)
    app.router.add_post("/_emulator/reset", admin.reset)
    app.router.add_post("/_emulator/account", admin.account)


class _Admin:
    def __init__(self, emulator: Controlled) -> None:
        self.emulator = emulator

    async def stats(self, request: web.Request) -> web.Response:
        return _plain_json(self.emulator.stats())

    async def faults(self, request: web.Request) -> web.Response:
        """Body: {"kind", "action"?, "count"?, "delay"?, "code"?, "message"?, "process"?}."""
        try:
            spec = await request.json()
            if not isinstance(spec, dict):
                raise ValueError("the body must be a JSON object")
            self.emulator.inject_fault(
                str(spec.get("kind", "")),
                str(spec.get("action", "*")),
                count=int(spec.get("count", 1)),
                delay=None if spec.get("delay") is None else float(spec["delay"]),
                code=spec.get("code"),
                message=spec.get("message"),
                process=bool(spec.get("process", False)),
            )
        except (ValueError, TypeError) as exc:
            return _plain_json({"error": str(exc)}, status=400)
        return _plain_json(
            {
                "ok": True,
                "pending_faults": self.emulator.service.faults.pending(),
                "pending_task_outcomes": self.emulator.service.store.pending_forced(),
            }
        )

    async def account(self, request: web.Request) -> web.Response:
        """Body: {"error": "FailedOperation.UserArrears"} (one of ACCOUNT_ERRORS), or
        {"error": null} to clear it."""
        try:
            spec = await request.json()
            if not isinstance(spec, dict):
                raise ValueError("the body must be a JSON object")
            self.emulator.set_account_error(spec.get("error"))
        except ValueError as exc:
            return _plain_json({"error": str(exc)}, status=400)
        return _plain_json({"ok": True, "account_error": self.emulator.config.account_error})

    async def reset(self, request: web.Request) -> web.Response:
        """Body (optional): {"full": true} to forget tasks and faults too."""
        spec: Any = {}
        if request.can_read_body:
            try:
                spec = await request.json()
            except ValueError:
                return _plain_json({"error": "the body must be JSON"}, status=400)
        self.emulator.reset(full=bool(isinstance(spec, dict) and spec.get("full")))
        return _plain_json({"ok": True})


def _plain_json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
