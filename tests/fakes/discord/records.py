"""What the fake Discord records: REST calls, messages, attachments and interactions.

Times (``at``, ``dispatched_at``…) are on the fake's clock (``FakeDiscord.monotonic()``), so
differences between them are seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .sharding import shard_of

if TYPE_CHECKING:
    from .modals import FakeModal
    from .server import FakeDiscord

EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    index: int
    filename: str
    content_type: str | None
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class RecordedCall:
    """One REST request the fake answered (faults included)."""

    at: float
    method: str
    path: str  # relative to the API base, e.g. "/channels/1/messages"
    route: str  # the route template, e.g. "/channels/{channel_id}/messages"
    query: dict[str, str]
    json: Any  # the JSON body, or the parsed ``payload_json`` of a multipart body
    files: list[UploadedFile]
    status: int
    response: Any = field(default=None, repr=False)
    authorization: str | None = field(default=None, repr=False)
    injected: bool = False  # answered by ``fail_next``; status 0 = connection dropped
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # of the answer

    def matches(self, method: str | None = None, path: str | None = None) -> bool:
        """``path`` is a regular expression searched in :attr:`path`."""
        if method is not None and method.upper() != self.method:
            return False
        return path is None or re.search(path, self.path) is not None


@dataclass
class StoredAttachment:
    """A file uploaded by the bot or by a user, served at :attr:`url` while it exists."""

    id: int
    channel_id: int
    filename: str
    content_type: str | None
    data: bytes = field(repr=False)
    width: int | None = None
    height: int | None = None
    description: str | None = None
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def spoiler(self) -> bool:
        """Discord hides an attachment whose file name starts with ``SPOILER_`` until it is
        clicked (and flags it ``IS_SPOILER``)."""
        return self.filename.startswith("SPOILER_")


@dataclass
class MessageRevision:
    """The state of a message after its creation or one edit."""

    at: float
    content: str
    embeds: list[dict]
    components: list[dict]
    attachments: list[StoredAttachment]
    flags: int
    via: str  # "callback", "webhook", "channel" or "user" (a member posted it)

    @property
    def filenames(self) -> list[str]:
        return [a.filename for a in self.attachments]


@dataclass
class FakeMessage:
    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    type: int
    created_at: float
    content: str = ""
    embeds: list[dict] = field(default_factory=list)
    components: list[dict] = field(default_factory=list)
    attachments: list[StoredAttachment] = field(default_factory=list)
    flags: int = 0
    interaction_id: int | None = None  # the interaction whose response or follow-up this is
    webhook_id: int | None = None
    reference: dict | None = None  # the message_reference a reply was sent with
    nonce: str | None = None  # as sent; with enforce_nonce, a second create returns this one
    edited_at: float | None = None
    deleted: bool = False
    history: list[MessageRevision] = field(default_factory=list, repr=False)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response that has not been edited yet ("Bot is thinking…")."""
        return bool(self.flags & LOADING)

    @property
    def contents(self) -> list[str]:
        """The content after creation and after every edit, in order."""
        return [r.content for r in self.history]

    @property
    def edits(self) -> list[MessageRevision]:
        return self.history[1:]

    @property
    def first_attached(self) -> MessageRevision | None:
        """The first revision (creation or edit) that carried attachments: when and how
        (``via``) the files were posted."""
        return next((r for r in self.history if r.attachments), None)

    def attachment(self, filename: str) -> StoredAttachment:
        for attachment in self.attachments:
            if attachment.filename == filename:
                return attachment
        raise KeyError(f"message {self.id} has no attachment {filename!r}")

    def custom_ids(self) -> list[str]:
        found: list[str] = []

        def walk(components: list[dict]) -> None:
            for component in components:
                if "custom_id" in component:
                    found.append(component["custom_id"])
                walk(component.get("components", []))
                if isinstance(component.get("accessory"), dict):
                    walk([component["accessory"]])

        walk(self.components)
        return found


