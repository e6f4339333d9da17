"""Typed request and answer objects for the AIGC actions, field names as in the API."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TaskKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    # The image tools (Upscale, Zoom out, Remove background, Describe): ProcessImage.
    TOOL = "tool"

    @property
    def create_action(self) -> str:
        return _ACTIONS[self][0]

    @property
    def describe_action(self) -> str:
        return _ACTIONS[self][1]


_ACTIONS = {
    TaskKind.IMAGE: ("CreateAigcImageTask", "DescribeAigcImageTask"),
    TaskKind.VIDEO: ("CreateAigcVideoTask", "DescribeAigcVideoTask"),
    TaskKind.TOOL: ("ProcessImage", "DescribeImageTaskDetail"),
}


class TaskStatus(StrEnum):
    WAIT = "WAIT"
    RUN = "RUN"
    DONE = "DONE"
    FAIL = "FAIL"

    @property
    def final(self) -> bool:
        return self in (TaskStatus.DONE, TaskStatus.FAIL)


@dataclass(frozen=True)
class ImageInfo:
    image_url: str
    reference_type: str | None = None
    # A reference image's name, which PixVerse video requires (models.py 24509).
    text: str | None = None

    def to_api(self) -> dict[str, str]:
        out = {"ImageUrl": self.image_url}
        if self.reference_type:
            out["ReferenceType"] = self.reference_type
        if self.text:
            out["Text"] = self.text
        return out


def _compact(params: dict[str, Any]) -> dict[str, Any]:
    """Drop unset fields: the API treats a missing field and a default alike."""
    return {k: v for k, v in params.items() if v not in (None, [], {})}


@dataclass(frozen=True)
class ImageTaskRequest:
    model_name: str
    prompt: str | None = None
    model_version: str | None = None
    negative_prompt: str | None = None
    enhance_prompt: bool | None = None
    image_infos: tuple[ImageInfo, ...] = ()
    output_image_count: int | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    output_format: str | None = None
    logo_add: int | None = None
    additional_parameters: dict[str, Any] = field(default_factory=dict)
    scene_type: str | None = None
    operator: str | None = None

    def to_api(self) -> dict[str, Any]:
        extra = _compact(
            {
                "AspectRatio": self.aspect_ratio,
                "Resolution": self.resolution,
                "LogoAdd": self.logo_add,
                "OutputFormat": self.output_format,
            }
        )
        return _compact(
            {
                "ModelName": self.model_name,
                "ModelVersion": self.model_version,
                "Prompt": self.prompt,
                "NegativePrompt": self.negative_prompt,
                "EnhancePrompt": self.enhance_prompt,
                "ImageInfos": [i.to_api() for i in self.image_infos],
                "OutputImageCount": self.output_image_count,
                "ExtraParameters": extra,
                "AdditionalParameters": (
                    json.dumps(self.additional_parameters, ensure_ascii=False)
                    if self.additional_parameters
                    else None
                ),
                "SceneType": self.scene_type,
                "Operator": self.operator,
            }
        )


@dataclass(frozen=True)
class VideoTaskRequest:
    model_name: str
    prompt: str | None = None
    model_version: str | None = None
    negative_prompt: str | None = None
    enhance_prompt: bool | None = None
    image_url: str | None = None
    last_image_url: str | None = None
    image_infos: tuple[ImageInfo, ...] = ()
    duration: int | None = None
    resolution: str | None = None
    aspect_ratio: str | None = None
    enable_audio: bool | None = None
    logo_add: int | None = None
    additional_parameters: dict[str, Any] = field(default_factory=dict)
    operator: str | None = None

    def to_api(self) -> dict[str, Any]:
        extra = _compact(
            {
                "Resolution": self.resolution,
                "AspectRatio": self.aspect_ratio,
                "LogoAdd": self.logo_add,
                "EnableAudio": self.enable_audio,
            }
        )
        return _compact(
            {
                "ModelName": self.model_name,
                "ModelVersion": self.model_version,
                "Prompt": self.prompt,
                "NegativePrompt": self.negative_prompt,
                "EnhancePrompt": self.enhance_prompt,
                "ImageUrl": self.image_url,
                "LastImageUrl": self.last_image_url,
                "ImageInfos": [i.to_api() for i in self.image_infos],
                "Duration": self.duration,
                "ExtraParameters": extra,
                "AdditionalParameters": (
                    json.dumps(self.additional_parameters, ensure_ascii=False)
                    if self.additional_parameters
                    else None
                ),
                "Operator": self.operator,
            }
        )


@dataclass(frozen=True)
class CreatedTask:
    task_id: str
    request_id: str | None


@dataclass(frozen=True)
class TaskState:
    """What Describe answered. `status` is None when the service sent a value we do not know
    (treated as not final, as the API reference advises)."""

    task_id: str
    status: TaskStatus | None
    urls: tuple[str, ...] = ()
    message: str = ""
    resolution: str | None = None
    request_id: str | None = None
    # What an image tool answered besides files: a text (Describe), the error code of a
    # failed task, and whether content moderation stopped it.
    text: str = ""
    code: str = ""
    blocked: bool = False
    # How far the task says it is (0-100), when it says (the image tools' Progress).
    progress: int | None = None

    @property
    def final(self) -> bool:
        return self.status is not None and self.status.final

    @classmethod
    def from_api(cls, task_id: str, kind: TaskKind, body: dict[str, Any]) -> TaskState:
        raw = body.get("Status")
        try:
            status = TaskStatus(raw) if raw else None
        except ValueError:
            status = None
        urls_key = "ImageUrls" if kind is TaskKind.IMAGE else "VideoUrls"
        return cls(
            task_id=task_id,
            status=status,
            urls=tuple(body.get(urls_key) or ()),
            message=body.get("Message") or "",
            resolution=body.get("Resolution"),
            request_id=body.get("RequestId"),
        )
