"""The image tools, for every front end: Upscale ×2 and ×4, Zoom out and Remove background
on an image a member sees, Describe on any image, and "Imagine this" on a description.

A tool use is a job of its own kind (`TaskKind.TOOL`): written before its ProcessImage is
sent, queued fairly, polled and delivered like an image, and counted by the quotas as one
image unless the server set a tool limit of its own (`tools_daily_per_user`). Everything a
tool can refuse is refused here, before any call. The tools are off when the operator set
no output bucket (`MPS_OUTPUT_COS_*`): then every ask is refused, and front ends offer
nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from ..asks.images import ImageOptions
from ..asks.tools import Tool, ToolAsk, build_tool_request
from ..config.tool_storage import ToolStorage
from ..engine.downloader import result_text
from ..engine.engine import JobEngine
from ..mps.models import TaskKind
from ..refusal import Refusal
from ..storage.jobs import Job
from .jobs import JobService, Ticket
from .members import Member

# The tools a result offers (Describe is offered on any message, apart).
IMAGE_TOOLS = (Tool.UPSCALE_2X, Tool.UPSCALE_4X, Tool.ZOOM_OUT, Tool.REMOVE_BACKGROUND)


@dataclass(frozen=True)
class SeenImage:
    """An image as the member sees it: its URL (an attachment's, freshly signed) and its
    size when the platform says it."""

    url: str
    width: int | None = None
    height: int | None = None


class ToolService:
    def __init__(self, *, engine: JobEngine, jobs: JobService, storage: ToolStorage | None) -> None:
        self.engine = engine
        self.jobs = jobs
        self.storage = storage

    @property
    def enabled(self) -> bool:
        """Whether the operator set where the tools' results go (else they are off)."""
        return self.storage is not None

    async def ask_on_result(
        self, member: Member, job_id: int, tool: Tool, images: list[SeenImage] | None, index: int
    ) -> Ticket:
        """`tool` on the image at `index` of a result's message (`images`: its attachments;
        None when the message is gone). Pressing follows the server's button rule."""
        job = await self.jobs.job_here(member, job_id)
        self.jobs.may_press(member, job)
        if tool not in IMAGE_TOOLS or images is None or not 0 <= index < len(images):
            raise Refusal("error.result_gone")
        return await self.ask(member, tool, images[index], source=job)

    async def ask(
        self, member: Member, tool: Tool, image: SeenImage, *, source: Job | None = None
    ) -> Ticket:
        """Validate (free), then admit one tool use: a Ticket to launch, or a Refusal."""
        if self.storage is None:
            raise Refusal("tools.refused.off")
        ask = ToolAsk(tool, image.url, image.width, image.height, locale=member.locale)
        # The result's own folder in the bucket; known before the job is written, so the
        # request stored with the job is the one sent.
        valid = build_tool_request(ask, self.storage, secrets.token_hex(8))
        record: dict[str, Any] = {
            "tool": tool.value,
            "image_url": image.url,
            "width": image.width,
            "height": image.height,
        }
        if valid.result_size is not None:
            record["shown_size"] = "{}x{}".format(*valid.result_size)  # what the result shows
        if source is not None:
            # Shown with the result (the picture's prompt); not sent, so not checked again.
            record.update(source_job=source.id, spoiler=bool(source.options.get("spoiler")))
            record["prompt"] = source.prompt
        # Every rule of an ask (quotas, blocks, probation) through the job service's door.
        # Not priced: ProcessImage is not in the price list, so the budgets count nothing.
        ticket = await self.jobs.admit(
            member,
            TaskKind.TOOL,
            model=tool.value,
            prompt=None,
            negative_prompt=None,
            request=valid.request.to_api(),
            record=record,
        )
        if tool is Tool.DESCRIBE:
            # A description makes no picture: nothing for a moderator to hold.
            ticket.record.pop("probation", None)
        return ticket

    async def ask_imagine(self, member: Member, job_id: int) -> Ticket:
        """ "Imagine this": a new image from a description's text, asked as the presser's
        own /imagine (their preferences, the server's default model, every rule)."""
        job = await self.jobs.job_here(member, job_id)
        self.jobs.may_press(member, job)
        text = (result_text(job) or "").strip() if job.kind is TaskKind.TOOL else ""
        if not text:
            raise Refusal("error.result_gone")
        prompt = text[: self.jobs.tunables.max_prompt_chars]
        return await self.jobs.ask_image(member, ImageOptions(prompt=prompt))