@dataclass
class FakeInteraction:
    """An interaction the fake dispatched, and how the bot answered it."""

    id: int
    token: str
    type: int  # 2 command (slash or context menu), 3 component, 4 autocomplete, 5 modal submit
    guild_id: int | None
    channel_id: int
    user_id: int
    locale: str
    guild_locale: str | None
    name: str | None  # the command name, or the component's custom_id
    dispatched_at: float
    payload: dict = field(repr=False)
    delivered_to: int = 0  # gateway connections that received it
    message_id: int | None = None  # the message holding the pressed component
    callback_type: int | None = None
    callback_at: float | None = None
    callback_data: dict | None = field(default=None, repr=False)
    response_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    rejected_callbacks: list[int] = field(default_factory=list)  # statuses of refused callbacks
    token_expired: bool = False  # set by FakeDiscord.expire_token
    modal: FakeModal | None = None  # what the bot showed with a type 9 (MODAL) callback
    target_id: int | None = None  # the message or user a context menu was used on
    triggered_by: int | None = None  # a modal submit: the interaction that showed the modal
    _fake: FakeDiscord | None = field(default=None, repr=False, compare=False)

    @property
    def acknowledged(self) -> bool:
        return self.callback_type is not None

    @property
    def deferred(self) -> bool:
        return self.callback_type in (5, 6)

    @property
    def response_message_type(self) -> int:
        """The type of the messages answering it: 20 for a slash command, 23 for a context
        menu, 0 (default) for the rest."""
        if self.type != 2:
            return 0
        return 20 if self.payload["data"].get("type", 1) == 1 else 23

    @property
    def response_delay(self) -> float | None:
        """Seconds from dispatch to the accepted callback."""
        return None if self.callback_at is None else self.callback_at - self.dispatched_at

    @property
    def autocomplete_choices(self) -> list[dict] | None:
        if self.callback_type != 8 or self.callback_data is None:
            return None
        return self.callback_data.get("choices", [])

    async def wait_for_modal(self, timeout: float = 5.0) -> FakeModal:  # noqa: ASYNC109
        """Wait for the bot's callback; it must have shown a modal."""
        await self.wait_for_response(timeout)
        if self.modal is None:
            raise AssertionError(f"answered with callback type {self.callback_type}, not a modal")
        return self.modal

    @property
    def original(self) -> FakeMessage | None:
        """The response message (for a component interaction answered with 6 or 7, the
        message the component is on)."""
        if self.response_message_id is None or self._fake is None:
            return None
        return self._fake.message(self.response_message_id)

    @property
    def followups(self) -> list[FakeMessage]:
        assert self._fake is not None
        return [m for mid in self.followup_ids if (m := self._fake.message(mid)) is not None]

    async def wait_for_response(self, timeout: float = 5.0) -> FakeInteraction:  # noqa: ASYNC109
        """Wait until the bot's callback was accepted."""
        assert self._fake is not None
        await self._fake.wait_for(lambda: self.acknowledged, timeout, f"a response to {self}")
        return self

    async def wait_for_original(
        self,
        predicate: Callable[[FakeMessage], Any] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> FakeMessage:
        """Wait until the original response exists and ``predicate(message)`` is true."""
        assert self._fake is not None

        def check() -> FakeMessage | None:
            message = self.original
            if message is None or (predicate is not None and not predicate(message)):
                return None
            return message

        return await self._fake.wait_for(check, timeout, f"the original response of {self}")

    async def wait_for_followup(
        self,
        predicate: Callable[[FakeMessage], Any] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> FakeMessage:
        assert self._fake is not None

        def check() -> FakeMessage | None:
            for message in self.followups:
                if predicate is None or predicate(message):
                    return message
            return None

        return await self._fake.wait_for(check, timeout, f"a follow-up of {self}")


@dataclass
class FakeDMChannel:
    """A DM channel the bot opened with ``POST /users/@me/channels``."""

    id: int
    user_id: int
    created_at: float


@dataclass
class FaultRule:
    """An error ``fail_next`` answers instead of handling the request."""

    method: str | None
    path: re.Pattern[str]
    status: int
    remaining: int
    retry_after: float
    is_global: bool = False
    body: dict | None = None
    disconnect: bool = False  # close the socket without answering instead
    # When the fault strikes: "before" the request is handled (nothing applied), "after"
    # it was applied (the answer is lost, as when Discord's edge fails on the way back),
    # or "hold": applied, and the answer never comes.
    when: str = "before"

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method not in (None, "*", method):
            return False
        return self.path.search(path) is not None


@dataclass
class GatewaySession:
    """One gateway session (a bot connection that IDENTIFYed); it survives a dropped socket
    and can be RESUMEd."""

    session_id: str
    intents: int
    connected_at: float
    seq: int = 0
    sent: list[dict] = field(default_factory=list, repr=False)  # dispatches, for RESUME
    connections: int = 1  # sockets that served this session (1 + RESUMEs)
    resumed: int = 0
    heartbeats: int = 0
    ready: bool = False  # READY and every GUILD_CREATE were sent
    closed: bool = False  # the socket is gone; the session may still be resumed
    closed_at: float | None = None
    invalidated: bool = False  # closed for good (1000/1001 close, fatal code, invalidate_sessions)
    shard_id: int = 0  # from IDENTIFY's ``shard: [shard_id, shard_count]``
    shard_count: int = 1

    def handles(self, guild_id: int | None) -> bool:
        """Whether this session's shard receives the events of ``guild_id`` (None: DMs)."""
        return shard_of(guild_id, self.shard_count) == self.shard_id
